import Glibc  // because rounding Doubles links libm
/// Slows password guessing: failed logins are counted per account and per client
/// address, and past a few free failures each further failure locks that account
/// or address out for twice as long as the last (up to a cap). A pure state
/// machine with an injected clock; memory is bounded like the rate limiter's.
///
/// Use: `check` before verifying the password (a locked login is refused without
/// running the hash, so lockout also protects the CPU), then `recordFailure` or
/// `recordSuccess`. Attempts refused while locked do not count, so an attacker
/// cannot extend a lockout by hammering it; a real user still has the control
/// socket to unlock an account (`reset`).
public struct LoginThrottle: Sendable {
    /// When failures lock a key out.
    public struct Policy: Sendable, Equatable {
        /// Failures allowed before the first lockout.
        public var freeFailures: Int
        /// The first lockout; each further failure doubles it.
        public var baseLockout: Duration
        public var maximumLockout: Duration
        /// A key with no failure for this long starts over.
        public var forgetAfter: Duration

        public init(freeFailures: Int, baseLockout: Duration, maximumLockout: Duration, forgetAfter: Duration) {
            self.freeFailures = freeFailures
            self.baseLockout = baseLockout
            self.maximumLockout = maximumLockout
            self.forgetAfter = forgetAfter
        }

        /// Per account: 5 free failures, then 1 s, 2 s, 4 s ... up to 15 min.
        public static let account = Policy(freeFailures: 5, baseLockout: .seconds(1), maximumLockout: .seconds(900),
                                           forgetAfter: .seconds(3600))
        /// Per address (one client guessing across many accounts): 20 free failures, then the same growth.
        public static let address = Policy(freeFailures: 20, baseLockout: .seconds(1), maximumLockout: .seconds(900),
                                           forgetAfter: .seconds(3600))

        func lockout(afterFailures n: Int) -> Duration? {
            guard n > freeFailures else { return nil }
            let doublings = min(n - freeFailures - 1, 30)
            let seconds = min(baseLockout.seconds * Double(1 << doublings), maximumLockout.seconds)
            return .milliseconds(Int64((seconds * 1000).rounded(.up)))
        }
    }

    /// Which key is locked.
    public enum Scope: String, Sendable { case account, address }

    /// The answer to `check`.
    public enum Verdict: Sendable, Equatable {
        case allowed
        /// Refuse with 429 and `Retry-After: retryAfter` (rounded up to whole seconds).
        case locked(Scope, retryAfter: Duration)
    }

    struct Entry: Sendable {
        var failures: Int
        var lastFailure: ContinuousClock.Instant
        var lockedUntil: ContinuousClock.Instant?
    }

    public let accountPolicy: Policy
    public let addressPolicy: Policy
    private var accounts: BoundedTable<String, Entry>
    private var addresses: BoundedTable<String, Entry>

    public init(account: Policy = .account, address: Policy = .address, capacity: Int = 10_000) {
        accountPolicy = account
        addressPolicy = address
        accounts = BoundedTable(capacity: capacity)
        addresses = BoundedTable(capacity: capacity)
    }

    /// Whether a login for `account` from `address` may be tried now.
    public func check(account: String, address: String, now: ContinuousClock.Instant) -> Verdict {
        var longest: (Scope, Duration)? = nil
        for (scope, entry) in [(Scope.account, accounts.peek(account)), (.address, addresses.peek(address))] {
            guard let until = entry?.lockedUntil, until > now else { continue }
            let left = until - now
            if longest == nil || left > longest!.1 { longest = (scope, left) }
        }
        guard let (scope, left) = longest else { return .allowed }
        return .locked(scope, retryAfter: left)
    }

    /// Counts a failed login; answers the lockout that now applies, if any.
    @discardableResult
    public mutating func recordFailure(account: String, address: String, now: ContinuousClock.Instant) -> Verdict {
        // A login tried while locked was refused without a password check: it does not count.
        let current = check(account: account, address: address, now: now)
        guard current == .allowed else { return current }
        LoginThrottle.fail(&accounts, account, policy: accountPolicy, now: now)
        LoginThrottle.fail(&addresses, address, policy: addressPolicy, now: now)
        return check(account: account, address: address, now: now)
    }

    /// A successful login clears the account's failures (the address keeps its
    /// count: one success must not launder a guessing run across accounts).
    public mutating func recordSuccess(account: String, address: String, now: ContinuousClock.Instant) {
        accounts.remove(account)
    }

    /// Unlocks `account` (an admin over the control socket).
    public mutating func reset(account: String) { accounts.remove(account) }

    /// Failures counted for `account` (for the admin view).
    public func failures(account: String) -> Int { accounts.peek(account)?.failures ?? 0 }
    public func failures(address: String) -> Int { addresses.peek(address)?.failures ?? 0 }

    /// Keys tracked, and slots allocated (never above capacity, per table).
    public var count: Int { accounts.count + addresses.count }
    public var storageCount: Int { accounts.storageCount + addresses.storageCount }

    /// Forgets keys idle for longer than their policy's `forgetAfter`.
    public mutating func prune(now: ContinuousClock.Instant) {
        let (a, b) = (accountPolicy, addressPolicy)
        accounts.removeAll { _, e in LoginThrottle.isIdle(e, policy: a, now: now) }
        addresses.removeAll { _, e in LoginThrottle.isIdle(e, policy: b, now: now) }
    }

    static func isIdle(_ e: Entry, policy: Policy, now: ContinuousClock.Instant) -> Bool {
        now - e.lastFailure >= policy.forgetAfter && (e.lockedUntil.map { $0 <= now } ?? true)
    }

    static func fail(_ table: inout BoundedTable<String, Entry>, _ key: String, policy: Policy, now: ContinuousClock.Instant) {
        table.update(key, default: { Entry(failures: 0, lastFailure: now, lockedUntil: nil) }) { e in
            if isIdle(e, policy: policy, now: now) { e = Entry(failures: 0, lastFailure: now, lockedUntil: nil) }
            e.failures += 1
            e.lastFailure = now
            if let lockout = policy.lockout(afterFailures: e.failures) { e.lockedUntil = now + lockout }
        }
    }
}
