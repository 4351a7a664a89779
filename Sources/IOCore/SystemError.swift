#if canImport(Glibc)
import Glibc
#endif

/// A failed system call, with the call's name and `errno`.
public struct SystemError: Error, Equatable, CustomStringConvertible {
    public var call: String
    public var errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// Captures the current `errno` for `call`.
    public static func last(_ call: String) -> SystemError {
        SystemError(call: call, errno: Glibc.errno)
    }

    public var description: String {
        "\(call): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// An I/O wait ran past its deadline.
public struct DeadlineExceeded: Error, Equatable, CustomStringConvertible {
    public init() {}
    public var description: String { "deadline exceeded" }
}

/// The stream or listener was closed while an operation waited on it.
public struct StreamClosed: Error, Equatable, CustomStringConvertible {
    public init() {}
    public var description: String { "stream closed" }
}

/// A point in time for I/O deadlines.
public typealias Deadline = ContinuousClock.Instant

extension Deadline {
    /// Now plus `duration`.
    public static func after(_ duration: Duration) -> Deadline { .now + duration }
}
