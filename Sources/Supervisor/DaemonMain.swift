#if canImport(Glibc)
import Glibc
#endif
import API
import Control
import Fleet
import FoundationEssentials
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

        Supervises one botvisor-worker per enabled bot. See etc/botvisor.conf for
        every configuration key. Signals: SIGTERM/SIGINT stop every worker and
        exit 0; SIGHUP re-reads the configuration file.
          --config PATH        configuration file (defaults apply without it)
          --worker PATH        worker binary (default: botvisor-worker beside botvisord; when
                               there is none, botvisord runs itself as the worker: `botvisord worker`)
          --demo               run on a built-in Discord simulator with three demo bots and
                               simulated users, in a throwaway state directory: no token,
                               no network
          --check-config PATH  validate a configuration file and exit (78 when invalid)
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
        let environment = ProcessInfo.processInfo.environment
        if let path = value("--check-config") {
            do {
                _ = try Configuration.load(path: path, environment: environment)
                print("\(path): ok")
                return 0
            } catch {
                FileDescriptorSink(fd: 2).write(line: "botvisord: \(error)\n")
                return 78
            }
        }
        let demo = args.contains("--demo")
        args.removeAll { $0 == "--demo" }
        let configPath = value("--config")
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
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
            return 1
        }
    }
}
