import Testing
import IOCore
@testable import Fleet

@Suite struct RestartPolicyTests {
    let t0 = ContinuousClock.now

    func approx(_ d: RestartPolicy.Decision, _ s: Double) -> Bool {
        guard case .restart(let after) = d else { return false }
        return abs(after.seconds - s) < 0.01
    }

    @Test func theFirstCrashRestartsAtOnceThenBackoffDoublesUpToTheCapAndSpendsTheBudget() {
        var settings = RestartPolicy.Settings()
        settings.initialBackoff = .seconds(1)
        settings.maximumBackoff = .seconds(4)
        settings.budget = 5
        var policy = RestartPolicy(settings: settings)
        var decisions: [RestartPolicy.Decision] = []
        for i in 0..<6 {
            let now = t0 + .seconds(i)
            decisions.append(policy.workerExited(startedAt: now - .milliseconds(100), now: now, random: 0.999_999))
        }
        #expect(decisions[0] == .restart(after: .zero))
        #expect(approx(decisions[1], 1))
        #expect(approx(decisions[2], 2))
        #expect(approx(decisions[3], 4))
        #expect(approx(decisions[4], 4))
        guard case .giveUp = decisions[5] else { Issue.record("budget not enforced"); return }
    }

    @Test func jitterKeepsTheDelayBetweenHalfAndAll() {
        var policy = RestartPolicy()
        _ = policy.workerExited(startedAt: t0, now: t0, random: 0)
        guard case .restart(let low) = policy.workerExited(startedAt: t0, now: t0, random: 0) else { Issue.record(); return }
        #expect(low == .milliseconds(500))
    }

    @Test func aHealthyRunResetsTheBackoffAndOldRestartsLeaveTheWindow() {
        var settings = RestartPolicy.Settings()
        settings.budget = 2
        settings.budgetWindow = .seconds(60)
        settings.healthyAfter = .seconds(30)
        var policy = RestartPolicy(settings: settings)
        _ = policy.workerExited(startedAt: t0, now: t0 + .seconds(1), random: 0.999_999)
        let second = policy.workerExited(startedAt: t0 + .seconds(2), now: t0 + .seconds(3), random: 0.999_999)
        #expect(approx(second, 1))
        // Long after: the window is empty again and the run was healthy, so the crash restarts at once.
        let later = t0 + .seconds(200)
        let decision = policy.workerExited(startedAt: later - .seconds(100), now: later, random: 0)
        #expect(decision == .restart(after: .zero))
        #expect(policy.restartsInWindow(now: later) == 1)
    }
}
