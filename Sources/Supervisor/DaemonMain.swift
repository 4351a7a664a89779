#if canImport(Glibc)
import Glibc
#endif
import API
import Control
import Fleet
import IOCore
import Logging
import Operations
import Store

/// `botvisord` argument handling.
public enum DaemonMain {
    public static let usage = """
        usage: botvisord [--config PATH] [--worker PATH]
               botvisord --demo [--config PATH]
               botvisord --check-config PATH
               botvisord --version

        Supervises one botvisor-worker per enabled bot. See etc/botvisor.conf for
        every configuration key. Signals: SIGTERM/SIGINT stop every worker and
        exit 0; SIGHUP re-reads the configuration file.
          --config PATH        configuration file (defaults apply without it)
          --worker PATH        worker binary (default: botvisor-worker beside botvisord; when
                               there is none, botvisord runs itself as the worker: `botvisord worker`)
          --demo               run on a built-in Discord simulator with three demo bots and
                               simulated users, in a throwaway state directory: no token,
                               no network
          --check-config PATH  validate a configuration file (and that its [control] group exists
                               and the daemon can use it) and exit (78 when invalid)
          --version            print the version and the git commit of the build
        """

    public static func main(_ arguments: [String]) async -> Int32 {
        var args = arguments
        func value(_ flag: String) -> String? {
            guard let i = args.firstIndex(of: flag), i + 1 < args.count else { return nil }
            defer { args.removeSubrange(i...(i + 1)) }
            return args[i + 1]
        }
        if args.contains("--help") || args.contains("-h") {
            print(usage)
            return 0
        }
        let environment = ProcessEnvironment.current
        if let i = args.firstIndex(of: "--check-config"), i + 1 == args.count || args[i + 1].hasPrefix("--") {
            FileDescriptorSink(fd: 2).write(line: "botvisord: --check-config needs the PATH of a configuration file\n\(usage)\n")
            return 2
        }
        if let path = value("--check-config") {
            return checkConfiguration(path: path, environment: environment)
        }
        let demo = args.contains("--demo")
        args.removeAll { $0 == "--demo" }
        let configPath = value("--config")
        let exe = (try? FileSystem.linkDestination("/proc/self/exe")) ?? CommandLine.arguments[0]
        let worker: WorkerCommand
        do {
            worker = try WorkerCommand.resolve(explicit: value("--worker"), daemonExecutable: exe)
        } catch {
            FileDescriptorSink(fd: 2).write(line: "botvisord: \(error)\n")
            return 78
        }
        guard args.isEmpty else {
            FileDescriptorSink(fd: 2).write(line: "botvisord: unknown arguments \(args.joined(separator: " "))\n\(usage)\n")
            return 2
        }
        var configuration: Configuration
        do {
            configuration = try configPath.map { try Configuration.load(path: $0, environment: environment) } ?? Configuration(environment: environment)
        } catch {
            // EX_CONFIG: systemd shows it, and the daemon never starts on a bad file.
            FileDescriptorSink(fd: 2).write(line: "botvisord: \(error)\n")
            return 78
        }
        // A control group the daemon cannot use would fail later with a bare EPERM: say why, and exit 78
        // so the unit's RestartPreventExitStatus=78 does not restart into it.
        let system = configuration.checkSystem()
        if let problem = (system.errors + system.membershipProblems).first {
            FileDescriptorSink(fd: 2).write(line: "botvisord: \(configPath ?? "<defaults>"): \(problem)\n")
            return 78
        }
        LoggingSystem.bootstrap(level: LogLevel(name: configuration.logLevel) ?? .info)
        do {
            let signals = try SignalWatcher([SIGTERM, SIGINT, SIGHUP])
            if demo {
                try await DemoMode.run(configuration: &configuration, worker: worker, environment: environment, signals: signals)
                return 0
            }
            let daemon = Daemon(configuration: configuration,
                                options: .init(configPath: configPath, worker: worker, environment: environment))
            try await daemon.run(signals: signals)
            return 0
        } catch {
            Logger(label: "botvisord").critical("botvisord failed", ["error": error])
            if let error = error as? SystemError, error.errno == EADDRINUSE {
                FileDescriptorSink(fd: 2).write(line: "botvisord: \(error.call): the port is taken (another botvisord or demo?); "
                    + "choose another with `[http] listen = 127.0.0.1:PORT` in a file given with --config\n")
            }
            return 1
        }
    }

    /// `--check-config PATH`: 0 and `PATH: ok`, or 78 and each problem. Membership of `[control] group` is
    /// about whoever runs the check: an error under systemd (`ExecStartPre=`, where the checker is the
    /// daemon's own user), a warning when a person runs it.
    static func checkConfiguration(path: String, environment: [String: String]) -> Int32 {
        let stderr = FileDescriptorSink(fd: 2)
        let configuration: Configuration
        do {
            configuration = try Configuration.load(path: path, environment: environment)
        } catch {
            stderr.write(line: "botvisord: \(error)\n")
            return 78
        }
        let system = configuration.checkSystem()
        let underSystemd = environment["INVOCATION_ID"] != nil
        let errors = system.errors + (underSystemd ? system.membershipProblems : [])
        for problem in errors { stderr.write(line: "botvisord: \(path): \(problem)\n") }
        if !errors.isEmpty { return 78 }
        for problem in system.membershipProblems {
            stderr.write(line: "botvisord: \(path): warning: \(problem) (true for this user; the daemon checks again at start)\n")
        }
        print("\(path): ok")
        return 0
    }
}
