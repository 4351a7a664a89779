#if canImport(Glibc)
import Glibc
#endif
import API
import Control
import Fleet
import HTTP
import IOCore
import IPC
import Logging
import Operations
import Store
import Auth
import TLS

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
    /// Accounts, tokens and the JWT keys: the HTTP API's authentication, managed over the control socket too.
    var authenticator: Authenticator?
    /// Keeps stock displays current (`botvisorctl display refresh` waits on it).
    var displays: DisplayEngine?
    private var recorder: MetricsRecorder?
    /// The audit log: HTTP changes and refusals (`AuditMiddleware`) and control-socket changes.
    var audit: AuditTrail?
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
        // The runtime directory stays reachable by `[control] group` (control.sock is 0660); the state directory,
        // which holds the tokens and the logs, is the store's to create 0700 (reliability review, row 5b).
        try FileSystem.createDirectories(config.runtimeDirectory, mode: 0o750)
        let store = try await SupervisorStore(stateDirectory: config.stateDirectory)
        self.store = store
        var authSettings = Authenticator.Settings()
        authSettings.publicMetrics = config.publicMetrics
        authSettings.accessTokenLifetime = config.accessTokenLifetime
        authSettings.refreshTokenLifetime = config.refreshTokenLifetime
        let authenticator = try await Authenticator.load(store: store, stateDirectory: config.stateDirectory, settings: authSettings,
                                                         logger: logger.with("component", "auth"))
        self.authenticator = authenticator
        for change in store.tightened {
            logger.warning("tightened a state file that others could read", ["path": change.path, "from": String(change.from, radix: 8),
                                                                            "to": String(change.to, radix: 8)])
        }
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
        let fleet = Fleet(repository: store, environment: environment, restart: config.restart,
                          invalidRequestBudget: config.invalidRequestBudget, logger: logger)
        self.fleet = fleet
        let ipc = try IPCServer(path: ipcPath, logger: logger) { name in try? await fleet.supervisor(named: name) }
        let caps = ConnectionCaps(config, logger: logger)
        let control = try ControlServer(path: "\(config.runtimeDirectory)/control.sock", group: config.controlGroup,
                                        maxConnections: caps.control, logger: logger) {
            request, uid in await self.handle(request, uid: uid)
        }
        let audit = AuditTrail(store: store, published: AuditAPI.publishing(to: fleet.events))
        self.audit = audit
        let jobs = JobRunner(store: store, fleet: fleet, logger: logger)
        let displays = DisplayEngine(store: store, fleet: fleet, logger: logger)
        self.displays = displays
        await jobs.use(displays)
        let recorder = MetricsRecorder(fleet: fleet, store: store, settings: .init(config), logger: logger)
        self.recorder = recorder
        var feedSettings = EventFeed.Settings()
        feedSettings.maxClients = config.maxEventClients
        let feed = EventFeed(settings: feedSettings, logger: logger.with("socket", "events"))
        // Bound first: the default allowed Host names carry the port, which port 0 leaves to the kernel.
        let listener = try SocketListener.tcp(host: config.httpListen.host, port: config.httpListen.port)
        let hosts = config.allowedHosts.isEmpty
            ? CrossSiteMiddleware.Settings.defaultHosts(listenHost: config.httpListen.host, port: listener.port) : config.allowedHosts
        var serverConfiguration = HTTPServer.Configuration()
        serverConfiguration.maxConnections = caps.http
        if let certificate = config.tlsCertificate, let key = config.tlsKey {
            do {
                serverConfiguration.tls = try TLSServerContext(certificateChainFile: certificate, privateKeyFile: key)
            } catch {
                listener.close()
                throw ConfigurationError(file: options.configPath ?? "<config>", line: 0,
                                         message: "[http] tls_certificate/tls_key: \(error)")
            }
        }
        let limits = RateLimits(settings: RateLimits.Settings(config.limits))
        let http = HTTPServer(listener: listener, configuration: serverConfiguration, logger: logger.with("socket", "http"),
                              responder: APIRouter.make(fleet: fleet, store: store, authenticator: authenticator, jobs: jobs, apiBase: config.apiBase,
                                                        recorder: recorder, audit: audit, limits: limits,
                                                        crossSite: CrossSiteMiddleware.Settings(allowedHosts: hosts,
                                                                                                corsOrigins: config.corsOrigins),
                                                        displays: displays, feed: feed))
        // Port 0 asks the kernel for a free port: tests (and a second demo) read the bound address back from the
        // log line, `botvisorctl status --json` or this file instead of reserving a port and releasing it.
        let httpAddress = Configuration.ListenAddress(host: config.httpListen.host, port: http.port)
        self.httpAddress = httpAddress
        let httpAddressFile = "\(config.runtimeDirectory)/http.addr"
        try AtomicFile.replace(httpAddressFile, with: Array("\(httpAddress)\n".utf8))
        logger.notice("botvisord listening", ["http": httpAddress, "tls": serverConfiguration.tls != nil, "control": "\(config.runtimeDirectory)/control.sock"])
        notifier.notify("READY=1\nSTATUS=starting bots")

        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await fleet.run() }
            group.addTask { await ipc.run(); await recorder.setHealthy("ipc", false) }
            group.addTask { await control.run() }
            group.addTask { await http.run(); await recorder.setHealthy("http", false) }
            group.addTask { await recorder.run() }
            group.addTask { await feed.run(following: fleet.events) }
            group.addTask { await feed.closeRevoked(following: authenticator) }
            group.addTask { await self.reportStatus(fleet: fleet) }
            group.addTask { await jobs.resumeInterrupted() }
            group.addTask { await self.auditUpkeep(audit) }
            group.addTask { await displays.run() }
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
            await displays.shutdown()
            await fleet.shutdown()
            ipc.close()
            control.close()
            // Live feed clients are told the daemon is going away (1001) instead of holding the HTTP shutdown.
            feed.shutdown()
            await http.shutdown()
            await audit.flushRateLimited()
            unlink(httpAddressFile)
            await store.close()
            group.cancelAll()
        }
        logger.notice("botvisord stopped")
    }

    /// Writes the minute's aggregated `rate.limited` rows every few seconds and applies `[audit] retention`
    /// hourly (and once at start).
    private func auditUpkeep(_ audit: AuditTrail) async {
        var lastPrune: ContinuousClock.Instant?
        while !Task.isCancelled {
            if lastPrune.map({ ContinuousClock.now - $0 >= .seconds(3600) }) ?? true {
                await audit.prune(olderThan: configuration.auditRetention)
                lastPrune = .now
            }
            await audit.flushEndedMinute()
            do { try await Reactor.shared.sleep(until: .now + .seconds(5)) } catch { return }
        }
    }

    /// STATUS= lines for systemd and WATCHDOG=1 pings.
    private func reportStatus(fleet: Fleet) async {
        let interval = notifier.watchdogInterval ?? .seconds(5)
        var trim = ResidentSetTrim()
        while !Task.isCancelled {
            if let statuses = try? await fleet.statuses() {
                let ready = statuses.filter { $0.state == .ready }.count
                notifier.notify("STATUS=\(ready)/\(statuses.count) bots ready" + (notifier.watchdogInterval != nil ? "\nWATCHDOG=1" : ""))
                if trim.shouldTrim(settled: ResidentSetTrim.isSettled(statuses.map(\.state)), now: .now) { Memory.trimResidentSet() }
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
            let text = String(decoding: try readFile(path, limit: 1 << 20), as: UTF8.self)
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
                                     heartbeatTimeout: fresh.heartbeatTimeout, stopTimeout: fresh.stopTimeout, restart: fresh.restart,
                                     invalidRequestBudget: fresh.invalidRequestBudget)
            recorder?.apply(.init(fresh))
            var atNextStart: [String] = []
            if fresh.httpListen != old.httpListen { atNextStart.append("[http] listen") }
            if fresh.maxEventClients != old.maxEventClients { atNextStart.append("[http] max_event_clients") }
            if fresh.stateDirectory != old.stateDirectory { atNextStart.append("[paths] state_dir") }
            if fresh.runtimeDirectory != old.runtimeDirectory { atNextStart.append("[paths] runtime_dir") }
            if fresh.controlGroup != old.controlGroup { atNextStart.append("[control] group") }
            if fresh.allowedHosts != old.allowedHosts { atNextStart.append("[http] allowed_hosts") }
            if fresh.corsOrigins != old.corsOrigins { atNextStart.append("[http] cors_origins") }
            if fresh.tlsCertificate != old.tlsCertificate || fresh.tlsKey != old.tlsKey { atNextStart.append("[http] tls_certificate/tls_key") }
            if fresh.limits != old.limits { atNextStart.append("[limits]") }
            if fresh.httpMaxConnections != old.httpMaxConnections { atNextStart.append("[http] max_connections") }
            if fresh.controlMaxConnections != old.controlMaxConnections { atNextStart.append("[control] max_connections") }
            if fresh.fileDescriptorReserve != old.fileDescriptorReserve { atNextStart.append("[limits] fd_reserve") }
            logger.notice("configuration reloaded", ["file": path, "at_next_start": atNextStart.joined(separator: ",")])
            var message = "configuration reloaded: restart policy, heartbeats, stop timeout, Discord API base, invalid-request budget, retention (logs, metrics, audit), "
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
