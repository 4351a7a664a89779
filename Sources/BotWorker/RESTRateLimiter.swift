import Discord

/// A REST route and its rate-limit identity (docs/discord-protocol.md §3.1).
public struct RESTRoute: Sendable, Hashable {
    public var method: String
    /// The path with ids replaced by placeholders: `/channels/{channel_id}/messages`.
    public var template: String
    /// The top-level resource: a channel, guild or webhook (+ token) id.
    public var majorParameter: String

    /// Derives template and major parameter from a concrete path (`/channels/123/messages`).
    public init(method: String, path: String) {
        self.method = method
        let parts = path.split(separator: "?", maxSplits: 1)[0].split(separator: "/").map(String.init)
        var template: [String] = []
        var major = ""
        var i = 0
        while i < parts.count {
            let part = parts[i]
            template.append(part)
            if i + 1 < parts.count {
                let next = parts[i + 1]
                switch part {
                case "channels", "guilds":
                    if major.isEmpty && i == 0 { major = next }
                    template.append("{id}")
                    i += 2
                    continue
                case "webhooks", "interactions":
                    // Webhook id + token together form the major parameter.
                    if i + 2 < parts.count {
                        if major.isEmpty { major = next + "/" + parts[i + 2] }
                        template += ["{id}", "{token}"]
                        i += 3
                    } else {
                        if major.isEmpty { major = next }
                        template.append("{id}")
                        i += 2
                    }
                    continue
                default:
                    if next.allSatisfy(\.isNumber) {
                        template.append(part == "messages" ? "{message_id}" : "{id}")
                        i += 2
                        continue
                    }
                }
            }
            i += 1
        }
        self.template = "/" + template.joined(separator: "/")
        self.majorParameter = major
    }

    /// Interaction callbacks and webhook follow-ups are exempt from the global limit (D-INT, D-RL).
    public var isInteraction: Bool { template.hasPrefix("/interactions") || template.hasPrefix("/webhooks") }

    var key: String { "\(method) \(template)" }
}

/// Discord's REST rate limits as a state machine with an injected clock:
/// per-route buckets learned from `X-RateLimit-*` headers and keyed by bucket
/// hash + major parameter, a pre-emptive global limit of 50 requests per
/// second, and 429 handling (a global 429 locks every route).
public struct RESTRateLimiter: Sendable {
    public typealias Instant = ContinuousClock.Instant

    public enum Decision: Sendable, Equatable {
        case go
        case waitUntil(Instant)
    }

    struct Bucket {
        var remaining: Int
        var resetAt: Instant
        /// Requests sent and not yet answered: before any header arrives only one goes at a time.
        var inFlight = 0
        var known: Bool
    }

    public var globalPerSecond = 50
    /// route key -> bucket hash learned from responses.
    private var hashes: [String: String] = [:]
    private var buckets: [String: Bucket] = [:]
    private var globalSent: [Instant] = []
    private var globalLockedUntil: Instant?

    public init() {}

    private func bucketKey(_ route: RESTRoute) -> String {
        "\(hashes[route.key] ?? route.key):\(route.majorParameter)"
    }

    /// May a request on `route` go now? If so it is counted.
    public mutating func reserve(_ route: RESTRoute, now: Instant) -> Decision {
        if let until = globalLockedUntil {
            if now < until { return .waitUntil(until) }
            globalLockedUntil = nil
        }
        let key = bucketKey(route)
        var bucket = buckets[key] ?? Bucket(remaining: 1, resetAt: now, inFlight: 0, known: false)
        if bucket.known {
            if now >= bucket.resetAt && bucket.remaining <= 0 {
                // The window passed: the next response's headers will tell the new count.
                bucket.remaining = 1
                bucket.known = false
            } else if bucket.remaining <= 0 {
                return .waitUntil(bucket.resetAt)
            }
        } else if bucket.inFlight > 0 {
            // Unknown limit: one request at a time until headers teach us the bucket.
            return .waitUntil(now + .milliseconds(5))
        }
        if !route.isInteraction {
            globalSent.removeAll { now - $0 >= .seconds(1) }
            // A little under the limit: requests sent 1 s apart can arrive closer together.
            if globalSent.count >= globalPerSecond - 2 { return .waitUntil(globalSent[globalSent.count - (globalPerSecond - 2)] + .seconds(1) + .milliseconds(20)) }
            globalSent.append(now)
        }
        bucket.remaining -= 1
        bucket.inFlight += 1
        buckets[key] = bucket
        return .go
    }

    /// Learns from a response (status and headers, lower-cased names).
    public mutating func record(_ route: RESTRoute, status: Int, headers: [String: String], retryAfter: Double?,
                                global: Bool, now: Instant) {
        let oldKey = bucketKey(route)
        var bucket = buckets[oldKey] ?? Bucket(remaining: 0, resetAt: now, known: false)
        bucket.inFlight = max(0, bucket.inFlight - 1)
        if let hash = headers["x-ratelimit-bucket"], hashes[route.key] != hash {
            hashes[route.key] = hash
            buckets[oldKey] = nil
        }
        if status == 429 {
            let wait = Duration.milliseconds(Int64((retryAfter ?? Double(headers["retry-after"] ?? "1") ?? 1) * 1000))
            if global || headers["x-ratelimit-global"] == "true" {
                globalLockedUntil = now + wait
            } else {
                bucket.remaining = 0
                bucket.resetAt = now + wait
                bucket.known = true
            }
        } else if let remaining = headers["x-ratelimit-remaining"].flatMap(Int.init),
                  let resetAfter = headers["x-ratelimit-reset-after"].flatMap(Double.init) {
            // In-flight requests already spent from this count. Responses can arrive out of order:
            // within the same window the lowest count is the truest.
            let fresh = remaining - bucket.inFlight
            let sameWindow = bucket.known && now < bucket.resetAt
            bucket.remaining = sameWindow ? min(bucket.remaining, fresh) : fresh
            let resetAt = now + .milliseconds(Int64(resetAfter * 1000))
            bucket.resetAt = sameWindow ? max(bucket.resetAt, resetAt) : resetAt
            bucket.known = true
        } else if !bucket.known {
            bucket.remaining = 1
        }
        buckets[bucketKey(route)] = bucket
    }
}

/// 401, 403 and 429 responses in the last 10 minutes: Discord bans an IP at
/// 10,000 (D-RL "Invalid Request Limit"). Shared-scope 429s do not count.
public struct InvalidRequestCounter: Sendable {
    public typealias Instant = ContinuousClock.Instant
    private var times: [Instant] = []
    public init() {}

    public mutating func record(status: Int, scope: String?, now: Instant) {
        guard status == 401 || status == 403 || (status == 429 && scope != "shared") else { return }
        times.append(now)
    }

    public mutating func count(now: Instant) -> Int {
        times.removeAll { now - $0 >= .seconds(600) }
        return times.count
    }
}
