import Auth
import HTTP
import IPC
import JSON

/// Which audit action a request is, from its method, path and answer alone, so every route (today's and
/// the account and token routes the auth layer adds) is covered without touching a handler. Reads are not
/// audited, except a refusal: any 403 `FORBIDDEN` is `access.denied`, and 429 `RATE_LIMITED` is
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

    /// Body fields that may be copied into an event (an account or token name and role: never a secret).
    static let safeBodyFields = ["name", "username", "role", "ttl", "all"]

    /// The event for `method path` answered with `status` and error `code` (nil for a success), or nil
    /// when the request is not audited.
    package static func classify(method: HTTPMethod, path: String, status: Int, code: ErrorCode?, location: String? = nil,
                                 body: [UInt8] = []) -> Event? {
        let outcome: AuditOutcome = (200..<300).contains(status) ? .success : [401, 403, 429].contains(status) ? .denied : .failure
        if status == 429 && code == .rateLimited {
            return Event(action: .rateLimited, target: "\(method) \(path)", outcome: .denied, aggregated: true)
        }
        if (status == 403 && code == ErrorCode("FORBIDDEN")) || code == .originNotAllowed {
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

    /// Fields from a JSON body safe to copy into the audit details (`safeBodyFields`); nothing else.
    package static func safeDetails(_ body: [UInt8]) -> [String: String] {
        guard !body.isEmpty, let object = (try? JSON.parse(body))?.object else { return [:] }
        var out: [String: String] = [:]
        for key in safeBodyFields {
            switch object[key] {
            case .string(let s)?: out[key] = String(s.prefix(128))
            case .bool(let b)?: out[key] = String(b)
            default: break
            }
        }
        return out
    }

    static func lastSegment(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
