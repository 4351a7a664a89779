#if canImport(Glibc)
import Glibc
#endif
import Discord
import IOCore
import IPC
import Logging

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
        /// Where each bot's recent worker output is kept for `botvisorctl logs`.
        public var output = WorkerOutputLogs()
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

    package enum Event: Sendable {
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
    public internal(set) var definition: BotDefinition
    var environment: Environment
    let logger: Logger
    var policy: RestartPolicy

    public internal(set) var state: WorkerState = .stopped
    /// Counts spawns: a new value means a new worker process.
    public internal(set) var generation: UInt64 = 0
    var process: ChildProcess?
    var connection: IPCConnection?
    var session: SessionState?
    /// The session changed since it was last written to SQLite (writes are at most one per tick).
    var sessionDirty = false
    /// When a worker of this bot last identified (a new session arrived): the next worker
    /// that must identify waits until 5 s have passed (Discord's identify rate limit).
    var lastIdentifyAt: ContinuousClock.Instant?
    var startedAt: ContinuousClock.Instant?
    var lastHeard: ContinuousClock.Instant = .now
    var stopRequestedAt: ContinuousClock.Instant?
    var handoverRequested = false
    /// What to do once the current process is gone.
    var afterExit: AfterExit = .restartByPolicy
    var stopWaiters: [CheckedContinuation<Void, Never>] = []
    var restarts = 0
    var lastExit: String?
    var reason: String?
    var metrics: WorkerMetrics?
    var metricsReceivedAt: ContinuousClock.Instant?
    var fatal: FatalReport?
    var memorySample: (pid: pid_t, bytes: Int?, at: ContinuousClock.Instant)?

    package enum AfterExit { case restartByPolicy, restartNow, stay }

    let events: AsyncStream<Event>
    let continuation: AsyncStream<Event>.Continuation

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
    package func attach(_ connection: IPCConnection, pid: pid_t) -> Bool {
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
}
