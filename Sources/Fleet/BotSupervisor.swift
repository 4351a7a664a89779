#if canImport(Glibc)
import Glibc
#endif
import Discord
import IOCore
import IPC
import Logging

/// Runs one bot's worker: the thin driver of its `WorkerLifecycle`. Every input (an operator's command,
/// an exit, an IPC message, a tick, a timer) goes through one event loop (`run`) into the machine, and this
/// actor performs the actions it returns: it spawns, signals, talks IPC, writes SQLite and publishes fleet
/// events. Actions that feed a new input back (a spawn's outcome) are queued, never recursed into.
public actor BotSupervisor {
    public struct Environment: Sendable {
        public var workerPath: String
        /// Arguments before the worker's own (`["worker"]` when botvisord runs itself as the worker).
        public var workerArguments: [String] = []
        public var ipcSocketPath: String
        public var apiBase: String
        public var heartbeatInterval: Duration
        public var heartbeatTimeout: Duration
        public var stopTimeout: Duration
        /// How long a spawned worker has to say hello.
        public var helloTimeout: Duration = .seconds(15)
        /// Environment variables passed through to workers (never a secret).
        public var workerEnvironment: [String: String]
        public var records: any CommandRecordSink
        /// Where each bot's recent worker output is kept for `botvisorctl logs`.
        public var output = WorkerOutputLogs()
        public var sessions: any SessionStore
        /// Where state changes, exits and commits are announced.
        public var events = FleetEventStream()

        public init(workerPath: String, ipcSocketPath: String, apiBase: String, heartbeatInterval: Duration,
                    heartbeatTimeout: Duration, stopTimeout: Duration, workerEnvironment: [String: String],
                    records: any CommandRecordSink, sessions: any SessionStore) {
            self.workerPath = workerPath
            self.ipcSocketPath = ipcSocketPath
            self.apiBase = apiBase
            self.heartbeatInterval = heartbeatInterval
            self.heartbeatTimeout = heartbeatTimeout
            self.stopTimeout = stopTimeout
            self.workerEnvironment = workerEnvironment
            self.records = records
            self.sessions = sessions
        }

        func lifecycleSettings(restart: RestartPolicy.Settings) -> WorkerLifecycle.Settings {
            var settings = WorkerLifecycle.Settings(restart: restart, heartbeatTimeout: heartbeatTimeout, stopTimeout: stopTimeout)
            settings.helloTimeout = helloTimeout
            return settings
        }
    }

    package enum Event: Sendable {
        case start
        case stop(handover: Bool, done: CheckedContinuation<Void, Never>?)
        case restart
        case exited(UInt64, ExitStatus)
        case attached(UInt64, IPCConnection)
        case message(UInt64, IPCEnvelope)
        case disconnected(UInt64, any Error)
        case timer(WorkerLifecycle.Timer, epoch: UInt64)
        case tick(UInt64)
        case configure(BotDefinition, done: CheckedContinuation<Void, Never>?)
        case reconfigure(Environment, RestartPolicy.Settings, done: CheckedContinuation<Void, Never>?)
        case finish
    }

    public nonisolated let name: String
    /// The bot as configured (carries the token: never log it or return it).
    public internal(set) var definition: BotDefinition
    var environment: Environment
    let logger: Logger
    var lifecycle: WorkerLifecycle
    /// The state last announced (`setState`), for the `from` of the next change.
    var shownState: WorkerState = .stopped
    var shownGeneration: UInt64 = 0
    var process: ChildProcess?
    var connection: IPCConnection?
    var stopWaiters: [CheckedContinuation<Void, Never>] = []
    var metrics: WorkerMetrics?
    var metricsReceivedAt: ContinuousClock.Instant?
    var memorySample: (pid: pid_t, bytes: Int?, at: ContinuousClock.Instant)?
    /// The invalid-request allowance last sent, and to which worker.
    var sentAllowance: (generation: UInt64, value: Int)?

    let events: AsyncStream<Event>
    let continuation: AsyncStream<Event>.Continuation

    /// `lastIdentifyAt` is when a worker of this bot last identified (from SQLite, so the identify
    /// spacing holds across a daemon restart).
    public init(definition: BotDefinition, environment: Environment, restart: RestartPolicy.Settings,
                session: SessionState?, lastIdentifyAt: ContinuousClock.Instant? = nil, logger: Logger) {
        name = definition.name
        self.definition = definition
        self.environment = environment
        self.lifecycle = WorkerLifecycle(bot: definition.name, settings: environment.lifecycleSettings(restart: restart),
                                         session: session, lastIdentifyAt: lastIdentifyAt)
        self.logger = logger.with("bot", definition.name)
        (events, continuation) = AsyncStream.makeStream(of: Event.self)
    }

    // MARK: Commands (from ctl, the API, the fleet)

    public nonisolated func start() { continuation.yield(.start) }
    public nonisolated func restart() { continuation.yield(.restart) }
    /// Applies a new configuration (pushed to the worker, or by a restart); returns once the event loop took it.
    public func update(_ definition: BotDefinition) async {
        await withCheckedContinuation { done in continuation.yield(.configure(definition, done: done)) }
    }

    /// Applies reloaded settings (restart policy, heartbeats, Discord base URL); the next crash, tick
    /// and spawn use them. Returns once the event loop took them.
    public func reconfigure(_ environment: Environment, restart: RestartPolicy.Settings) async {
        await withCheckedContinuation { done in continuation.yield(.reconfigure(environment, restart, done: done)) }
    }

    /// Stops the worker and waits until its process is gone.
    public func stop(handover: Bool = false) async {
        await withCheckedContinuation { done in
            continuation.yield(.stop(handover: handover, done: done))
        }
    }

    /// Writes the session a replacement should resume (the newest position the worker reported) now, and
    /// returns once it is in SQLite: the daemon's own stop calls it after every worker handed its session over.
    public func persistSessionNow() async {
        guard let session = lifecycle.takeSessionForHandover() else { return }
        await environment.sessions.save(bot: name, session: session)
    }

    /// Ends the event loop (after `stop`).
    public nonisolated func finish() { continuation.yield(.finish) }

    /// Called by the IPC server once a worker said hello: hands the connection
    /// to the current incarnation, or returns false when `pid` is not it.
    package func attach(_ connection: IPCConnection, pid: pid_t) -> Bool {
        guard let process, process.pid == pid else { return false }
        continuation.yield(.attached(lifecycle.generation, connection))
        return true
    }

    /// Whether the worker asked for after `generation` (by `start`) has yet to say hello: not spawned yet, or spawned
    /// and silent (the fleet's start-up waves).
    package func awaitsHello(after generation: UInt64) -> Bool {
        lifecycle.generation == generation ? lifecycle.state == .stopped : lifecycle.state == .starting
    }

    public var pid: pid_t? { process?.pid }
    public var state: WorkerState { lifecycle.state.workerState }
    /// Counts spawns: a new value means a new worker process.
    public var generation: UInt64 { lifecycle.generation }

    /// Only what is true now: no uptime, RTT or memory without a process, never a negative uptime,
    /// and `reason` is why the bot is in its current state (`last_exit` keeps the history).
    public func status(now: ContinuousClock.Instant = .now) -> BotStatus {
        let live = lifecycle.state.hasProcess ? process : nil
        let shown = lifecycle.state.workerState
        let connected = [.connecting, .ready, .resuming].contains(shown)
        return BotStatus(name: name, state: shown, enabled: definition.enabled, pid: live?.pid,
                         uptimeSeconds: live == nil ? nil : lifecycle.startedAt.map { max(0, (now - $0).seconds) },
                         restarts: lifecycle.restarts, restartsInWindow: lifecycle.restartsInWindow(now: now),
                         lastExit: lifecycle.lastExit, reason: lifecycle.reason,
                         gatewayRTTMillis: connected ? metrics?.gatewayRTTMillis : nil,
                         memoryBytes: live.flatMap { residentBytes(pid: $0.pid, now: now) },
                         metrics: live == nil ? nil : metrics, config: BotConfigView(definition))
    }

    /// Recent exits and spawn failures, newest first, with their causes and what followed.
    public func recentExits() -> [BotExit] {
        lifecycle.exits.entries.reversed().map { BotExit($0, time: Self.unixMillis(of: $0.at)) }
    }

    /// Sends a message through the worker's rate-limited REST client (bulk messaging).
    /// Throws `BotNotRunning` when no worker is connected.
    public func sendMessage(_ message: SendMessage, timeout: Duration) async throws -> Reply {
        guard let connection, state == .ready || state == .resuming || state == .connecting else { throw BotNotRunning(state: state) }
        let envelope = try await connection.request(.sendMessage(message), timeout: timeout)
        guard case .reply(let reply) = envelope.message else { throw IPCError.closed }
        return reply
    }

    /// A GET to Discord with this bot's token, made by its worker through the worker's rate limiter, so it
    /// never competes with the bot's own calls for the same limits (reliability review, row 6d).
    /// Throws `BotNotRunning` when no worker is connected.
    public func discordGet(_ path: String, timeout: Duration) async throws -> (status: Int, body: [UInt8]) {
        guard let connection, state == .ready || state == .resuming || state == .connecting else { throw BotNotRunning(state: state) }
        let envelope = try await connection.request(.discordGet(DiscordGet(path: path)), timeout: timeout)
        guard case .reply(let reply) = envelope.message else { throw IPCError.closed }
        guard reply.ok, let status = reply.result?["status"].flatMap({ Int($0) }) else {
            throw FleetError(reply.errorCode ?? .discordUnreachable, reply.message ?? "the worker could not ask Discord")
        }
        return (status, Array((reply.result?["body"] ?? "").utf8))
    }

    /// The invalid-request figures of the current worker's last report: its count (10 minutes) and whether
    /// it holds its REST calls. nil without a connected worker.
    package var invalidRequestReport: (count: Int, paused: Bool)? {
        // After its first report: the worker then serves the supervisor (an allowance before its welcome would be lost).
        guard connection != nil, let metrics else { return nil }
        return (metrics.invalidRequests, metrics.restPaused ?? false)
    }

    /// Tells the worker how many invalid requests it may reach (`InvalidRequestBudget`); sent only on change.
    package func setInvalidRequestAllowance(_ allowance: Int) async {
        guard let connection else { return }
        if sentAllowance?.generation == lifecycle.generation, sentAllowance?.value == allowance { return }
        sentAllowance = (lifecycle.generation, allowance)
        logger.debug("invalid-request allowance", ["allowance": allowance])
        try? await connection.send(.invalidRequestAllowance(InvalidRequestAllowance(allowance: allowance)))
    }

    /// Brings a stock display up to date through the worker's rate-limited REST client.
    /// Throws `BotNotRunning` when no worker is connected.
    public func syncDisplay(_ sync: DisplaySync, timeout: Duration) async throws -> Reply {
        guard let connection, state == .ready || state == .resuming || state == .connecting else { throw BotNotRunning(state: state) }
        let envelope = try await connection.request(.syncDisplay(sync), timeout: timeout)
        guard case .reply(let reply) = envelope.message else { throw IPCError.closed }
        return reply
    }

    /// Gives the worker the listing its `/stock` command answers with (one-way; dropped when no worker is connected,
    /// the next hello brings a fresh one).
    public func sendStockListing(_ listing: StockListing) async {
        guard let connection else { return }
        try? await connection.send(.stockListing(listing))
    }

    /// Milliseconds since the worker's last gateway dispatch: its last report plus the time since.
    package func lastDispatchAgeMillis(now: ContinuousClock.Instant = .now) -> Double? {
        guard let age = metrics?.lastDispatchAgeMillis, let at = metricsReceivedAt else { return nil }
        return age + Double((now - at).milliseconds)
    }

    /// The worker's RSS, read from /proc at most once a second: health checks and scrapes can ask
    /// thousands of times a second, and each read is an open, read and close of a proc file.
    func residentBytes(pid: pid_t, now: ContinuousClock.Instant) -> Int? {
        if let sample = memorySample, sample.pid == pid, now - sample.at < .seconds(1) { return sample.bytes }
        let bytes = ProcessSampler.residentBytes(pid: pid)
        memorySample = (pid, bytes, now)
        return bytes
    }

    // MARK: The event loop

    public func run() async {
        await withDiscardingTaskGroup { group in
            for await event in events {
                if case .finish = event { break }
                handle(event, group: &group)
            }
            group.cancelAll()
        }
        for waiter in stopWaiters { waiter.resume() }
        stopWaiters.removeAll()
    }

    func handle(_ event: Event, group: inout DiscardingTaskGroup) {
        switch event {
        case .start:
            feed(.start, group: &group)
        case .restart:
            feed(.restart, group: &group)
        case .stop(let handover, let done):
            if let done { stopWaiters.append(done) }
            feed(.stop(handover: handover), group: &group)
        case .configure(let newDefinition, let done):
            defer { done?.resume() }
            // A session belongs to one token and keeps the intents it was identified with:
            // a new token or new intents need a fresh identify, not a resume.
            let needsIdentify = newDefinition.token != definition.token || newDefinition.intents != definition.intents
            definition = newDefinition
            feed(.configured(needsIdentify: needsIdentify, enabled: newDefinition.enabled), group: &group)
        case .reconfigure(let newEnvironment, let restart, let done):
            defer { done?.resume() }
            environment = newEnvironment
            feed(.settingsChanged(newEnvironment.lifecycleSettings(restart: restart)), group: &group)
        case .attached(let gen, let conn):
            let actions = lifecycle.handle(.attached(generation: gen), now: .now)
            if actions.contains(.closeConnection) {
                group.addTask { await conn.close() }
                return
            }
            connection = conn
            if let startedAt = lifecycle.startedAt {
                logger.debug("worker said hello", ["pid": process?.pid ?? 0, "after_ms": (ContinuousClock.now - startedAt).milliseconds])
            }
            perform(actions, group: &group)
        case .message(let gen, let envelope):
            guard gen == lifecycle.generation else { return }
            feed(.message(generation: gen, workerMessage(envelope.message)), group: &group)
        case .disconnected(let gen, let error):
            guard gen == lifecycle.generation else { return }
            if lifecycle.connected, case .running = lifecycle.state {
                logger.warning("worker IPC connection lost", ["error": error])
            }
            feed(.disconnected(generation: gen), group: &group)
        case .tick(let gen):
            feed(.tick(generation: gen), group: &group)
        case .timer(let timer, let epoch):
            feed(.timerFired(timer, epoch: epoch), group: &group)
        case .exited(let gen, let status):
            feed(.exited(generation: gen, status), group: &group)
        case .finish:
            break
        }
    }

    /// What the lifecycle reads from an IPC message; metrics are the driver's own.
    func workerMessage(_ message: IPCMessage) -> WorkerLifecycle.WorkerMessage {
        switch message {
        case .state(let report):
            // Only the states a running worker is in come from it; stopped and failed are the supervisor's to decide.
            guard let s = WorkerState(reported: report.state) else { return .other }
            return .state(s)
        case .session(let s): return .session(s)
        case .fatal(let report): return .fatal(report)
        case .commands(let batch): return .commands(batch.records)
        case .metrics(let m):
            metrics = m
            metricsReceivedAt = .now
            return .other
        case .heartbeat, .reply, .hello, .welcome, .configure, .ack, .stop, .sendMessage, .discordGet, .invalidRequestAllowance,
             .syncDisplay, .stockListing:
            return .other
        }
    }

    /// Runs `input` through the machine and performs its actions; inputs the actions produce (a spawn's
    /// outcome) are queued and run next, so a failing spawn can never recurse.
    func feed(_ input: WorkerLifecycle.Input, group: inout DiscardingTaskGroup) {
        var queue = [input]
        while !queue.isEmpty {
            let next = queue.removeFirst()
            let actions = lifecycle.handle(next, now: .now)
            queue += perform(actions, group: &group)
        }
    }
}
