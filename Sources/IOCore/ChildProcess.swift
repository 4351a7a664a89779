#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Synchronization

/// How a child process ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let sig): "killed by signal \(sig)"
        }
    }
}

/// A child spawned with `posix_spawn` into its own process group, watched
/// through a pidfd: its exit wakes the reactor, and reaping by pidfd can never
/// reap a recycled pid. stdout and stderr arrive on `output`.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let pidfd: Int32
    /// The read end of the child's stdout+stderr pipe.
    public let output: SocketStream?
    private let status = Mutex<ExitStatus?>(nil)

    /// Spawns `path`. The environment is exactly `environment`: nothing is inherited implicitly.
    public init(path: String, arguments: [String], environment: [String: String], captureOutput: Bool = true) throws {
        var pipeFDs: [Int32] = [-1, -1]
        if captureOutput {
            guard bv_pipe_cloexec(&pipeFDs) == 0 else { throw SystemError.last("pipe2") }
        }
        defer { if pipeFDs[1] >= 0 { Glibc.close(pipeFDs[1]) } }
        let argv = ([path] + arguments).map { strdup($0) }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") }
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let spawned: pid_t = (argv + [nil]).withUnsafeBufferPointer { a in
            (envp + [nil]).withUnsafeBufferPointer { e in
                bv_spawn(path, a.baseAddress, e.baseAddress, pipeFDs[1])
            }
        }
        guard spawned > 0 else {
            let err = SystemError.last("posix_spawn \(path)")
            if pipeFDs[0] >= 0 { Glibc.close(pipeFDs[0]) }
            throw err
        }
        pid = spawned
        let fd = bv_pidfd_open(spawned, 0)
        guard fd >= 0 else {
            let err = SystemError.last("pidfd_open")
            kill(spawned, SIGKILL)
            var st: Int32 = 0
            waitpid(spawned, &st, 0)
            throw err
        }
        pidfd = fd
        output = pipeFDs[0] >= 0 ? try SocketStream(adopting: pipeFDs[0]) : nil
    }

    deinit {
        Reactor.shared.deregister(pidfd)
        Glibc.close(pidfd)
    }

    /// Sends `signal` to the child (by pidfd, so never to a recycled pid).
    @discardableResult
    public func signal(_ signal: Int32) -> Bool {
        bv_pidfd_send_signal(pidfd, signal) == 0
    }

    /// Sends `signal` to the child's whole process group.
    @discardableResult
    public func signalGroup(_ signal: Int32) -> Bool {
        kill(-pid, signal) == 0
    }

    /// The exit status if the child was already reaped.
    public var exitStatus: ExitStatus? { status.withLock { $0 } }

    /// Waits for the child to exit and reaps it. Safe to call from several tasks.
    public func waitForExit() async throws -> ExitStatus {
        while true {
            if let done = try reap() { return done }
            do {
                try await Reactor.shared.waitReadable(pidfd)
            } catch is StreamClosed {
                continue
            }
        }
    }

    /// Reaps without blocking; nil while the child runs.
    public func reap() throws -> ExitStatus? {
        try status.withLock { current in
            if let current { return current }
            var code: Int32 = 0, signaled: Int32 = 0
            let rc = bv_pidfd_reap(pidfd, &code, &signaled)
            if rc < 0 { throw SystemError.last("waitid") }
            if rc == 0 { return nil }
            current = signaled != 0 ? .signaled(code) : .exited(code)
            return current
        }
    }
}
