#if canImport(Glibc)
import Glibc
#endif
import Testing
import IOCore
import IPC
@testable import Fleet

/// What the lifecycle remembers of each exit: its status, how long the worker ran, what botvisord saw first and
/// what it did next (`GET /api/v1/bots/{name}/exits`, the dashboard's recent restarts).
@Suite struct ExitHistoryTests {
    let base = WorkerLifecycleTests()

    @Test func eachExitIsRecordedWithItsCauseAndWhatFollowed() {
        var m = base.readyMachine(base.settings(budget: 2))
        // A crash after 2 minutes: restarted at once, no cause of ours.
        _ = m.handle(.exited(generation: 1, .signaled(SIGKILL)), now: base.t0 + .seconds(120))
        _ = m.handle(.spawned(generation: 2), now: base.t0 + .seconds(120))
        _ = m.handle(.attached(generation: 2), now: base.t0 + .seconds(120))
        // Silent: killed for its heartbeats, then the policy's backoff.
        _ = m.handle(.tick(generation: 2), now: base.t0 + .seconds(131))
        _ = m.handle(.exited(generation: 2, .signaled(SIGKILL)), now: base.t0 + .seconds(131))
        // Out of budget next: failed, with the crash-loop reason.
        _ = m.handle(.timerFired(.restart, epoch: m.epoch), now: base.t0 + .seconds(133))
        _ = m.handle(.spawned(generation: 3), now: base.t0 + .seconds(133))
        _ = m.handle(.exited(generation: 3, .exited(1)), now: base.t0 + .seconds(134))

        let e = m.exits.entries
        #expect(e.count == 3)
        #expect(e[0].status == .signaled(SIGKILL) && e[0].cause == nil && e[0].outcome == .restarted && e[0].backoff == nil)
        #expect(e[0].ranFor == .seconds(120))
        #expect(e[1].cause == "missed its IPC heartbeats for 10.0 s" && e[1].outcome == .backoff)
        #expect(abs((e[1].backoff ?? .zero).seconds - 1) < 0.01)
        #expect(e[2].status == .exited(1) && e[2].outcome == .failed && e[2].reason?.hasPrefix("crash loop") == true)

        // As the API shows it: exit code or signal, seconds, backoff in ms.
        let shown = BotExit(e[1], time: 1_700_000_000_000)
        #expect(shown.exit == "killed by signal 9" && shown.signal == SIGKILL && shown.exit_code == nil)
        #expect(shown.ran_for_seconds == 11 && shown.then == .backoff && abs((shown.backoff_ms ?? 0) - 1000) <= 1)
    }

    @Test func plannedStopsRefusalsAndSpawnFailuresSayWhatTheyAre() {
        var m = base.readyMachine()
        _ = m.handle(.restart, now: base.t0 + .seconds(5))
        _ = m.handle(.exited(generation: 1, .exited(0)), now: base.t0 + .seconds(6))
        _ = m.handle(.spawned(generation: 2), now: base.t0 + .seconds(6))
        _ = m.handle(.stop(handover: true), now: base.t0 + .seconds(7))
        _ = m.handle(.exited(generation: 2, .exited(0)), now: base.t0 + .seconds(7))
        _ = m.handle(.start, now: base.t0 + .seconds(8))
        _ = m.handle(.spawnFailed(generation: 3, reason: "cannot spawn the worker at /x: No such file or directory"), now: base.t0 + .seconds(8))
        _ = m.handle(.timerFired(.spawnRetry, epoch: m.epoch), now: base.t0 + .seconds(9))
        _ = m.handle(.spawned(generation: 4), now: base.t0 + .seconds(9))
        _ = m.handle(.exited(generation: 4, .exited(WorkerExitCode.authFailed)), now: base.t0 + .seconds(10))

        let e = m.exits.entries
        #expect(e.map(\.outcome) == [.restarted, .stopped, .startRetry, .authFailed])
        #expect(e.map(\.cause) == ["restart requested", "stop requested", "cannot spawn the worker", nil])
        #expect(e[2].status == nil && BotExit(e[2], time: 0).exit == "not spawned")
        #expect(e[2].reason == "cannot spawn the worker at /x: No such file or directory")
        #expect(e[3].reason == "Discord rejected the token (gateway close 4004)")
    }

    @Test func onlyTheLastTwentyAreKept() {
        var m = base.readyMachine(base.settings(budget: 100, initialBackoff: .zero))
        var now = base.t0
        for _ in 0..<25 {
            now += .seconds(1)
            _ = m.handle(.exited(generation: m.generation, .exited(1)), now: now)
            _ = m.handle(.spawned(generation: m.generation), now: now)
        }
        #expect(m.exits.entries.count == ExitHistory.capacity)
        #expect(m.exits.entries.first?.generation == 6 && m.exits.entries.last?.generation == 25)
    }
}
