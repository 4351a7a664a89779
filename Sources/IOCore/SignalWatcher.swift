#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// Delivers signals as async values: handlers write the signal number to a
/// pipe the reactor watches (the self-pipe trick), so it works whichever
/// thread the kernel delivers the signal to. Create one per process.
public final class SignalWatcher: Sendable {
    private let fd: Int32

    public init(_ signals: [Int32]) throws {
        fd = signals.withUnsafeBufferPointer { bv_signal_pipe($0.baseAddress, Int32($0.count)) }
        guard fd >= 0 else { throw SystemError.last("sigaction") }
    }

    /// Waits for the next signal and returns its number.
    public func next() async throws -> Int32 {
        while true {
            var byte: UInt8 = 0
            let n = read(fd, &byte, 1)
            if n == 1 { return Int32(byte) }
            if n < 0 && errno != EAGAIN && errno != EINTR { throw SystemError.last("read(signal pipe)") }
            try await Reactor.shared.waitReadable(fd)
        }
    }
}
