import Auth
import HTTP
import Synchronization

/// The API's rate limits (`[limits]` in the configuration): token buckets per client address and per
/// principal, one set for each class of route, the bulk and lifecycle routes stricter than the rest.
/// Memory is bounded: each table holds at most `capacity` keys (`BoundedTable`), refilled buckets are
/// pruned every few seconds, and a flood of new keys evicts the least recently seen.
package final class RateLimits: Sendable {
    /// Which policy a route falls under.
    package enum RouteClass: String, Sendable, CaseIterable {
        /// Reads and everything else.
        case api
        /// Changes to one bot or one job: create, update, delete, start, stop, restart, cancel.
        case lifecycle
        /// Bulk jobs over many bots.
        case bulk
    }

    /// Whose bucket a check takes from.
    package enum Scope: String, Sendable, CaseIterable {
        case address
        case principal
    }

    package struct Settings: Sendable, Equatable {
        package var enabled = true
        package var api = RateLimitPolicy(name: "api", quota: 600, window: .seconds(60))
        package var lifecycle = RateLimitPolicy(name: "lifecycle", quota: 60, window: .seconds(60))
        package var bulk = RateLimitPolicy(name: "bulk", quota: 10, window: .seconds(60))
        /// Keys each table tracks at most (per class and scope).
        package var capacity = 10_000
        package init() {}

        package func policy(_ routeClass: RouteClass) -> RateLimitPolicy {
            switch routeClass {
            case .api: api
            case .lifecycle: lifecycle
            case .bulk: bulk
            }
        }
    }

    struct Key: Hashable { var routeClass: RouteClass; var scope: Scope }
    struct State {
        var tables: [Key: KeyedRateLimiter<String>]
        var lastPrune: ContinuousClock.Instant
    }

    package let settings: Settings
    private let now: @Sendable () -> ContinuousClock.Instant
    // because a Mutex around plain structs costs less per request than an actor hop, and nothing inside awaits.
    private let state: Mutex<State>
    static let pruneInterval: Duration = .seconds(10)

    package init(settings: Settings, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.settings = settings
        self.now = now
        var tables: [Key: KeyedRateLimiter<String>] = [:]
        for routeClass in RouteClass.allCases {
            for scope in Scope.allCases {
                tables[Key(routeClass: routeClass, scope: scope)] = KeyedRateLimiter(policy: settings.policy(routeClass), capacity: settings.capacity)
            }
        }
        state = Mutex(State(tables: tables, lastPrune: now()))
    }

    /// The class of `method path`.
    package static func routeClass(method: HTTPMethod, path: String) -> RouteClass {
        guard method != .get && method != .head && method != .options else { return .api }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 3, parts[0] == "api", parts[1] == "v1" else { return .api }
        switch parts[2] {
        case "bulk": return .bulk
        case "bots":
            // POST /bots/{name}/validate is a read against Discord, not a change.
            if parts.count == 4 && parts[3] == "validate" { return .api }
            return .lifecycle
        case "jobs": return parts.last == "cancel" ? .lifecycle : .api
        default: return .api
        }
    }

    /// The address part of `127.0.0.1:53412` or `[::1]:53412`: a client's port changes per connection.
    package static func addressKey(_ clientAddress: String?) -> String? {
        guard let address = clientAddress else { return nil }
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<close])
        }
        if address.filter({ $0 == ":" }).count == 1, let colon = address.firstIndex(of: ":") { return String(address[..<colon]) }
        return address
    }

    /// Takes one request from `key`'s bucket for `routeClass` in `scope`.
    package func take(_ routeClass: RouteClass, scope: Scope, key: String) -> RateLimitDecision {
        let instant = now()
        return state.withLock { state in
            if instant - state.lastPrune >= RateLimits.pruneInterval {
                for k in state.tables.keys { state.tables[k]!.prune(now: instant) }
                state.lastPrune = instant
            }
            return state.tables[Key(routeClass: routeClass, scope: scope)]!.take(key, now: instant)
        }
    }

    /// One table's figures for the admin view.
    package struct TableFigures: Sendable, Encodable {
        package var policy: String
        package var scope: String
        package var tracked: Int
        package var capacity: Int
        package var evictions: Int
    }

    /// A key with less than a full quota left.
    package struct LimitedKey: Sendable, Encodable {
        package var policy: String
        package var scope: String
        package var key: String
        package var remaining: Int
    }

    /// What `GET /api/v1/limits` shows.
    package struct Snapshot: Sendable, Encodable {
        package struct Policy: Sendable, Encodable {
            package var name: String
            package var quota: Int
            package var window_seconds: Int
        }
        package var enabled: Bool
        package var policies: [Policy]
        package var tables: [TableFigures]
        /// The keys furthest below their quota first, at most `limit`.
        package var limited: [LimitedKey]
    }

    package func snapshot(limit: Int = 100) -> Snapshot {
        let instant = now()
        return state.withLock { state in
            var tables: [TableFigures] = []
            var limited: [LimitedKey] = []
            for routeClass in RouteClass.allCases {
                for scope in Scope.allCases {
                    let table = state.tables[Key(routeClass: routeClass, scope: scope)]!
                    tables.append(TableFigures(policy: routeClass.rawValue, scope: scope.rawValue, tracked: table.count,
                                               capacity: table.capacity, evictions: table.evictions))
                    limited += table.snapshot(now: instant).map {
                        LimitedKey(policy: routeClass.rawValue, scope: scope.rawValue, key: $0.key, remaining: $0.remaining)
                    }
                }
            }
            limited.sort { ($0.remaining, $0.policy, $0.key) < ($1.remaining, $1.policy, $1.key) }
            let policies = RouteClass.allCases.map { c in
                let p = settings.policy(c)
                return Snapshot.Policy(name: p.name, quota: p.quota, window_seconds: Int(p.window.components.seconds))
            }
            return Snapshot(enabled: settings.enabled, policies: policies, tables: tables, limited: Array(limited.prefix(limit)))
        }
    }

    /// Bucket slots allocated over every table (never more than 6 × capacity).
    package var storageCount: Int {
        state.withLock { $0.tables.values.reduce(0) { $0 + $1.storageCount } }
    }
}
