import Discord
import HTTP
import IOCore
import JSON
import Logging
import TLS

/// A Discord REST response.
public struct DiscordResponse: Sendable {
    public var status: Int
    public var body: JSON
    public var ok: Bool { (200..<300).contains(status) }
    /// Discord's JSON error code (`10062`, `50035` ...), when present.
    public var errorCode: Int? { body["code"]?.int }
}

/// Discord's REST API through our HTTP client: `Authorization: Bot`, the
/// `DiscordBot` user agent, rate limits obeyed before sending (buckets and the
/// global limit), 429s honoured, 5xx retried with backoff, and 401/403/429
/// counted against the invalid-request budget.
public actor DiscordREST {
    public let apiBase: String
    private let token: String
    private let client: HTTPClient
    private var limiter = RESTRateLimiter()
    private var invalid = InvalidRequestCounter()
    private let logger: Logger
    public private(set) var calls = 0
    public private(set) var tooManyRequests = 0
    /// The round trip of the last successful call.
    public private(set) var lastRTT: Duration?
    public static let userAgent = "DiscordBot (https://github.com/botvisor/botvisor, 0.1.0)"

    public init(apiBase: String, token: String, tls: TLSConfiguration = .default, logger: Logger) {
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.token = token
        var configuration = HTTPClient.Configuration()
        configuration.tls = tls
        configuration.defaultHeaders = ["User-Agent": DiscordREST.userAgent]
        configuration.requestTimeout = .seconds(15)
        self.client = HTTPClient(configuration: configuration, logger: logger)
        self.logger = logger
    }

    public func invalidRequestCount() -> Int { invalid.count(now: .now) }

    /// How many invalid requests (last 10 minutes) this bot may reach before its calls wait: set by botvisord,
    /// which shares Discord's per-IP budget among the fleet (`InvalidRequestBudget`). nil: no allowance.
    private var allowance: Int?
    /// Calls are held because the allowance is reached.
    public private(set) var paused = false

    public func setInvalidRequestAllowance(_ allowance: Int?) {
        self.allowance = allowance
    }

    /// Waits while the bot's invalid requests of the last 10 minutes reach its allowance: the next 401, 403 or
    /// 429 could push the whole host toward a Cloudflare ban (docs/discord-protocol.md §3.1).
    private func waitForAllowance() async throws {
        while let allowance, invalid.count(now: .now) >= allowance {
            if !paused {
                paused = true
                logger.warning("holding REST calls: the invalid-request allowance is reached",
                               ["invalid_requests": invalid.count(now: .now), "allowance": allowance])
            }
            try await Reactor.shared.sleep(until: .now + .milliseconds(250))
        }
        if paused {
            paused = false
            logger.notice("REST calls resume: the invalid-request allowance has room again")
        }
    }

    /// Sends a request; waits as the rate limits require. Throws only on transport failure after retries.
    public func send(_ method: HTTPMethod, _ path: String, body: JSON? = nil, authorized: Bool = true) async throws -> DiscordResponse {
        let route = RESTRoute(method: method.rawValue, path: path)
        var serverErrors = 0
        while true {
            try await waitForAllowance()
            // Wait for the buckets and the global limit before sending (never provoke a 429).
            while case .waitUntil(let until) = limiter.reserve(route, now: .now) {
                try await Reactor.shared.sleep(until: until)
            }
            var headers: HTTPHeaders = [:]
            if authorized { headers.add("Authorization", "Bot \(token)") }
            if body != nil { headers.add("Content-Type", "application/json") }
            let started = ContinuousClock.now
            let response: HTTPClientResponse
            do {
                response = try await client.send(HTTPClientRequest(method: method, url: apiBase + path, headers: headers, body: body?.bytes ?? []))
            } catch {
                limiter.record(route, status: 0, headers: [:], retryAfter: nil, global: false, now: .now)
                serverErrors += 1
                if serverErrors > 3 { throw error }
                try await Reactor.shared.sleep(until: .now + RESTRetry.delay(attempt: serverErrors))
                continue
            }
            calls += 1
            var lower: [String: String] = [:]
            for (name, value) in response.headers { lower[name.lowercased()] = value }
            let json = (try? JSON.parse(response.body)) ?? .null
            let status = response.status.code
            invalid.record(status: status, scope: lower["x-ratelimit-scope"], now: .now)
            // 30046: the edits of a message older than an hour are used up. Not the route's bucket: its retry_after
            // must not stop every edit in the channel. The caller decides (a stock display posts a fresh message).
            if status == 429 && json["code"]?.int == 30046 {
                limiter.record(route, status: 400, headers: lower, retryAfter: nil, global: false, now: .now)
                lastRTT = ContinuousClock.now - started
                return DiscordResponse(status: status, body: json)
            }
            limiter.record(route, status: status, headers: lower, retryAfter: json["retry_after"]?.double,
                           global: json["global"]?.bool ?? false, now: .now)
            if status == 429 {
                tooManyRequests += 1
                logger.warning("rate limited by Discord", ["route": route.template, "retry_after": json["retry_after"]?.double ?? 0])
                continue
            }
            if status >= 500 && serverErrors < 3 {
                serverErrors += 1
                try await Reactor.shared.sleep(until: .now + RESTRetry.delay(attempt: serverErrors))
                continue
            }
            lastRTT = ContinuousClock.now - started
            return DiscordResponse(status: status, body: json)
        }
    }

    public func shutdown() { client.shutdown() }
}

/// Backoff for 5xx and transport failures: 0.5 s, 1 s, 2 s.
public enum RESTRetry {
    public static func delay(attempt: Int) -> Duration { .milliseconds(250 << min(attempt, 4)) }
}
