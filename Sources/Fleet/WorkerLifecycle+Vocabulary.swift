#if canImport(Glibc)
import Glibc
#endif
import IOCore
import IPC

// The words the lifecycle machine speaks: its settings, states, inputs, actions and reports.
extension WorkerLifecycle {
    /// What the machine needs from the configuration; replaced on reload.
    public struct Settings: Sendable, Equatable {
        public var restart: RestartPolicy.Settings
        /// A worker silent for this long is killed (and restarted by the policy).
        public var heartbeatTimeout: Duration
        /// From the stop request to SIGKILL.
        public var stopTimeout: Duration
        /// How long a spawned worker has to say hello; one that does not is killed and started again on the spawn
        /// backoff (not a crash).
        public var helloTimeout: Duration = .seconds(15)
        /// From the IPC stop message to SIGTERM: a worker that hears us drains by itself.
        public var stopGrace: Duration = .milliseconds(200)
        /// The first retry after a failed spawn; doubles per failure in a row up to `spawnRetryMaximum`.
        public var spawnRetryInitial: Duration = .milliseconds(100)
        public var spawnRetryMaximum: Duration = .seconds(10)

        public init(restart: RestartPolicy.Settings = .init(), heartbeatTimeout: Duration = .seconds(10),
                    stopTimeout: Duration = .seconds(10)) {
            self.restart = restart
            self.heartbeatTimeout = heartbeatTimeout
            self.stopTimeout = stopTimeout
        }
    }

    /// Where the worker is. A process exists exactly in `starting`, `running` and `stopping`.
    public enum State: Sendable, Equatable {
        /// No process, none wanted.
        case stopped
        /// Spawned; no hello yet.
        case starting
        /// Said hello; `reported` is the worker's own word (starting until it reports connecting).
        case running(reported: WorkerState)
        /// Asked to stop; `since` bounds the wait before SIGKILL.
        case stopping(since: Instant, handover: Bool)
        /// Crashed; restarts when the `.restart` timer fires.
        case backoff(until: Instant)
        /// The spawn itself failed; tries again when the `.spawnRetry` timer fires.
        case spawnRetry(until: Instant)
        /// Crash loop: the restart budget is spent.
        case failed
        case authFailed
        case configFailed

        /// The word shown everywhere (ctl, API, metrics).
        public var workerState: WorkerState {
            switch self {
            case .stopped: .stopped
            case .starting: .starting
            case .running(let reported): reported
            case .stopping: .stopping
            case .backoff, .spawnRetry: .backoff
            case .failed: .failed
            case .authFailed: .authFailed
            case .configFailed: .configFailed
            }
        }

        public var hasProcess: Bool {
            switch self {
            case .starting, .running, .stopping: true
            default: false
            }
        }
    }

    public enum Timer: Sendable, Equatable {
        /// The crash backoff elapsed.
        case restart
        /// The spawn-failure backoff elapsed.
        case spawnRetry
        /// The grace after the IPC stop message elapsed: SIGTERM.
        case terminate
    }

    public enum Input: Sendable, Equatable {
        case start
        case stop(handover: Bool)
        case restart
        /// The bot's configuration changed; `needsIdentify` when the token or intents did.
        case configured(needsIdentify: Bool, enabled: Bool)
        case spawned(generation: UInt64)
        /// `reason` names the binary and the error ("cannot spawn the worker at PATH: ...").
        case spawnFailed(generation: UInt64, reason: String)
        /// The worker said hello on the IPC socket.
        case attached(generation: UInt64)
        case message(generation: UInt64, WorkerMessage)
        case disconnected(generation: UInt64)
        case exited(generation: UInt64, ExitStatus)
        /// The heartbeat tick of a worker generation (about once a second).
        case tick(generation: UInt64)
        case timerFired(Timer, epoch: UInt64)
        case settingsChanged(Settings)
    }

    /// What the lifecycle reads from a worker's IPC messages.
    public enum WorkerMessage: Sendable, Equatable {
        case state(WorkerState)
        case session(SessionState)
        case fatal(FatalReport)
        case commands([CommandRecord])
        /// Anything else (heartbeats, metrics, replies): proof of life only.
        case other
    }

    public enum Action: Sendable, Equatable {
        case spawn(generation: UInt64)
        /// Signal the worker (the whole process group when `group`).
        case signal(Int32, group: Bool)
        case sendWelcome(session: SessionState?, identifyDelay: Duration?)
        case sendConfiguration(session: SessionState?)
        case sendStop(handover: Bool)
        case sendHeartbeat
        /// The connection of a stale generation: close it.
        case closeConnection
        /// The current connection is gone.
        case dropConnection
        /// The worker process is gone (reaped): forget it.
        case releaseProcess
        /// Start the heartbeat ticks of this generation.
        case startTicks(generation: UInt64)
        case persistSession(SessionState?)
        /// A worker identified at this instant (kept across daemon restarts: Discord's identify spacing).
        case persistIdentify(Instant)
        /// Store `records` (the session first, when given), then acknowledge `acknowledge`.
        case storeRecords([CommandRecord], acknowledge: [String], sessionFirst: SessionState?)
        case schedule(Timer, after: Duration, epoch: UInt64)
        case setState(WorkerState)
        /// Wake whoever waits for the stop to finish.
        case stopCompleted
        case report(Report)
    }

    /// Events worth a log line and a fleet event.
    public enum Report: Sendable, Equatable {
        case spawned
        case spawnFailed(reason: String, retryAfter: Duration)
        /// The worker never got its welcome (`retryAfter` is the spawn backoff; not a crash).
        case startFailed(reason: String, retryAfter: Duration)
        case exited(ExitStatus, ranFor: Duration)
        case restartingAtOnce
        case restartingAfter(Duration)
        case gaveUp(reason: String)
        case refused(reason: String, auth: Bool)
        case stopping(handover: Bool)
        case heartbeatMissed
        case helloMissed
        case stopTimedOut
        case connectionLost
        /// A `.commands` batch carried records of other bots; they were dropped.
        case foreignRecords(count: Int, bots: [String])
        case sessionHandedOver
    }
}

extension WorkerLifecycle {
    /// `spawnRetryInitial` doubling per failure in a row up to `spawnRetryMaximum`, never under 10 ms.
    func spawnRetryDelay(failures: Int) -> Duration {
        var delay = settings.spawnRetryInitial * (1 << min(failures - 1, 20))
        if delay > settings.spawnRetryMaximum { delay = settings.spawnRetryMaximum }
        // Never zero: a persistent failure must not spin, whatever the restart settings say.
        if delay < .milliseconds(10) { delay = .milliseconds(10) }
        return delay
    }

    /// The worker's own sentence when it wrote one ("Discord closed the gateway with 4004 (...)"), else ours:
    /// never the same words twice.
    static func describe(_ report: FatalReport) -> String {
        if report.reason.hasPrefix("Discord ") { return report.reason }
        if report.reason.isEmpty { return "Discord closed the gateway with \(report.closeCode)" }
        return "Discord closed the gateway with \(report.closeCode): \(report.reason)"
    }
}
