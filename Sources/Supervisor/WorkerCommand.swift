#if canImport(Glibc)
import Glibc
#endif
import IOCore

/// The program botvisord spawns for each bot: `botvisor-worker` beside
/// botvisord, a path given with `--worker`, or botvisord itself in worker mode
/// (`botvisord worker ...`) when no worker binary was built or installed
/// beside it (`swift run botvisord --demo` builds only botvisord).
public struct WorkerCommand: Sendable, Equatable {
    public var path: String
    /// Arguments before the worker's own `--ipc PATH --bot NAME`.
    public var leadingArguments: [String]

    public init(path: String, leadingArguments: [String] = []) {
        self.path = path
        self.leadingArguments = leadingArguments
    }

    /// The first argument that makes botvisord run as a worker.
    public static let workerModeArgument = "worker"

    /// Why no worker can be spawned: the path tried, and what is wrong with it.
    public struct NotFound: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot use the worker binary \(path): \(reason)" }
    }

    /// An explicit `--worker PATH` must be an executable file; otherwise
    /// `botvisor-worker` beside `daemonExecutable`, else the daemon itself.
    public static func resolve(explicit: String?, daemonExecutable: String) throws -> WorkerCommand {
        if let explicit {
            guard FileSystem.exists(explicit) else { throw NotFound(path: explicit, reason: "No such file or directory") }
            guard access(explicit, X_OK) == 0 else { throw NotFound(path: explicit, reason: "not executable") }
            return WorkerCommand(path: explicit)
        }
        let directory = daemonExecutable.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let beside = "\(directory)/botvisor-worker"
        if access(beside, X_OK) == 0 { return WorkerCommand(path: beside) }
        return WorkerCommand(path: daemonExecutable, leadingArguments: [workerModeArgument])
    }
}
