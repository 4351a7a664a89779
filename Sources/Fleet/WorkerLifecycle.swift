#if canImport(Glibc)
import Glibc
#endif
import Discord
import IOCore
import IPC

/// One bot's worker lifecycle as a plain state machine: it takes inputs (commands from an operator,
/// what the process and its IPC connection did, timers) with the time they happened and returns the
/// actions a driver performs (`BotSupervisor`). It never blocks, spawns or sleeps, so every transition is
/// unit-tested with an injected clock (`WorkerLifecycleTests`).
///
/// Stale inputs drop themselves: exits, ticks and IPC traffic carry the worker's `generation` (one per
/// spawn), timers carry the `epoch` they were scheduled in.
///
/// Spawn failures (binary missing, EMFILE, EAGAIN) are not crashes: they never touch the restart budget,
/// they retry on their own backoff (`spawnRetryInitial` doubling up to `spawnRetryMaximum`, never zero, so a
/// missing binary cannot spin), and the bot shows `backoff` with the reason "cannot spawn the worker ...".
public struct WorkerLifecycle: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// What to do once the current process is gone.
    enum AfterExit: Sendable { case restartByPolicy, restartNow, stay }

    public let bot: String
    public private(set) var settings: Settings
    public private(set) var state: State = .stopped
    /// Counts spawns: a new value means a new worker process.
    public private(set) var generation: UInt64 = 0
    public private(set) var session: SessionState?
    /// The session changed since it was last written (written at most once per tick, or before records).
    public private(set) var sessionDirty = false
    /// When a worker of this bot last identified: the next identify waits for Discord's spacing.
    public private(set) var lastIdentifyAt: Instant?
    /// When the current process was spawned.
    public private(set) var startedAt: Instant?
    public private(set) var lastHeard: Instant?
    public private(set) var connected = false
    /// Restarts by the policy since the daemon started.
    public private(set) var restarts = 0
    /// The last exit, kept as history.
    public private(set) var lastExit: String?
    /// Why the bot is in its current state (failed, refused, cannot spawn); cleared once it runs.
    public private(set) var reason: String?
    /// Recent exits and spawn failures, with their causes and what followed.
    public private(set) var exits = ExitHistory()
    /// Why this side killed the current worker (missed heartbeats, hello or stop deadline), for its exit entry.
    private var killedFor: String?
    public private(set) var policy: RestartPolicy
    public private(set) var epoch: UInt64 = 0
    private var afterExit: AfterExit = .restartByPolicy
    private var fatal: FatalReport?
    private var spawnFailures = 0
    /// Workers in a row that never got their welcome (`WorkerExitCode.supervisorUnreachable`, or killed here
    /// for a missed hello): start-up failures, retried on the spawn backoff, never crashes.
    private var startFailures = 0
    /// The current worker was killed for a missed hello.
    private var helloMissed = false
    private let random: @Sendable () -> Double

    public init(bot: String, settings: Settings, session: SessionState? = nil, lastIdentifyAt: Instant? = nil,
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.bot = bot
        self.settings = settings
        self.session = session
        self.lastIdentifyAt = lastIdentifyAt
        self.policy = RestartPolicy(settings: settings.restart)
        self.random = random
    }

    public func restartsInWindow(now: Instant) -> Int { policy.restartsInWindow(now: now) }

    /// The session to write before the daemon exits: the one a replacement would resume, when there is one
    /// (a stop without handover or a refused token cleared it). Marks it written.
    public mutating func takeSessionForHandover() -> SessionState? {
        sessionDirty = false
        return session
    }

    // MARK: Transitions

    public mutating func handle(_ input: Input, now: Instant) -> [Action] {
        switch input {
        case .start:
            reason = nil
            fatal = nil
            // Asked by hand: a spawn that failed before is tried at once and its backoff starts over.
            spawnFailures = 0
            startFailures = 0
            if state.workerState.needsOperator { policy.reset() }
            switch state {
            case .stopped, .failed, .authFailed, .configFailed, .backoff, .spawnRetry:
                return spawn()
            case .stopping:
                afterExit = .restartNow
                return []
            case .starting, .running:
                // Already on its way: a second start does not spawn a second worker.
                return []
            }

        case .restart:
            reason = nil
            spawnFailures = 0
            startFailures = 0
            switch state {
            case .starting, .running:
                afterExit = .restartNow
                return beginStop(handover: true, now: now)
            case .stopping:
                afterExit = .restartNow
                return []
            default:
                policy.reset()
                return spawn()
            }

        case .stop(let handover):
            afterExit = .stay
            var actions: [Action] = []
            if !handover && session != nil {
                // The worker closes with 1000, which ends the session at Discord: the next start identifies.
                session = nil
                sessionDirty = false
                actions.append(.persistSession(nil))
            }
            switch state {
            case .starting, .running:
                return actions + beginStop(handover: handover, now: now)
            case .stopping:
                return actions
            case .backoff, .spawnRetry:
                epoch &+= 1
                reason = nil
                return actions + set(.stopped) + [.stopCompleted]
            case .stopped, .failed, .authFailed, .configFailed:
                return actions + [.stopCompleted]
            }

        case .configured(let needsIdentify, let enabled):
            var actions: [Action] = []
            // A session belongs to one token and keeps the intents it was identified with.
            if needsIdentify && session != nil {
                session = nil
                sessionDirty = false
                actions.append(.persistSession(nil))
            }
            if needsIdentify && !state.hasProcess && state.workerState.needsOperator && enabled {
                // The operator fixed what Discord refused: try again.
                reason = nil
                fatal = nil
                policy.reset()
                return actions + spawn()
            }
            guard state.hasProcess else { return actions }
            if needsIdentify {
                afterExit = .restartNow
                return actions + beginStop(handover: false, now: now)
            }
            if connected, case .running = state { actions.append(.sendConfiguration(session: session)) }
            return actions

        case .spawned(let gen):
            guard gen == generation else { return [] }
            state = .starting
            startedAt = now
            lastHeard = now
            connected = false
            spawnFailures = 0
            helloMissed = false
            killedFor = nil
            return [.setState(.starting), .report(.spawned), .startTicks(generation: gen)]

        case .spawnFailed(let gen, let why):
            guard gen == generation else { return [] }
            spawnFailures += 1
            let delay = spawnRetryDelay(failures: spawnFailures)
            reason = why
            state = .spawnRetry(until: now + delay)
            epoch &+= 1
            exits.append(.init(at: now, generation: gen, status: nil, ranFor: .zero, cause: "cannot spawn the worker",
                               outcome: .startRetry, backoff: delay, reason: why))
            return [.setState(.backoff), .report(.spawnFailed(reason: why, retryAfter: delay)),
                    .schedule(.spawnRetry, after: delay, epoch: epoch)]

        case .attached(let gen):
            guard gen == generation, state == .starting else { return [.closeConnection] }
            state = .running(reported: .starting)
            connected = true
            lastHeard = now
            startFailures = 0
            var delay: Duration?
            if session == nil, let last = lastIdentifyAt {
                let wait = GatewayLimits.identifySpacing - (now - last)
                if wait > .zero { delay = wait + .milliseconds(1) }
            }
            return [.sendWelcome(session: session, identifyDelay: delay)]

        case .message(let gen, let message):
            guard gen == generation, state.hasProcess else { return [] }
            lastHeard = now
            return received(message, now: now)

        case .disconnected(let gen):
            guard gen == generation, connected else { return [] }
            connected = false
            if case .running = state { return [.dropConnection, .report(.connectionLost)] }
            return [.dropConnection]

        case .tick(let gen):
            var actions: [Action] = []
            if sessionDirty {
                sessionDirty = false
                actions.append(.persistSession(session))
            }
            guard gen == generation else { return actions }
            switch state {
            case .stopping(let since, _):
                if now - since >= settings.stopTimeout {
                    killedFor = "did not stop within \(settings.stopTimeout.seconds) s"
                    actions += [.report(.stopTimedOut), .signal(SIGKILL, group: true)]
                }
            case .running:
                if let lastHeard, now - lastHeard > settings.heartbeatTimeout {
                    killedFor = "missed its IPC heartbeats for \(settings.heartbeatTimeout.seconds) s"
                    actions += [.report(.heartbeatMissed), .signal(SIGKILL, group: true)]
                } else if connected {
                    actions.append(.sendHeartbeat)
                }
            case .starting:
                if let startedAt, now - startedAt > settings.helloTimeout, !helloMissed {
                    helloMissed = true
                    killedFor = "did not say hello within \(settings.helloTimeout.seconds) s"
                    actions += [.report(.helloMissed), .signal(SIGKILL, group: true)]
                }
            default:
                break
            }
            return actions

        case .timerFired(let timer, let firedEpoch):
            guard firedEpoch == epoch else { return [] }
            switch (timer, state) {
            case (.restart, .backoff), (.spawnRetry, .spawnRetry):
                return spawn()
            case (.terminate, .stopping):
                return [.signal(SIGTERM, group: false)]
            default:
                return []
            }

        case .exited(let gen, let status):
            guard gen == generation, state.hasProcess else { return [] }
            let ranFor = startedAt.map { now - $0 } ?? .zero
            var cause = killedFor
            if cause == nil, case .stopping = state { cause = afterExit == .restartNow ? "restart requested" : "stop requested" }
            let actions = exited(status, now: now)
            let (outcome, backoff) = outcome(after: actions, now: now)
            exits.append(.init(at: now, generation: gen, status: status, ranFor: ranFor, cause: cause,
                               outcome: outcome, backoff: backoff, reason: reason))
            return actions

        case .settingsChanged(let new):
            settings = new
            policy.settings = new.restart
            return []
        }
    }

    private mutating func received(_ message: WorkerMessage, now: Instant) -> [Action] {
        let stopping: Bool, handover: Bool
        if case .stopping(_, let h) = state { (stopping, handover) = (true, h) } else { (stopping, handover) = (false, false) }
        switch message {
        case .state(let reported):
            guard !stopping, [.connecting, .ready, .resuming].contains(reported), case .running(let before) = state else { return [] }
            guard reported != before else { return [] }
            var actions: [Action] = []
            // Ready, not from resuming: the worker identified (its session report may come later).
            if reported == .ready && before != .resuming {
                lastIdentifyAt = now
                actions.append(.persistIdentify(now))
            }
            // The bot runs again: a past failure is history (`lastExit`), not its current reason.
            if reported == .ready { reason = nil }
            state = .running(reported: reported)
            return actions + [.setState(reported)]
        case .session(let s):
            // A session reported while the worker closes it for good (a stop without handover) is already over.
            if stopping && !handover { return [] }
            let isNew = s.sessionID != session?.sessionID
            session = s
            guard isNew else {
                // Kept in memory at once (a replacement gets it); written on the next tick or before records.
                sessionDirty = true
                return []
            }
            sessionDirty = false
            lastIdentifyAt = now
            return [.persistSession(s), .persistIdentify(now)]
        case .fatal(let report):
            fatal = report
            return []
        case .commands(let records):
            // A worker writes only its own bot's log (reliability review, row 9).
            let own = records.filter { $0.bot == bot }
            var actions: [Action] = []
            if own.count != records.count {
                let mine = bot
                let others = Set(records.filter { $0.bot != mine }.map(\.bot)).sorted()
                actions.append(.report(.foreignRecords(count: records.count - own.count, bots: others)))
            }
            // The gateway position first: a record is never durable while the events before it could replay.
            let sessionFirst = sessionDirty ? session : nil
            if sessionDirty { sessionDirty = false }
            // Foreign records are acknowledged too: they are refused for good, a resend would not change that.
            actions.append(.storeRecords(own, acknowledge: records.map(\.id), sessionFirst: sessionFirst))
            return actions
        case .other:
            return []
        }
    }

    private mutating func spawn() -> [Action] {
        generation += 1
        afterExit = .restartByPolicy
        fatal = nil
        connected = false
        epoch &+= 1
        return [.spawn(generation: generation)]
    }

    private mutating func beginStop(handover: Bool, now: Instant) -> [Action] {
        guard state.hasProcess else { return [] }
        if case .stopping = state { return [] }
        let wasConnected = connected
        state = .stopping(since: now, handover: handover)
        var actions: [Action] = [.setState(.stopping), .report(.stopping(handover: handover))]
        if wasConnected {
            // Ask first; SIGTERM makes a worker that cannot hear us drain too.
            epoch &+= 1
            actions += [.sendStop(handover: handover), .schedule(.terminate, after: settings.stopGrace, epoch: epoch)]
        } else {
            actions.append(.signal(SIGTERM, group: false))
        }
        return actions
    }

    private mutating func exited(_ status: ExitStatus, now: Instant) -> [Action] {
        let ranFor = startedAt.map { now - $0 } ?? .zero
        let neverWelcomed = state == .starting
        var wasStopping = false, handedOver = false
        if case .stopping(_, let handover) = state { (wasStopping, handedOver) = (true, handover) }
        connected = false
        lastExit = status.description
        epoch &+= 1
        // The group dies with its leader: no orphaned grandchildren.
        var actions: [Action] = [.signal(SIGKILL, group: true), .releaseProcess, .dropConnection, .report(.exited(status, ranFor: ranFor))]
        if handedOver && session != nil { actions.append(.report(.sessionHandedOver)) }

        if case .exited(let code) = status, code == WorkerExitCode.authFailed || code == WorkerExitCode.configFailed {
            let auth = code == WorkerExitCode.authFailed
            reason = fatal.map(Self.describe)
                ?? (auth ? "Discord rejected the token (gateway close 4004)" : "Discord rejected the configuration (gateway close 4010-4014)")
            // A refused token or configuration never becomes valid by retrying: wait for an operator.
            session = nil
            sessionDirty = false
            state = auth ? .authFailed : .configFailed
            startedAt = nil
            return actions + [.persistSession(nil), .report(.refused(reason: reason ?? "", auth: auth)),
                              .setState(state.workerState), .stopCompleted]
        }

        switch afterExit {
        case .stay:
            return actions + stoppedForGood()
        case .restartNow:
            return actions + [.stopCompleted] + spawn()
        case .restartByPolicy:
            if wasStopping { return actions + stoppedForGood() }
            if neverWelcomed, status == .exited(WorkerExitCode.supervisorUnreachable) || helloMissed {
                return actions + retryStart(now: now)
            }
            switch policy.workerExited(startedAt: startedAt ?? now, now: now, random: random()) {
            case .restart(let after) where after < .milliseconds(1):
                // The first crash after a healthy run, or no backoff configured: at once, no timer round trip.
                // No recursion either: a failing spawn comes back as `.spawnFailed`, which always waits.
                restarts += 1
                return actions + [.report(.restartingAtOnce)] + spawn()
            case .restart(let after):
                restarts += 1
                state = .backoff(until: now + after)
                startedAt = nil
                return actions + [.setState(.backoff), .report(.restartingAfter(after)),
                                  .schedule(.restart, after: after, epoch: epoch)]
            case .giveUp(let why):
                reason = "crash loop: \(why)"
                state = .failed
                startedAt = nil
                return actions + [.report(.gaveUp(reason: why)), .setState(.failed)]
            }
        }
    }

    /// What `exited` decided, read from its actions and the state it left.
    private func outcome(after actions: [Action], now: Instant) -> (ExitHistory.Outcome, Duration?) {
        if actions.contains(where: { if case .spawn = $0 { true } else { false } }) { return (.restarted, nil) }
        switch state {
        case .backoff(let until): return (.backoff, until - now)
        case .spawnRetry(let until): return (.startRetry, until - now)
        case .failed: return (.failed, nil)
        case .authFailed: return (.authFailed, nil)
        case .configFailed: return (.configFailed, nil)
        default: return (.stopped, nil)
        }
    }

    /// A worker that never got its welcome (botvisord busy starting many at once, or its hello lost): tried again on
    /// the spawn backoff, in `backoff` with a reason, and the restart budget stays for real crashes.
    private mutating func retryStart(now: Instant) -> [Action] {
        startFailures += 1
        let delay = spawnRetryDelay(failures: startFailures)
        let why = helloMissed ? "the worker did not say hello within \(settings.helloTimeout.seconds) s"
                              : "the worker got no welcome from botvisord"
        reason = why
        state = .spawnRetry(until: now + delay)
        startedAt = nil
        return [.setState(.backoff), .report(.startFailed(reason: why, retryAfter: delay)),
                .schedule(.spawnRetry, after: delay, epoch: epoch)]
    }

    private mutating func stoppedForGood() -> [Action] {
        state = .stopped
        startedAt = nil
        return [.setState(.stopped), .stopCompleted]
    }

    private mutating func set(_ new: State) -> [Action] {
        state = new
        return [.setState(new.workerState)]
    }
}
