#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// Delivers signals as async values through a signalfd on the reactor. Call
/// `SignalWatcher.blockEarly` at the very start of `main`, before any thread
/// exists, so every thread inherits the blocked mask and no handler runs.
public final class SignalWatcher: Sendable {
    private let fd: Int32

    /// Blocks `signals` in the calling thread; threads created later inherit the mask.
    public static func blockEarly(_ signals: [Int32]) {
        _ = signals.withUnsafeBufferPointer { bv_block_signals($0.baseAddress, Int32($0.count)) }
    }

    public init(_ signals: [Int32]) throws {
        fd = signals.withUnsafeBufferPointer { bv_signalfd($0.baseAddress, Int32($0.count)) }
        guard fd >= 0 else { throw SystemError.last("signalfd") }
    }

    deinit {
        Reactor.shared.deregister(fd)
        close(fd)
    }

    /// Waits for the next signal and returns its number.
    public func next() async throws -> Int32 {
        while true {
            var pid: Int32 = 0
            let signo = bv_signalfd_read(fd, &pid)
            if signo > 0 { return signo }
            if signo < 0 { throw SystemError.last("read(signalfd)") }
            try await Reactor.shared.waitReadable(fd)
        }
    }
}
