#if canImport(Glibc)
import Glibc
#endif
import Testing
import IOCore
import IPC
@testable import Fleet

/// The worker lifecycle, transition by transition, with an injected clock and random source.
@Suite struct WorkerLifecycleTests {
    let t0 = ContinuousClock.now

    func settings(budget: Int = 3, initialBackoff: Duration = .seconds(1)) -> WorkerLifecycle.Settings {
        var restart = RestartPolicy.Settings()
        restart.budget = budget
        restart.initialBackoff = initialBackoff
        restart.maximumBackoff = .seconds(8)
        restart.budgetWindow = .seconds(60)
        restart.healthyAfter = .seconds(30)
        return WorkerLifecycle.Settings(restart: restart, heartbeatTimeout: .seconds(10), stopTimeout: .seconds(5))
    }

    /// A machine whose worker is spawned, said hello and reported ready at `t0`.
    func readyMachine(_ settings: WorkerLifecycle.Settings? = nil, session: SessionState? = nil) -> WorkerLifecycle {
        var m = WorkerLifecycle(bot: "b1", settings: settings ?? self.settings(), session: session, random: { 1 - 1e-9 })
        _ = m.handle(.start, now: t0)
        _ = m.handle(.spawned(generation: m.generation), now: t0)
        _ = m.handle(.attached(generation: m.generation), now: t0)
        _ = m.handle(.message(generation: m.generation, .state(.ready)), now: t0)
        return m
    }

    func scheduled(_ actions: [WorkerLifecycle.Action]) -> (WorkerLifecycle.Timer, Duration, UInt64)? {
        for case .schedule(let timer, let after, let epoch) in actions { return (timer, after, epoch) }
        return nil
    }

    @Test func startSpawnsAndAHelloGetsTheWelcomeWithTheStoredSession() {
        let session = SessionState(sessionID: "s", resumeURL: "wss://r", sequence: 7)
        var m = WorkerLifecycle(bot: "b1", settings: settings(), session: session)
        #expect(m.handle(.start, now: t0) == [.spawn(generation: 1)])
        #expect(m.handle(.spawned(generation: 1), now: t0) == [.setState(.starting), .report(.spawned), .startTicks(generation: 1)])
        #expect(m.handle(.attached(generation: 1), now: t0) == [.sendWelcome(session: session, identifyDelay: nil)])
        #expect(m.handle(.message(generation: 1, .state(.resuming)), now: t0) == [.setState(.resuming)])
        // Ready after resuming is not an identify.
        #expect(m.handle(.message(generation: 1, .state(.ready)), now: t0) == [.setState(.ready)])
        #expect(m.state == .running(reported: .ready))
    }

    @Test func aSecondStartWhileStartingSpawnsNothing() {
        var m = WorkerLifecycle(bot: "b1", settings: settings())
        _ = m.handle(.start, now: t0)
        _ = m.handle(.spawned(generation: 1), now: t0)
        #expect(m.handle(.start, now: t0).isEmpty)
        #expect(m.generation == 1)
        #expect(m.state == .starting)
    }

    @Test func theFirstCrashAfterAHealthyRunRestartsAtOnce() {
        var m = readyMachine()
        let later = t0 + .seconds(120)
        let actions = m.handle(.exited(generation: 1, .signaled(SIGKILL)), now: later)
        #expect(actions.contains(.report(.restartingAtOnce)))
        #expect(actions.last == .spawn(generation: 2))
        #expect(scheduled(actions) == nil)
        #expect(m.lastExit == "killed by signal 9")
        #expect(m.restarts == 1)
    }

    @Test func crashesInARowBackOffAndDoubleUntilTheBudgetIsSpent() {
        var m = readyMachine(settings(budget: 3))
        var now = t0 + .milliseconds(100)
        // 1st crash: at once.
        #expect(m.handle(.exited(generation: 1, .exited(1)), now: now).last == .spawn(generation: 2))
        _ = m.handle(.spawned(generation: 2), now: now)
        // 2nd: the initial backoff (jitter at its top), in the backoff state.
        now += .milliseconds(100)
        var actions = m.handle(.exited(generation: 2, .exited(1)), now: now)
        let first = scheduled(actions)
        #expect(first?.0 == .restart)
        #expect(abs((first?.1 ?? .zero).seconds - 1) < 0.01)
        #expect(actions.contains(.setState(.backoff)))
        #expect(m.state.workerState == .backoff)
        #expect(m.startedAt == nil)
        // The timer fires: a new worker.
        now += .seconds(1)
        #expect(m.handle(.timerFired(.restart, epoch: first!.2), now: now) == [.spawn(generation: 3)])
        _ = m.handle(.spawned(generation: 3), now: now)
        // 3rd: twice the backoff.
        now += .milliseconds(100)
        actions = m.handle(.exited(generation: 3, .exited(1)), now: now)
        #expect(abs((scheduled(actions)?.1 ?? .zero).seconds - 2) < 0.01)
        _ = m.handle(.timerFired(.restart, epoch: scheduled(actions)!.2), now: now + .seconds(2))
        _ = m.handle(.spawned(generation: 4), now: now + .seconds(2))
        // 4th: the budget (3 in 60 s) is spent.
        actions = m.handle(.exited(generation: 4, .exited(1)), now: now + .seconds(3))
        #expect(actions.contains(.setState(.failed)))
        #expect(m.state == .failed)
        #expect(m.reason?.hasPrefix("crash loop: 3 restarts") == true)
        #expect(!actions.contains { if case .spawn = $0 { true } else { false } })
    }

    @Test func aStaleTimerOrExitDropsItself() {
        var m = readyMachine(settings(budget: 5))
        _ = m.handle(.exited(generation: 1, .exited(1)), now: t0 + .seconds(1))
        _ = m.handle(.spawned(generation: 2), now: t0 + .seconds(1))
        let actions = m.handle(.exited(generation: 2, .exited(1)), now: t0 + .seconds(2))
        let (_, _, epoch) = scheduled(actions)!
        // Started by hand during the backoff: the old timer must not spawn a second worker.
        #expect(m.handle(.start, now: t0 + .seconds(2)) == [.spawn(generation: 3)])
        #expect(m.handle(.timerFired(.restart, epoch: epoch), now: t0 + .seconds(3)).isEmpty)
        #expect(m.handle(.exited(generation: 2, .exited(1)), now: t0 + .seconds(3)).isEmpty)
    }

    @Test func aSilentWorkerIsKilledAfterTheHeartbeatTimeoutAndHeartbeatsGoOutBefore() {
        var m = readyMachine()
        #expect(m.handle(.tick(generation: 1), now: t0 + .seconds(1)) == [.sendHeartbeat])
        _ = m.handle(.message(generation: 1, .other), now: t0 + .seconds(5))
        #expect(m.handle(.tick(generation: 1), now: t0 + .seconds(14)) == [.sendHeartbeat])
        #expect(m.handle(.tick(generation: 1), now: t0 + .seconds(16)) == [.report(.heartbeatMissed), .signal(SIGKILL, group: true)])
        // Its exit then restarts it by the policy.
        #expect(m.handle(.exited(generation: 1, .signaled(SIGKILL)), now: t0 + .seconds(16)).last == .spawn(generation: 2))
    }

    @Test func aWorkerThatNeverSaysHelloIsKilled() {
        var m = WorkerLifecycle(bot: "b1", settings: settings())
        _ = m.handle(.start, now: t0)
        _ = m.handle(.spawned(generation: 1), now: t0)
        #expect(m.handle(.tick(generation: 1), now: t0 + .seconds(14)).isEmpty)
        #expect(m.handle(.tick(generation: 1), now: t0 + .seconds(16)) == [.report(.helloMissed), .signal(SIGKILL, group: true)])
        // Killed once, not on every tick until the exit arrives.
        #expect(m.handle(.tick(generation: 1), now: t0 + .seconds(17)).isEmpty)
    }

    /// The start-up storm of issue 13: a daemon starting many workers at once answered some hellos late, the
    /// workers gave up, and each give-up spent the restart budget like a crash until the bots were `failed`.
    @Test func aWorkerThatNeverGotItsWelcomeOrWasKilledForItsHelloIsNotACrash() {
        // Zero crash backoff and a budget of 1: neither kind of start-up failure may spin or spend it.
        var m = WorkerLifecycle(bot: "b1", settings: settings(budget: 1, initialBackoff: .zero))
        var now = t0
        var delays: [Duration] = []
        _ = m.handle(.start, now: now)
        for attempt in 0..<8 {
            _ = m.handle(.spawned(generation: m.generation), now: now)
            let exit: IOCore.ExitStatus
            if attempt % 2 == 0 {
                exit = .exited(WorkerExitCode.supervisorUnreachable)
            } else {
                now += .seconds(16)
                #expect(m.handle(.tick(generation: m.generation), now: now).contains(.report(.helloMissed)))
                exit = .signaled(SIGKILL)
            }
            let actions = m.handle(.exited(generation: m.generation, exit), now: now)
            #expect(!actions.contains { if case .spawn = $0 { true } else { false } })
            #expect(actions.contains { if case .report(.startFailed) = $0 { true } else { false } })
            guard let (timer, after, epoch) = scheduled(actions) else { Issue.record("no retry timer"); return }
            #expect(timer == .spawnRetry)
            #expect(m.state.workerState == .backoff)
            delays.append(after)
            now += after
            let next = m.generation + 1
            #expect(m.handle(.timerFired(.spawnRetry, epoch: epoch), now: now) == [.spawn(generation: next)])
        }
        #expect(delays.prefix(3) == [.milliseconds(100), .milliseconds(200), .milliseconds(400)])
        #expect(m.restartsInWindow(now: now) == 0 && m.restarts == 0)
        #expect(m.reason == "the worker did not say hello within 15.0 s")
        // The next worker attaches: the bot runs, and the backoff starts over for a later start-up failure.
        _ = m.handle(.spawned(generation: m.generation), now: now)
        _ = m.handle(.attached(generation: m.generation), now: now)
        _ = m.handle(.message(generation: m.generation, .state(.ready)), now: now)
        #expect(m.reason == nil)
        _ = m.handle(.restart, now: now)
        let after = m.handle(.exited(generation: m.generation, .exited(0)), now: now)
        #expect(after.last == .spawn(generation: m.generation))
        _ = m.handle(.spawned(generation: m.generation), now: now)
        let again = m.handle(.exited(generation: m.generation, .exited(WorkerExitCode.supervisorUnreachable)), now: now)
        #expect(scheduled(again)?.1 == .milliseconds(100))
    }

    @Test func aWorkerThatCrashesBeforeItsHelloIsACrash() {
        var m = WorkerLifecycle(bot: "b1", settings: settings(budget: 1, initialBackoff: .zero))
        _ = m.handle(.start, now: t0)
        _ = m.handle(.spawned(generation: 1), now: t0)
        #expect(m.handle(.exited(generation: 1, .signaled(SIGSEGV)), now: t0 + .seconds(1)).contains(.report(.restartingAtOnce)))
        #expect(m.restarts == 1)
    }

    @Test func aPlannedRestartHandsTheSessionOverAndSpawnsWithoutBackoff() {
        let session = SessionState(sessionID: "s", resumeURL: "wss://r", sequence: 1)
        var m = readyMachine(session: session)
        var actions = m.handle(.restart, now: t0 + .seconds(1))
        #expect(actions.contains(.sendStop(handover: true)))
        #expect(actions.contains(.setState(.stopping)))
        let (timer, grace, epoch) = scheduled(actions)!
        #expect(timer == .terminate && grace == .milliseconds(200))
        #expect(m.handle(.timerFired(.terminate, epoch: epoch), now: t0 + .seconds(1)) == [.signal(SIGTERM, group: false)])
        // The worker reports its final position while it hands over: kept.
        let final = SessionState(sessionID: "s", resumeURL: "wss://r", sequence: 9)
        _ = m.handle(.message(generation: 1, .session(final)), now: t0 + .seconds(1))
        actions = m.handle(.exited(generation: 1, .exited(0)), now: t0 + .seconds(2))
        #expect(actions.contains(.report(.sessionHandedOver)))
        #expect(actions.last == .spawn(generation: 2))
        #expect(m.restarts == 0)
        _ = m.handle(.spawned(generation: 2), now: t0 + .seconds(2))
        #expect(m.handle(.attached(generation: 2), now: t0 + .seconds(2)) == [.sendWelcome(session: final, identifyDelay: nil)])
    }

    @Test func aStopDuringBackoffCancelsTheRestart() {
        var m = readyMachine()
        _ = m.handle(.exited(generation: 1, .exited(1)), now: t0 + .seconds(1))
        _ = m.handle(.spawned(generation: 2), now: t0 + .seconds(1))
        let (_, _, epoch) = scheduled(m.handle(.exited(generation: 2, .exited(1)), now: t0 + .seconds(2)))!
        let actions = m.handle(.stop(handover: false), now: t0 + .seconds(2))
        #expect(actions == [.setState(.stopped), .stopCompleted])
        #expect(m.state == .stopped)
        #expect(m.handle(.timerFired(.restart, epoch: epoch), now: t0 + .seconds(5)).isEmpty)
    }

    @Test func aStopWithoutHandoverForgetsTheSessionAndStaysStopped() {
        var m = readyMachine(session: SessionState(sessionID: "s", resumeURL: "wss://r", sequence: 1))
        let actions = m.handle(.stop(handover: false), now: t0 + .seconds(1))
        #expect(actions.first == .persistSession(nil))
        #expect(actions.contains(.sendStop(handover: false)))
        // A session the worker reports while closing it for good is over already.
        #expect(m.handle(.message(generation: 1, .session(SessionState(sessionID: "s", resumeURL: "wss://r", sequence: 2))),
                         now: t0 + .seconds(1)).isEmpty)
        #expect(m.handle(.exited(generation: 1, .exited(0)), now: t0 + .seconds(2)).suffix(2) == [.setState(.stopped), .stopCompleted])
        #expect(m.session == nil)
        #expect(m.startedAt == nil)
    }

    @Test func aWorkerThatDoesNotStopInTimeIsKilled() {
        var m = readyMachine()
        _ = m.handle(.stop(handover: true), now: t0)
        #expect(m.handle(.tick(generation: 1), now: t0 + .seconds(4)).isEmpty)
        #expect(m.handle(.tick(generation: 1), now: t0 + .seconds(5)) == [.report(.stopTimedOut), .signal(SIGKILL, group: true)])
    }

    @Test func aRejectedTokenIsAuthFailedWithTheWorkersOwnReasonOnce() {
        var m = readyMachine(session: SessionState(sessionID: "s", resumeURL: "wss://r", sequence: 1))
        let said = "Discord closed the gateway with 4004 (authentication failed); not reconnecting"
        _ = m.handle(.message(generation: 1, .fatal(FatalReport(closeCode: 4004, reason: said))), now: t0)
        let actions = m.handle(.exited(generation: 1, .exited(WorkerExitCode.authFailed)), now: t0 + .seconds(1))
        #expect(m.state == .authFailed)
        #expect(m.reason == said)
        #expect(actions.contains(.persistSession(nil)))
        #expect(actions.contains(.stopCompleted))
        #expect(!actions.contains { if case .spawn = $0 { true } else { false } })
        // A new token tries again.
        #expect(m.handle(.configured(needsIdentify: true, enabled: true), now: t0 + .seconds(2)) == [.spawn(generation: 2)])
        #expect(m.reason == nil)
    }

    @Test func aRefusedConfigurationIsConfigFailedAndNotRestarted() {
        var m = readyMachine()
        _ = m.handle(.message(generation: 1, .fatal(FatalReport(closeCode: 4014, reason: "disallowed intents"))), now: t0)
        let actions = m.handle(.exited(generation: 1, .exited(WorkerExitCode.configFailed)), now: t0 + .seconds(1))
        #expect(m.state == .configFailed)
        #expect(m.reason == "Discord closed the gateway with 4014: disallowed intents")
        #expect(actions.contains(.setState(.configFailed)))
        #expect(m.handle(.tick(generation: 1), now: t0 + .seconds(30)).isEmpty)
    }

    @Test func aSpawnFailureIsNotACrashAndRetriesOnItsOwnBackoff() {
        // Zero crash backoff and a budget of 1: a spawn failure must neither spin nor spend it.
        var m = WorkerLifecycle(bot: "b1", settings: settings(budget: 1, initialBackoff: .zero))
        var now = t0
        var delays: [Duration] = []
        _ = m.handle(.start, now: now)
        for _ in 0..<10 {
            let actions = m.handle(.spawnFailed(generation: m.generation, reason: "cannot spawn the worker at /x: No such file or directory"), now: now)
            #expect(!actions.contains { if case .spawn = $0 { true } else { false } })
            guard let (timer, after, epoch) = scheduled(actions) else { Issue.record("no retry timer"); return }
            #expect(timer == .spawnRetry)
            delays.append(after)
            now += after
            let next = m.generation + 1
            #expect(m.handle(.timerFired(.spawnRetry, epoch: epoch), now: now) == [.spawn(generation: next)])
        }
        #expect(delays.first == .milliseconds(100))
        #expect(delays[1] == .milliseconds(200))
        #expect(delays.last == .seconds(10))
        #expect(m.state.workerState == .backoff)
        #expect(m.reason == "cannot spawn the worker at /x: No such file or directory")
        #expect(m.lastExit == nil)
        #expect(m.restartsInWindow(now: now) == 0)
        // Once the binary is back, the bot runs and the reason is history.
        _ = m.handle(.spawned(generation: m.generation), now: now)
        _ = m.handle(.attached(generation: m.generation), now: now)
        _ = m.handle(.message(generation: m.generation, .state(.ready)), now: now)
        #expect(m.reason == nil)
    }

    @Test func aStartDuringASpawnRetryTriesAtOnceAndItsBackoffStartsOver() {
        var m = WorkerLifecycle(bot: "b1", settings: settings())
        _ = m.handle(.start, now: t0)
        for _ in 0..<3 {
            let (_, _, epoch) = scheduled(m.handle(.spawnFailed(generation: m.generation, reason: "EMFILE"), now: t0))!
            _ = m.handle(.timerFired(.spawnRetry, epoch: epoch), now: t0)
        }
        #expect(m.handle(.start, now: t0) == [.spawn(generation: 5)])
        #expect(scheduled(m.handle(.spawnFailed(generation: 5, reason: "EMFILE"), now: t0))?.1 == .milliseconds(100))
    }

    @Test func aStopDuringASpawnRetryStopsTheBot() {
        var m = WorkerLifecycle(bot: "b1", settings: settings())
        _ = m.handle(.start, now: t0)
        let (_, _, epoch) = scheduled(m.handle(.spawnFailed(generation: 1, reason: "EMFILE"), now: t0))!
        #expect(m.handle(.stop(handover: false), now: t0) == [.setState(.stopped), .stopCompleted])
        #expect(m.handle(.timerFired(.spawnRetry, epoch: epoch), now: t0 + .seconds(1)).isEmpty)
        #expect(m.reason == nil)
    }

    @Test func recordsOfAnotherBotAreDroppedAndTheSessionIsWrittenFirst() {
        var m = readyMachine(session: SessionState(sessionID: "s", resumeURL: "wss://r", sequence: 1))
        let position = SessionState(sessionID: "s", resumeURL: "wss://r", sequence: 40)
        #expect(m.handle(.message(generation: 1, .session(position)), now: t0).isEmpty)
        #expect(m.sessionDirty)
        func record(_ id: String, _ bot: String) -> CommandRecord {
            CommandRecord(id: id, bot: bot, guildID: nil, channelID: nil, userID: "u", command: "ping", options: "",
                          startedAt: 1, durationMicros: 1, outcome: .ok)
        }
        let actions = m.handle(.message(generation: 1, .commands([record("a", "b1"), record("b", "other"), record("c", "b1")])), now: t0)
        #expect(actions == [.report(.foreignRecords(count: 1, bots: ["other"])),
                            .storeRecords([record("a", "b1"), record("c", "b1")], acknowledge: ["a", "b", "c"], sessionFirst: position)])
        #expect(!m.sessionDirty)
        // Nothing left for the tick to write.
        #expect(m.handle(.tick(generation: 1), now: t0 + .seconds(1)) == [.sendHeartbeat])
    }

    @Test func aNewSessionIsPersistedWithItsIdentifyTimeAndSpacesTheNextIdentify() {
        var m = readyMachine()
        let new = SessionState(sessionID: "n", resumeURL: "wss://r", sequence: 1)
        let at = t0 + .seconds(1)
        #expect(m.handle(.message(generation: 1, .session(new)), now: at) == [.persistSession(new), .persistIdentify(at)])
        // Stopped for good (no session), started 2 s later: the next identify waits out the spacing.
        _ = m.handle(.stop(handover: false), now: at)
        _ = m.handle(.exited(generation: 1, .exited(0)), now: at)
        _ = m.handle(.start, now: at + .seconds(2))
        _ = m.handle(.spawned(generation: 2), now: at + .seconds(2))
        guard case .sendWelcome(nil, let delay?) = m.handle(.attached(generation: 2), now: at + .seconds(2)).first else {
            Issue.record("no identify delay"); return
        }
        #expect(delay > .seconds(3) && delay < .seconds(3.2))
    }

    @Test func anIdentifyTimeFromBeforeADaemonRestartIsHonoured() {
        var m = WorkerLifecycle(bot: "b1", settings: settings(), lastIdentifyAt: t0 - .seconds(2.5))
        _ = m.handle(.start, now: t0)
        _ = m.handle(.spawned(generation: 1), now: t0)
        guard case .sendWelcome(nil, let delay?) = m.handle(.attached(generation: 1), now: t0).first else {
            Issue.record("no identify delay"); return
        }
        #expect(delay > .seconds(2.5))
    }

    @Test func reloadedSettingsApplyToTheNextCrash() {
        var m = readyMachine(settings(budget: 1))
        _ = m.handle(.exited(generation: 1, .exited(1)), now: t0 + .seconds(1))
        _ = m.handle(.spawned(generation: 2), now: t0 + .seconds(1))
        _ = m.handle(.settingsChanged(settings(budget: 100, initialBackoff: .zero)), now: t0 + .seconds(1))
        let actions = m.handle(.exited(generation: 2, .exited(1)), now: t0 + .seconds(2))
        #expect(actions.last == .spawn(generation: 3))
        #expect(m.state != .failed)
    }

    @Test func aConnectionFromAnOldGenerationIsClosed() {
        var m = readyMachine()
        #expect(m.handle(.attached(generation: 1), now: t0) == [.closeConnection])
        #expect(m.handle(.attached(generation: 7), now: t0) == [.closeConnection])
    }
}
