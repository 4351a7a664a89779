import Auth
import HTTP
import IPC
import JSON

/// Which audit action a request is, from its method, path and answer alone, so every route (today's and
/// the account and token routes the auth layer adds) is covered without touching a handler. Reads are not
/// audited, except a refusal: any 403 `FORBIDDEN` (or `TOPIC_FORBIDDEN`, a live-feed topic the role may not
/// follow) is `access.denied`, and 429 `RATE_LIMITED` is
/// `rate.limited` (which the trail aggregates per minute).
package enum AuditRoutes {
    /// What to record for one answered request.
    package struct Event: Equatable, Sendable {
        package var action: AuditAction
        package var target: String?
        package var outcome: AuditOutcome
        /// A `rate.limited` refusal: counted, not written one row per request.
        package var aggregated = false
    }

    /// Body fields that may be copied into an event (an account or token name and role, what a stock change
    /// set: never a secret; a bot's `token` is not among them).
    static let safeBodyFields = ["name", "username", "role", "ttl", "all", "sku", "skus", "category", "quantity", "visible", "out_of_stock",
                                 "catalog_id", "catalogs", "displays", "bot", "channel_id", "enabled"]

    /// The event for `method path` answered with `status` and error `code` (nil for a success), or nil
    /// when the request is not audited.
    package static func classify(method: HTTPMethod, path: String, status: Int, code: ErrorCode?, location: String? = nil,
                                 body: [UInt8] = []) -> Event? {
        let outcome: AuditOutcome = (200..<300).contains(status) ? .success : [401, 403, 429].contains(status) ? .denied : .failure
        if status == 429 && code == .rateLimited {
            return Event(action: .rateLimited, target: "\(method) \(path)", outcome: .denied, aggregated: true)
        }
        if (status == 403 && [ErrorCode("FORBIDDEN"), .topicForbidden].contains(code)) || code == .originNotAllowed {
            return Event(action: .accessDenied, target: "\(method) \(path)", outcome: .denied)
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 3, parts[0] == "api", parts[1] == "v1" else { return nil }
        let rest = Array(parts.dropFirst(2))
        let bodyName = { () -> String? in
            guard !body.isEmpty, let json = try? JSON.parse(body) else { return nil }
            return json["username"]?.string ?? json["name"]?.string
        }
        switch (method, rest.first ?? "") {
        case (.post, "auth"):
            switch rest.dropFirst().first {
            case "login":
                if (200..<300).contains(status) { return Event(action: .authLogin, target: bodyName(), outcome: .success) }
                if code == ErrorCode("LOGIN_FAILED") || code == ErrorCode("LOGIN_LOCKED") {
                    return Event(action: .authLoginFailed, target: bodyName(), outcome: code == ErrorCode("LOGIN_LOCKED") ? .denied : .failure)
                }
                return nil
            case "refresh":
                return code == ErrorCode("REFRESH_REUSED") ? Event(action: .authRefreshReused, target: nil, outcome: .denied) : nil
            case "logout":
                return (200..<300).contains(status) ? Event(action: .authLogout, target: nil, outcome: .success) : nil
            default: return nil
            }
        case (_, "bots") where method != .get && method != .head:
            switch (method, rest.count) {
            case (.post, 1):
                return Event(action: .botCreate, target: bodyName() ?? location.map(lastSegment), outcome: outcome)
            case (.patch, 2), (.put, 2): return Event(action: .botUpdate, target: rest[1], outcome: outcome)
            case (.delete, 2): return Event(action: .botDelete, target: rest[1], outcome: outcome)
            case (.post, 3):
                switch rest[2] {
                case "start": return Event(action: .botStart, target: rest[1], outcome: outcome)
                case "stop": return Event(action: .botStop, target: rest[1], outcome: outcome)
                case "restart": return Event(action: .botRestart, target: rest[1], outcome: outcome)
                default: return nil   // validate: a read against Discord, nothing changes
                }
            default: return nil
            }
        case (.post, "bulk") where rest.count == 2:
            return Event(action: .bulk(rest[1]), target: location.map(lastSegment), outcome: outcome)
        case (.post, "bulk") where rest.count == 3:
            // The stock jobs, by their job kinds: /bulk/products/visibility and /bulk/displays/refresh.
            let kind = switch (rest[1], rest[2]) {
            case ("products", "visibility"): "product_visibility"
            case ("displays", "refresh"): "display_refresh"
            default: "\(rest[1])_\(rest[2])"
            }
            return Event(action: .bulk(kind), target: location.map(lastSegment), outcome: outcome)
        case (_, "catalogs") where method != .get && method != .head:
            return catalogEvent(method, rest, outcome: outcome, location: location, body: body)
        case (_, "displays") where method != .get && method != .head:
            return displayEvent(method, rest, outcome: outcome, location: location)
        case (.post, "jobs") where rest.count == 3 && rest[2] == "cancel":
            return Event(action: .jobCancel, target: rest[1], outcome: outcome)
        case (.post, "config") where rest.last == "reload", (.post, "reload"):
            return Event(action: .configReload, target: nil, outcome: outcome)
        case (_, "tokens") where method != .get && method != .head:
            // POST /tokens creates; DELETE /tokens/{id} or POST /tokens/{id}/revoke revokes.
            if method == .post && rest.count == 1 {
                return Event(action: .tokenCreate, target: bodyName() ?? location.map(lastSegment), outcome: outcome)
            }
            return Event(action: .tokenRevoke, target: rest.count > 1 ? rest[1] : nil, outcome: outcome)
        case (_, "users") where method != .get && method != .head:
            let verb: String = switch (method, rest.count) {
            case (.post, 1): "create"
            case (.delete, _): "delete"
            case (.post, 3...): rest[2]
            default: "update"
            }
            return Event(action: .user(verb), target: rest.count > 1 ? rest[1] : bodyName(), outcome: outcome)
        default:
            return nil
        }
    }

    /// Fields from a JSON body safe to copy into the audit details (`safeBodyFields`); nothing else. Values
    /// are text of at most 128 characters; a list is its items joined by commas; `null` (an unlimited
    /// quantity) is `null`. The SKUs of `PUT .../stock` are `skus`, and their number `lines`.
    package static func safeDetails(_ body: [UInt8]) -> [String: String] {
        guard !body.isEmpty, let object = (try? JSON.parse(body))?.object else { return [:] }
        var out: [String: String] = [:]
        for key in safeBodyFields {
            if let value = object[key], let text = detail(value) { out[key] = text }
        }
        if let items = object["items"]?.array {
            out["lines"] = String(items.count)
            if let skus = detail(.array(items.compactMap { $0["sku"] })) { out["skus"] = skus }
        }
        return out
    }

    static func detail(_ value: JSON) -> String? {
        let text: String
        switch value {
        case .string(let s): text = s
        case .bool(let b): text = String(b)
        case .number(let n): text = n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .null: text = "null"
        case .array(let items):
            let parts = items.compactMap { item -> String? in
                if case .array = item { return nil }
                if case .object = item { return nil }
                return detail(item)
            }
            guard !parts.isEmpty else { return nil }
            text = parts.joined(separator: ",")
        case .object: return nil
        }
        return text.count > 128 ? String(text.prefix(127)) + "…" : text
    }

    static func lastSegment(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
