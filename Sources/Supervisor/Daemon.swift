#if canImport(Glibc)
import Glibc
#endif
import API
import Control
import Fleet
import FoundationEssentials
import HTTP
import IOCore
import IPC
import Logging
import Operations
import Store

/// botvisord: wires the configuration, the store, the fleet, the IPC and
/// control sockets, the HTTP port, signals and systemd notifications together.
public actor Daemon {
    public struct Options: Sendable {
        public var configPath: String?
        public var workerPath: String
        /// Arguments before the worker's own (`["worker"]` when botvisord runs itself as the worker).
        public var workerArguments: [String] = []
        public var environment: [String: String]
        public init(configPath: String?, worker: WorkerCommand, environment: [String: String]) {
            self.init(configPath: configPath, workerPath: worker.path, environment: environment)
            workerArguments = worker.leadingArguments
        }
        public init(configPath: String?, workerPath: String, environment: [String: String]) {
            self.configPath = configPath
            self.workerPath = workerPath
            self.environment = environment
        }
    }

    private var configuration: Configuration
    private let options: Options
    private let logger = Logger(label: "botvisord")
    private let notifier: SystemdNotifier
    var fleet: Fleet?
    var store: SupervisorStore?
    private var recorder: MetricsRecorder?
    /// Each bot's recent worker output, for `botvisorctl logs`.
    let outputLogs = WorkerOutputLogs()
    /// Where the HTTP API listens, with the kernel's port when the configuration says port 0.
    var httpAddress: Configuration.ListenAddress?
    let (shutdownRequests, shutdownContinuation) = AsyncStream.makeStream(of: Void.self)

    public init(configuration: Configuration, options: Options) {
        self.configuration = configuration
        self.options = options
        self.notifier = SystemdNotifier(environment: options.environment)
    }

    /// Runs until SIGTERM/SIGINT or `botvisorctl shutdown`; stops every worker first.
    public func run(signals: SignalWatcher) async throws {
        let config = configuration
        for dir in [config.stateDirectory, config.runtimeDirectory] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        }
        let store = try await SupervisorStore(stateDirectory: config.stateDirectory)
        self.store = store
        let ipcPath = "\(config.runtimeDirectory)/ipc.sock"
        // Workers get a minimal environment: never a secret, only what TLS and logging need.
        var workerEnvironment = ["PATH": options.environment["PATH"] ?? "/usr/bin:/bin"]
        for key in ["SSL_CERT_FILE", "SSL_CERT_DIR", "BOTVISOR_LOG_LEVEL", "LANG"] { workerEnvironment[key] = options.environment[key] }
        var environment = BotSupervisor.Environment(workerPath: options.workerPath, ipcSocketPath: ipcPath, apiBase: config.apiBase,
                                                    heartbeatInterval: config.heartbeatInterval, heartbeatTimeout: config.heartbeatTimeout,
                                                    stopTimeout: config.stopTimeout, workerEnvironment: workerEnvironment,
                                                    records: store, sessions: store)
        environment.workerArguments = options.workerArguments
        environment.output = outputLogs
        let fleet = Fleet(repository: store, environment: environment, restart: config.restart, logger: logger)
        self.fleet = fleet
        let ipc = try IPCServer(path: ipcPath, logger: logger) { pid in await fleet.supervisor(forPID: pid) }
        let control = try ControlServer(path: "\(config.runtimeDirectory)/control.sock", group: config.controlGroup, logger: logger) {
            request in await self.handle(request)
        }
        let jobs = JobRunner(store: store, fleet: fleet, logger: logger)
        let recorder = MetricsRecorder(fleet: fleet, store: store, settings: .init(config), logger: logger)
        self.recorder = recorder
        var feedSettings = EventFeed.Settings()
        feedSettings.maxClients = config.maxEventClients
        let feed = EventFeed(settings: feedSettings, logger: logger.with("socket", "events"))
        let http = try HTTPServer(host: config.httpListen.host, port: config.httpListen.port, logger: logger.with("socket", "http"),
                                  responder: APIRouter.make(fleet: fleet, store: store, jobs: jobs, apiBase: config.apiBase,
                                                            recorder: recorder, feed: feed))
        // Port 0 asks the kernel for a free port: tests (and a second demo) read the bound address back from the
        // log line, `botvisorctl status --json` or this file instead of reserving a port and releasing it.
        let httpAddress = Configuration.ListenAddress(host: config.httpListen.host, port: http.port)
        self.httpAddress = httpAddress
        let httpAddressFile = "\(config.runtimeDirectory)/http.addr"
        try "\(httpAddress)\n".write(toFile: httpAddressFile, atomically: true, encoding: .utf8)
        logger.notice("botvisord listening", ["http": httpAddress, "control": "\(config.runtimeDirectory)/control.sock"])
        notifier.notify("READY=1\nSTATUS=starting bots")

        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await fleet.run() }
            group.addTask { await ipc.run(); await recorder.setHealthy("ipc", false) }
            group.addTask { await control.run() }
            group.addTask { await http.run(); await recorder.setHealthy("http", false) }
            group.addTask { await recorder.run() }
            group.addTask { await feed.run(following: fleet.events) }
            group.addTask { await self.reportStatus(fleet: fleet) }
            group.addTask { await jobs.resumeInterrupted() }
            group.addTask {
                while let sig = try? await signals.next() {
                    if sig == SIGHUP {
                        _ = await self.reload()
                    } else {
                        self.logger.notice("shutting down on signal", ["signal": sig])
                        self.shutdownContinuation.yield()
                        return
                    }
                }
            }
            for await _ in shutdownRequests { break }
            notifier.notify("STOPPING=1")
            // Stop accepting work, leave running jobs for the next start, stop every worker
            // in parallel, then close the sockets.
            await jobs.shutdown()
            await fleet.shutdown()
            ipc.close()
            control.close()
            // Live feed clients are told the daemon is going away (1001) instead of holding the HTTP shutdown.
            feed.shutdown()
            await http.shutdown()
            try? FileManager.default.removeItem(atPath: httpAddressFile)
            await store.close()
            group.cancelAll()
        }
        logger.notice("botvisord stopped")
    }

    /// STATUS= lines for systemd and WATCHDOG=1 pings.
    private func reportStatus(fleet: Fleet) async {
        let interval = notifier.watchdogInterval ?? .seconds(5)
        while !Task.isCancelled {
            if let statuses = try? await fleet.statuses() {
                let ready = statuses.filter { $0.state == .ready }.count
                notifier.notify("STATUS=\(ready)/\(statuses.count) bots ready" + (notifier.watchdogInterval != nil ? "\nWATCHDOG=1" : ""))
            }
            do { try await Reactor.shared.sleep(until: .now + min(interval, .seconds(5))) } catch { return }
        }
    }

    /// Re-reads the configuration file; a bad file is rejected and the running configuration kept.
    /// Applied at once: the restart policy, heartbeats and stop timeout, the Discord base URL (next worker
    /// start), log and metric retention, the sample interval and the log level. The reply names the keys
    /// that changed but only take effect at the next start (listen address, directories, control group).
    func reload() async -> ControlReply {
        guard let path = options.configPath else { return .failure("NO_CONFIG_FILE", "botvisord was started without --config") }
        notifier.notify("RELOADING=1")
        defer { notifier.notify("READY=1") }
        do {
            // Reliability review 7a: an empty file would silently reset everything to the defaults.
            let text = try String(contentsOfFile: path, encoding: .utf8)
            guard text.split(separator: "\n").contains(where: { line in
                let t = line.drop { $0 == " " || $0 == "\t" }
                return !t.isEmpty && !t.hasPrefix("#") && !t.hasPrefix(";") && !t.hasPrefix("[") && t.contains("=")
            }) else {
                throw ReloadRefused(message: "\(path): the file sets no key; an empty configuration is not reloaded")
            }
            let fresh = try Configuration.load(path: path, environment: options.environment)
            let old = configuration
            configuration = fresh
            LoggingSystem.bootstrap(level: LogLevel(name: fresh.logLevel) ?? .info)
            await fleet?.reconfigure(apiBase: fresh.apiBase, heartbeatInterval: fresh.heartbeatInterval,
                                     heartbeatTimeout: fresh.heartbeatTimeout, stopTimeout: fresh.stopTimeout, restart: fresh.restart)
            recorder?.apply(.init(fresh))
            var atNextStart: [String] = []
            if fresh.httpListen != old.httpListen { atNextStart.append("[http] listen") }
            if fresh.maxEventClients != old.maxEventClients { atNextStart.append("[http] max_event_clients") }
            if fresh.stateDirectory != old.stateDirectory { atNextStart.append("[paths] state_dir") }
            if fresh.runtimeDirectory != old.runtimeDirectory { atNextStart.append("[paths] runtime_dir") }
            if fresh.controlGroup != old.controlGroup { atNextStart.append("[control] group") }
            logger.notice("configuration reloaded", ["file": path, "at_next_start": atNextStart.joined(separator: ",")])
            var message = "configuration reloaded: restart policy, heartbeats, stop timeout, Discord API base, retention, "
                + "sample interval and log level applied"
            if !atNextStart.isEmpty { message += "; \(atNextStart.joined(separator: ", ")) change only at the next start" }
            return .success(message: message)
        } catch {
            logger.error("configuration reload rejected; keeping the running configuration", ["error": error])
            return .failure("CONFIG_INVALID", "\(error)")
        }
    }

    private struct ReloadRefused: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
