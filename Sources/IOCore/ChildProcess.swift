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
/// reap a recycled pid.
public final class ChildProcess: Sendable {
    /// What becomes of the child's stdout and stderr.
    public enum Output: Sendable {
        /// Both into one pipe, read from `output`.
        case merged
        /// Separate pipes: `output` and `errorOutput`.
        case separate
        /// Inherited from this process.
        case inherit
        /// Discarded.
        case discard
    }

    public let pid: pid_t
    private let pidfd: Int32
    /// The read end of the child's stdout (and stderr when merged).
    public let output: SocketStream?
    /// The read end of the child's stderr when separate.
    public let errorOutput: SocketStream?
    /// The write end of the child's stdin, when asked for.
    public let input: SocketStream?
    private let status = Mutex<ExitStatus?>(nil)

    /// Spawns `path`. The environment is exactly `environment`: nothing is inherited implicitly.
    public init(path: String, arguments: [String], environment: [String: String], output: Output = .merged,
                stdin: Bool = false) throws {
        var fds: [Int32] = []
        defer { for fd in fds { Glibc.close(fd) } }
        func makePipe() throws -> (read: Int32, write: Int32) {
            var p: [Int32] = [-1, -1]
            guard bv_pipe_cloexec(&p) == 0 else { throw SystemError.last("pipe2") }
            return (p[0], p[1])
        }
        var outPipe: (read: Int32, write: Int32)?
        var errPipe: (read: Int32, write: Int32)?
        var inPipe: (read: Int32, write: Int32)?
        var childOut: Int32 = -1, childErr: Int32 = -1, childIn: Int32 = -1
        switch output {
        case .merged:
            outPipe = try makePipe()
            childOut = outPipe!.write
            childErr = outPipe!.write
        case .separate:
            outPipe = try makePipe()
            errPipe = try makePipe()
            childOut = outPipe!.write
            childErr = errPipe!.write
        case .inherit:
            break
        case .discard:
            let null = Glibc.open("/dev/null", O_WRONLY | O_CLOEXEC)
            fds.append(null)
            childOut = null
            childErr = null
        }
        if stdin {
            inPipe = try makePipe()
            childIn = inPipe!.read
        }
        // The child's ends close in this process once spawned.
        for fd in [outPipe?.write, errPipe?.write, inPipe?.read].compactMap({ $0 }) { fds.append(fd) }
        func closeOurs() { for fd in [outPipe?.read, errPipe?.read, inPipe?.write].compactMap({ $0 }) { Glibc.close(fd) } }

        let argv = ([path] + arguments).map { strdup($0) }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") }
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let spawned: pid_t = (argv + [nil]).withUnsafeBufferPointer { a in
            (envp + [nil]).withUnsafeBufferPointer { e in
                bv_spawn(path, a.baseAddress, e.baseAddress, childIn, childOut, childErr)
            }
        }
        guard spawned > 0 else {
            let err = SystemError.last("posix_spawn \(path)")
            closeOurs()
            throw err
        }
        pid = spawned
        let fd = bv_pidfd_open(spawned, 0)
        guard fd >= 0 else {
            let err = SystemError.last("pidfd_open")
            kill(spawned, SIGKILL)
            var st: Int32 = 0
            waitpid(spawned, &st, 0)
            closeOurs()
            throw err
        }
        pidfd = fd
        self.output = try outPipe.map { try SocketStream(adopting: $0.read) }
        self.errorOutput = try errPipe.map { try SocketStream(adopting: $0.read) }
        self.input = try inPipe.map { try SocketStream(adopting: $0.write) }
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

    /// Waits for the child to exit and reaps it.
    public func waitForExit(deadline: Deadline? = nil) async throws -> ExitStatus {
        while true {
            if let done = try reap() { return done }
            do {
                try await Reactor.shared.waitReadable(pidfd, deadline: deadline)
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

extension SocketStream {
    /// Reads until end of stream.
    public func readToEnd(deadline: Deadline? = nil) async throws -> [UInt8] {
        var out: [UInt8] = []
        while try await read(into: &out, maxLength: 65_536, deadline: deadline) > 0 {}
        return out
    }
}
