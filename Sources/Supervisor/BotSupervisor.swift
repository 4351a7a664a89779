#if canImport(Glibc)
import Glibc
#endif
import Discord
import IOCore
import IPC
import Logging

/// Receives command records from workers; returns once they are durable.
public protocol CommandRecordSink: Sendable {
    func store(_ records: [CommandRecord]) async throws
}

/// Keeps the gateway session state of each bot so a replacement worker resumes.
public protocol SessionStore: Sendable {
    func save(bot: String, session: SessionState?) async
}

/// Runs one bot's worker: spawns it, hands it its configuration over IPC,
/// watches its heartbeats, and restarts it with the restart policy. All
/// lifecycle changes go through one event loop (`run`), so the state machine
/// is easy to follow; stale timers and exits carry a generation and drop
/// themselves when a newer incarnation exists.
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
        public var sessions: any SessionStore

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
    }

    enum Event: Sendable {
        case start
        case stop(handover: Bool, done: CheckedContinuation<Void, Never>?)
        case restart
        case exited(UInt64, ExitStatus)
        case attached(UInt64, IPCConnection)
        case message(UInt64, IPCEnvelope)
        case disconnected(UInt64, any Error)
        case backoffElapsed(UInt64)
        case tick(UInt64)
        case configure(BotDefinition, done: CheckedContinuation<Void, Never>?)
        case finish
    }

    public let name: String
    /// The bot as configured (carries the token: never log it or return it).
    public private(set) var definition: BotDefinition
    private var environment: Environment
    private let logger: Logger
    private var policy: RestartPolicy

    public private(set) var state: WorkerState = .stopped
    /// Counts spawns: a new value means a new worker process.
    public private(set) var generation: UInt64 = 0
    private var process: ChildProcess?
    private var connection: IPCConnection?
    private var session: SessionState?
    /// The session changed since it was last written to SQLite (writes are at most one per tick).
    private var sessionDirty = false
    /// When a worker of this bot last identified (a new session arrived): the next worker
    /// that must identify waits until 5 s have passed (Discord's identify rate limit).
    private var lastIdentifyAt: ContinuousClock.Instant?
    private var startedAt: ContinuousClock.Instant?
    private var lastHeard: ContinuousClock.Instant = .now
    private var stopRequestedAt: ContinuousClock.Instant?
    private var handoverRequested = false
    /// What to do once the current process is gone.
    private var afterExit: AfterExit = .restartByPolicy
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    private var restarts = 0
    private var lastExit: String?
    private var reason: String?
    private var metrics: WorkerMetrics?
    private var metricsReceivedAt: ContinuousClock.Instant?
    private var fatal: FatalReport?
    private var stateWaiters: [(WorkerState, CheckedContinuation<Void, Never>)] = []
    private var memorySample: (pid: pid_t, bytes: Int?, at: ContinuousClock.Instant)?

    enum AfterExit { case restartByPolicy, restartNow, stay }

    private let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation

    public init(definition: BotDefinition, environment: Environment, restart: RestartPolicy.Settings,
                session: SessionState?, logger: Logger) {
        name = definition.name
        self.definition = definition
        self.environment = environment
        self.policy = RestartPolicy(settings: restart)
        self.session = session
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

    /// Stops the worker and waits until its process is gone.
    public func stop(handover: Bool = false) async {
        await withCheckedContinuation { done in
            continuation.yield(.stop(handover: handover, done: done))
        }
    }

    /// Ends the event loop (after `stop`).
    public nonisolated func finish() { continuation.yield(.finish) }

    /// Called by the IPC server once a worker said hello: hands the connection
    /// to the current incarnation, or returns false when `pid` is not it.
    func attach(_ connection: IPCConnection, pid: pid_t) -> Bool {
        guard let process, process.pid == pid else { return false }
        continuation.yield(.attached(generation, connection))
        return true
    }

    public var pid: pid_t? { process?.pid }

    public func status(now: ContinuousClock.Instant = .now) -> BotStatus {
        BotStatus(name: name, state: state, enabled: definition.enabled, pid: process?.pid,
                  uptimeSeconds: startedAt.map { (now - $0).seconds },
                  restarts: restarts, restartsInWindow: policy.restartsInWindow(now: now), lastExit: lastExit,
                  reason: reason, gatewayRTTMillis: metrics?.gatewayRTTMillis,
                  memoryBytes: process.flatMap { residentBytes(pid: $0.pid, now: now) }, metrics: metrics,
                  config: BotConfigView(definition))
    }

    /// Sends a message through the worker's rate-limited REST client (bulk messaging).
    /// Throws `BotNotRunning` when no worker is connected.
    public func sendMessage(_ message: SendMessage, timeout: Duration) async throws -> Reply {
        guard let connection, state == .ready || state == .resuming || state == .connecting else { throw BotNotRunning(state: state) }
        let envelope = try await connection.request(.sendMessage(message), timeout: timeout)
        guard case .reply(let reply) = envelope.message else { throw IPCError.closed }
        return reply
    }

    /// Milliseconds since the worker's last gateway dispatch: its last report plus the time since.
    func lastDispatchAgeMillis(now: ContinuousClock.Instant = .now) -> Double? {
        guard let age = metrics?.lastDispatchAgeMillis, let at = metricsReceivedAt else { return nil }
        return age + Double((now - at).milliseconds)
    }

    /// The worker's RSS, read from /proc at most once a second: health checks and scrapes can ask
    /// thousands of times a second, and each read is an open, read and close of a proc file.
    private func residentBytes(pid: pid_t, now: ContinuousClock.Instant) -> Int? {
        if let sample = memorySample, sample.pid == pid, now - sample.at < .seconds(1) { return sample.bytes }
        let bytes = ProcessSampler.residentBytes(pid: pid)
        memorySample = (pid, bytes, now)
        return bytes
    }

    /// Waits until the bot reaches `target` (for tests and `ctl` waiting flags).
    public func waitFor(_ target: WorkerState) async {
        if state == target { return }
        await withCheckedContinuation { stateWaiters.append((target, $0)) }
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

    private func handle(_ event: Event, group: inout DiscardingTaskGroup) {
        switch event {
        case .start:
            reason = nil
            fatal = nil
            if state.needsOperator { policy.reset() }
            switch state {
            case .stopped, .failed, .authFailed, .configFailed, .backoff:
                spawn(group: &group)
            case .stopping:
                afterExit = .restartNow
            default:
                break
            }

        case .restart:
            reason = nil
            if process != nil {
                afterExit = .restartNow
                beginStop(handover: true, group: &group)
            } else {
                policy.reset()
                spawn(group: &group)
            }

        case .stop(let handover, let done):
            if let done { stopWaiters.append(done) }
            afterExit = .stay
            if !handover && session != nil {
                // The worker closes with 1000, which ends the session at Discord: the next start identifies.
                session = nil
                persistSession(group: &group)
            }
            if process != nil {
                beginStop(handover: handover, group: &group)
            } else {
                if state == .backoff || state == .starting { setState(.stopped) }
                resumeStopWaiters()
            }

        case .configure(let newDefinition, let done):
            defer { done?.resume() }
            // A session belongs to one token and keeps the intents it was identified with:
            // a new token or new intents need a fresh identify, not a resume.
            let needsIdentify = newDefinition.token != definition.token || newDefinition.intents != definition.intents
            definition = newDefinition
            if needsIdentify && session != nil {
                session = nil
                persistSession(group: &group)
            }
            if needsIdentify && process == nil && state.needsOperator && definition.enabled {
                // The operator fixed what Discord refused: try again.
                reason = nil
                fatal = nil
                policy.reset()
                spawn(group: &group)
            } else if process != nil {
                if needsIdentify {
                    afterExit = .restartNow
                    beginStop(handover: false, group: &group)
                } else if let connection {
                    let config = definition.workerConfig(apiBase: environment.apiBase, session: session)
                    group.addTask { try? await connection.send(.configure(config)) }
                }
            }

        case .attached(let gen, let conn):
            guard gen == generation else { group.addTask { await conn.close() }; return }
            connection = conn
            lastHeard = .now
            var config = definition.workerConfig(apiBase: environment.apiBase, session: session)
            if session == nil, let last = lastIdentifyAt {
                let wait = GatewayLimits.identifySpacing - (ContinuousClock.now - last)
                if wait > .zero { config.identifyDelayMilliseconds = Int(wait.milliseconds) + 1 }
            }
            group.addTask { [continuation] in
                do {
                    try await conn.send(.welcome(Welcome(config: config)))
                    while true {
                        let envelope = try await conn.receive()
                        continuation.yield(.message(gen, envelope))
                    }
                } catch {
                    continuation.yield(.disconnected(gen, error))
                }
            }

        case .message(let gen, let envelope):
            guard gen == generation else { return }
            lastHeard = .now
            handle(message: envelope, group: &group)

        case .disconnected(let gen, let error):
            guard gen == generation else { return }
            if stopRequestedAt == nil, process != nil { logger.warning("worker IPC connection lost", ["error": error]) }
            connection = nil

        case .tick(let gen):
            if sessionDirty { persistSession(group: &group) }
            guard gen == generation, let process else { return }
            let now = ContinuousClock.now
            if let since = stopRequestedAt {
                if now - since >= environment.stopTimeout {
                    logger.warning("worker did not stop in time; killing it", ["pid": process.pid])
                    process.signalGroup(SIGKILL)
                }
            } else if state != .starting || connection != nil {
                if now - lastHeard > environment.heartbeatTimeout {
                    logger.error("worker missed its IPC heartbeats; killing it", ["pid": process.pid])
                    process.signalGroup(SIGKILL)
                } else if let connection {
                    group.addTask { try? await connection.send(.heartbeat) }
                }
            } else if let startedAt, now - startedAt > environment.helloTimeout {
                logger.error("worker never said hello; killing it", ["pid": process.pid])
                process.signalGroup(SIGKILL)
            }

        case .exited(let gen, let status):
            guard gen == generation else { return }
            exited(status, group: &group)

        case .backoffElapsed(let gen):
            guard gen == generation, state == .backoff else { return }
            spawn(group: &group)

        case .finish:
            break
        }
    }

    private func handle(message envelope: IPCEnvelope, group: inout DiscardingTaskGroup) {
        switch envelope.message {
        case .state(let report):
            if stopRequestedAt == nil, let s = WorkerState(rawValue: report.state), [.connecting, .ready, .resuming].contains(s) {
                // Ready, not from resuming: the worker identified (its session report may come later).
                if s == .ready && state != .resuming { lastIdentifyAt = .now }
                setState(s)
            }
        case .session(let s):
            // A session reported while the worker closes it for good (a stop without handover) is already over.
            if stopRequestedAt != nil && !handoverRequested { return }
            // Kept in memory at once (a replacement worker gets it); written to SQLite on the next tick,
            // or at once for a new session, so a busy gateway does not cost a transaction per event.
            let isNew = s.sessionID != session?.sessionID
            if isNew { lastIdentifyAt = .now }
            session = s
            sessionDirty = true
            if isNew { persistSession(group: &group) }
        case .metrics(let m):
            metrics = m
            metricsReceivedAt = .now
        case .fatal(let report):
            fatal = report
        case .commands(let batch):
            guard let connection else { return }
            let sink = environment.records, log = logger
            group.addTask {
                do {
                    try await sink.store(batch.records)
                    // Acknowledge only after the commit: the worker resends anything unacknowledged.
                    try await connection.send(.ack(Ack(ids: batch.records.map(\.id))))
                } catch {
                    log.error("storing command records failed; the worker will resend them", ["error": error])
                }
            }
        case .heartbeat, .reply, .hello, .welcome, .configure, .ack, .stop, .sendMessage:
            break
        }
    }

    private func spawn(group: inout DiscardingTaskGroup) {
        generation += 1
        let gen = generation
        stopRequestedAt = nil
        handoverRequested = false
        afterExit = .restartByPolicy
        connection = nil
        metrics = nil
        let child: ChildProcess
        do {
            child = try ChildProcess(path: environment.workerPath,
                                     arguments: environment.workerArguments + ["--ipc", environment.ipcSocketPath, "--bot", name],
                                     environment: environment.workerEnvironment)
        } catch {
            logger.error("cannot spawn the worker", ["error": error])
            lastExit = "spawn failed: \(error)"
            exited(.exited(127), group: &group, spawnFailed: true)
            return
        }
        process = child
        startedAt = .now
        lastHeard = .now
        setState(.starting)
        logger.info("worker spawned", ["pid": child.pid])
        let events = continuation
        group.addTask {
            let status = (try? await child.waitForExit()) ?? .exited(-1)
            events.yield(.exited(gen, status))
        }
        if let output = child.output {
            let log = logger.with("pid", child.pid)
            group.addTask { await WorkerOutput.forward(output, to: log) }
        }
        let interval = min(environment.heartbeatInterval, .seconds(1))
        group.addTask {
            while !Task.isCancelled {
                do { try await Reactor.shared.sleep(until: .now + interval) } catch { return }
                guard await self.isCurrent(gen) else { return }
                events.yield(.tick(gen))
            }
        }
    }

    private func isCurrent(_ gen: UInt64) -> Bool { gen == generation && process != nil }

    private func persistSession(group: inout DiscardingTaskGroup) {
        sessionDirty = false
        let sessions = environment.sessions, bot = name, snapshot = session
        group.addTask { await sessions.save(bot: bot, session: snapshot) }
    }

    private func beginStop(handover: Bool, group: inout DiscardingTaskGroup) {
        guard let process, stopRequestedAt == nil else { return }
        stopRequestedAt = .now
        handoverRequested = handover
        setState(.stopping)
        logger.info(handover ? "stopping worker, handing its session over" : "stopping worker", ["pid": process.pid])
        if let connection {
            group.addTask {
                // Ask first; SIGTERM makes a worker that cannot hear us drain too.
                try? await connection.send(.stop(Stop(handover: handover)))
                try? await Reactor.shared.sleep(until: .now + .milliseconds(200))
                process.signal(SIGTERM)
            }
        } else {
            process.signal(SIGTERM)
        }
    }

    private func exited(_ status: ExitStatus, group: inout DiscardingTaskGroup, spawnFailed: Bool = false) {
        let ranFor = startedAt.map { ContinuousClock.now - $0 } ?? .zero
        let wasStopping = stopRequestedAt != nil
        if let process {
            // The group dies with its leader: no orphaned grandchildren.
            process.signalGroup(SIGKILL)
        }
        process = nil
        connection = nil
        stopRequestedAt = nil
        lastExit = status.description
        logger.info("worker exited", ["status": status, "ran_s": ranFor.seconds])

        if case .exited(let code) = status, code == WorkerExitCode.authFailed || code == WorkerExitCode.configFailed {
            let auth = code == WorkerExitCode.authFailed
            reason = fatal.map { "Discord closed the gateway with \($0.closeCode): \($0.reason)" }
                ?? (auth ? "Discord rejected the token (gateway close 4004)" : "Discord rejected the configuration (gateway close 4010-4014)")
            // A refused token or configuration never becomes valid by retrying: wait for an operator.
            session = nil
            let sessions = environment.sessions, bot = name
            group.addTask { await sessions.save(bot: bot, session: nil) }
            logger.error(auth ? "token rejected; not restarting" : "configuration rejected; not restarting", ["reason": reason ?? ""])
            setState(auth ? .authFailed : .configFailed)
            resumeStopWaiters()
            return
        }

        switch afterExit {
        case .stay:
            setState(.stopped)
            startedAt = nil
            resumeStopWaiters()
        case .restartNow:
            resumeStopWaiters()
            spawn(group: &group)
        case .restartByPolicy:
            if wasStopping {
                setState(.stopped)
                resumeStopWaiters()
                return
            }
            let decision = policy.workerExited(startedAt: startedAt ?? .now, now: .now, random: Double.random(in: 0..<1))
            switch decision {
            case .restart(let after) where after < .milliseconds(1):
                // No backoff configured: restart at once, no timer round trip.
                restarts += 1
                logger.notice("restarting at once")
                spawn(group: &group)
            case .restart(let after):
                restarts += 1
                setState(.backoff)
                let gen = generation, events = continuation
                logger.notice("restarting after backoff", ["backoff_ms": after.milliseconds])
                group.addTask {
                    do { try await Reactor.shared.sleep(until: .now + after) } catch { return }
                    events.yield(.backoffElapsed(gen))
                }
            case .giveUp(let why):
                reason = "crash loop: \(why)"
                logger.error("restart budget spent; the bot is failed until started by hand", ["why": why])
                setState(.failed)
            }
        }
    }

    private func resumeStopWaiters() {
        for waiter in stopWaiters { waiter.resume() }
        stopWaiters.removeAll()
    }

    private func setState(_ new: WorkerState) {
        guard new != state else { return }
        logger.info("state \(state.rawValue) -> \(new.rawValue)")
        state = new
        stateWaiters.removeAll { target, waiter in
            if target == new { waiter.resume(); return true }
            return false
        }
    }
}

/// The bot has no connected worker to do what was asked.
public struct BotNotRunning: Error {
    public var state: WorkerState
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
