import Glibc  // because rounding Doubles links libm
/// A rate-limit policy: at most `quota` requests in a burst, refilled evenly over
/// `window` (so the sustained rate is quota/window). `name` identifies it in the
/// IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-10).
public struct RateLimitPolicy: Sendable, Equatable {
    public var name: String
    public var quota: Int
    public var window: Duration

    public init(name: String, quota: Int, window: Duration) {
        precondition(quota >= 1 && window > .zero)
        self.name = name
        self.quota = quota
        self.window = window
    }

    /// Seconds to refill one token.
    var secondsPerToken: Double { window.seconds / Double(quota) }

    /// The `RateLimit-Policy` field value: `"api";q=60;w=60` (draft §3: a List of
    /// Items, the policy name as an sf-String, `q` quota, `w` window in seconds).
    public var policyHeaderValue: String {
        "\(RateLimitPolicy.quoted(name));q=\(quota);w=\(Int(window.seconds.rounded(.up)))"
    }

    static func quoted(_ name: String) -> String {
        // RFC 8941 §3.3.3: sf-String is printable ASCII with \ and " escaped.
        var out = "\""
        for scalar in name.unicodeScalars where scalar.value >= 0x20 && scalar.value < 0x7f {
            if scalar == "\"" || scalar == "\\" { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        return out + "\""
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}

/// A token bucket as a pure state machine: it takes the time (`now`) as input and
/// answers whether a request may pass and what to tell the client.
public struct TokenBucket: Sendable, Equatable {
    public let policy: RateLimitPolicy
    /// Tokens left at `updated`; fractional between refills.
    public private(set) var tokens: Double
    public private(set) var updated: ContinuousClock.Instant

    /// A full bucket.
    public init(policy: RateLimitPolicy, now: ContinuousClock.Instant) {
        self.policy = policy
        self.tokens = Double(policy.quota)
        self.updated = now
    }

    /// Takes `cost` tokens if there are enough at `now`.
    public mutating func take(_ cost: Int = 1, now: ContinuousClock.Instant) -> RateLimitDecision {
        refill(now: now)
        let need = Double(cost)
        if tokens + 1e-9 >= need {
            tokens = max(0, tokens - need)
            return RateLimitDecision(policy: policy, allowed: true, remaining: Int(tokens.rounded(.down)),
                                     reset: secondsUntilFull, retryAfter: nil)
        }
        let wait = max(1, Int(((need - tokens) * policy.secondsPerToken).rounded(.up)))
        // Draft §4 and §5: with Retry-After present, t should name the same moment.
        return RateLimitDecision(policy: policy, allowed: false, remaining: 0, reset: wait, retryAfter: wait)
    }

    /// Whether the bucket has refilled completely by `now`: such a bucket is the
    /// same as no bucket, and can be dropped without forgetting anything.
    public func isFull(now: ContinuousClock.Instant) -> Bool {
        var copy = self
        copy.refill(now: now)
        return copy.tokens >= Double(policy.quota)
    }

    private mutating func refill(now: ContinuousClock.Instant) {
        guard now > updated else { return }
        let elapsed = (now - updated).seconds
        tokens = min(Double(policy.quota), tokens + elapsed / policy.secondsPerToken)
        updated = now
    }

    private var secondsUntilFull: Int {
        Int(((Double(policy.quota) - tokens) * policy.secondsPerToken).rounded(.up))
    }
}

/// The answer for one request, with the header fields to send.
public struct RateLimitDecision: Sendable, Equatable {
    public var policy: RateLimitPolicy
    public var allowed: Bool
    /// `r`: whole requests left now.
    public var remaining: Int
    /// `t`: seconds until the quota is whole again (or, when refused, until the next request may pass).
    public var reset: Int
    /// Seconds for `Retry-After` (RFC 9110 §10.2.3), when refused.
    public var retryAfter: Int?

    /// The `RateLimit` field value: `"api";r=59;t=1`.
    public var rateLimitHeaderValue: String {
        "\(RateLimitPolicy.quoted(policy.name));r=\(remaining);t=\(reset)"
    }

    /// `RateLimit-Policy`, `RateLimit`, and `Retry-After` when refused.
    public var headers: [(name: String, value: String)] {
        var out = [("RateLimit-Policy", policy.policyHeaderValue), ("RateLimit", rateLimitHeaderValue)]
        if let retryAfter { out.append(("Retry-After", String(retryAfter))) }
        return out
    }
}

/// One token bucket per key (principal or client address) in a `BoundedTable`.
/// Memory is fixed by `capacity`: when full, the least recently seen key is
/// forgotten. Refilled buckets carry no state and `prune` drops them (call it
/// now and then); only a flood of more than `capacity` distinct keys within one
/// window can make the table forget a key that was being limited, and that key
/// then starts over with a full bucket, never with more.
public struct KeyedRateLimiter<Key: Hashable & Sendable>: Sendable {
    public let policy: RateLimitPolicy
    private var buckets: BoundedTable<Key, TokenBucket>

    public init(policy: RateLimitPolicy, capacity: Int) {
        self.policy = policy
        self.buckets = BoundedTable(capacity: capacity)
    }

    /// Takes `cost` from `key`'s bucket.
    public mutating func take(_ key: Key, cost: Int = 1, now: ContinuousClock.Instant) -> RateLimitDecision {
        let policy = self.policy
        // When full, the least recently seen bucket makes room: O(1), so a flood of new
        // keys costs constant work each. That bucket is usually refilled already.
        return buckets.update(key, default: { TokenBucket(policy: policy, now: now) }) { $0.take(cost, now: now) }
    }

    /// Drops every bucket that has refilled completely (it carries no state).
    public mutating func prune(now: ContinuousClock.Instant) {
        buckets.removeAll { _, bucket in bucket.isFull(now: now) }
    }

    /// Keys tracked now.
    public var count: Int { buckets.count }
    /// Bucket slots allocated; never more than `capacity`.
    public var storageCount: Int { buckets.storageCount }
    public var capacity: Int { buckets.capacity }
    /// Keys forgotten to make room since start: non-zero means `capacity` is too small for the traffic (or a flood).
    public var evictions: Int { buckets.evictions }

    /// The keys that are limited at `now` (fewer than a full quota left), for the admin view.
    public func snapshot(now: ContinuousClock.Instant) -> [(key: Key, remaining: Int)] {
        buckets.entries.compactMap { entry in
            var bucket = entry.value
            guard !bucket.isFull(now: now) else { return nil }
            // Peek at the level without spending: take zero tokens on a copy.
            return (entry.key, bucket.take(0, now: now).remaining)
        }
    }
}
