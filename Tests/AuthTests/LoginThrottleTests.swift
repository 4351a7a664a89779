import Testing
@testable import Auth

@Suite struct LoginThrottleTests {
    let t0 = ContinuousClock.now

    @Test func fiveFailuresAreFreeThenLockoutsDouble() {
        var throttle = LoginThrottle()
        var t = t0
        for _ in 0..<5 {
            #expect(throttle.recordFailure(account: "admin", address: "10.0.0.1", now: t) == .allowed)
        }
        for expected in [1, 2, 4, 8, 16] {
            let verdict = throttle.recordFailure(account: "admin", address: "10.0.0.1", now: t)
            #expect(verdict == .locked(.account, retryAfter: .seconds(expected)))
            #expect(throttle.check(account: "admin", address: "10.0.0.1", now: t + .seconds(expected) - .milliseconds(1)) != .allowed)
            t = t + .seconds(expected)
            #expect(throttle.check(account: "admin", address: "10.0.0.1", now: t) == .allowed)
        }
    }

    @Test func theLockoutStopsGrowingAtItsCap() {
        var throttle = LoginThrottle()
        var t = t0
        var last = Duration.zero
        for _ in 0..<40 {
            if case .locked(_, let wait) = throttle.recordFailure(account: "admin", address: "a", now: t) {
                last = wait
                t = t + wait
            }
        }
        #expect(last == .seconds(900))
    }

    @Test func failuresWhileLockedDoNotExtendTheLockout() {
        var throttle = LoginThrottle()
        for _ in 0..<6 { throttle.recordFailure(account: "admin", address: "a", now: t0) }
        #expect(throttle.failures(account: "admin") == 6)
        for _ in 0..<50 { throttle.recordFailure(account: "admin", address: "a", now: t0 + .milliseconds(500)) }
        #expect(throttle.failures(account: "admin") == 6)
        #expect(throttle.check(account: "admin", address: "a", now: t0 + .seconds(1)) == .allowed)
    }

    @Test func aSuccessClearsTheAccountButNotTheAddress() {
        var throttle = LoginThrottle()
        for _ in 0..<4 { throttle.recordFailure(account: "admin", address: "a", now: t0) }
        throttle.recordSuccess(account: "admin", address: "a", now: t0)
        #expect(throttle.failures(account: "admin") == 0)
        #expect(throttle.failures(address: "a") == 4)
    }

    @Test func oneAddressGuessingAcrossManyAccountsIsLockedOutByAddress() {
        var throttle = LoginThrottle()
        for i in 0..<20 {
            #expect(throttle.recordFailure(account: "user\(i)", address: "203.0.113.9", now: t0) == .allowed)
        }
        #expect(throttle.recordFailure(account: "user20", address: "203.0.113.9", now: t0) == .locked(.address, retryAfter: .seconds(1)))
        // Another address may still try those accounts.
        #expect(throttle.check(account: "user3", address: "198.51.100.1", now: t0) == .allowed)
    }

    @Test func idleKeysAreForgottenAndMemoryIsBounded() {
        var throttle = LoginThrottle(capacity: 500)
        for i in 0..<10_000 { throttle.recordFailure(account: "user\(i)", address: "10.0.\(i >> 8 & 255).\(i & 255)", now: t0) }
        #expect(throttle.storageCount <= 1_000)
        throttle.prune(now: t0 + .seconds(3600))
        #expect(throttle.count == 0)
    }

    @Test func resetUnlocksAnAccount() {
        var throttle = LoginThrottle()
        for _ in 0..<8 { throttle.recordFailure(account: "admin", address: "a\(Int.random(in: 0..<1_000_000))", now: t0) }
        #expect(throttle.check(account: "admin", address: "b", now: t0) != .allowed)
        throttle.reset(account: "admin")
        #expect(throttle.check(account: "admin", address: "b", now: t0) == .allowed)
    }
}
