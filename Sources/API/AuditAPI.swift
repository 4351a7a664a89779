import Auth
import Fleet
import HTTP
import IPC
import JSON
import Store

/// `GET /api/v1/audit` (the audit log, newest first, filtered and cursor-paginated like the logs) and
/// `GET /api/v1/limits` (the rate limits and who is being limited now). Both are for admins; the auth
/// layer's role table says so.
package enum AuditAPI {
    package static let parameters = ["actor", "action", "target", "outcome", "from", "to", "limit", "cursor"]

    /// One row on the wire: in `GET /api/v1/audit` pages and, the same object, as the data of the live
    /// feed's `audit.recorded` events. Absent address, target and request id are left out.
    package struct Event: Encodable, Sendable {
        package var seq: Int64
        package var time: Int64
        package var actor: String
        package var address: String?
        package var action: String
        package var target: String?
        package var outcome: String
        package var request_id: String?
        package var details: [String: String]
        package var prev_hash: String
        package var hash: String

        package init(_ row: AuditRow) {
            seq = row.entry.sequence
            time = row.entry.time
            actor = row.entry.actor
            address = row.entry.address
            action = row.entry.action
            target = row.entry.target
            outcome = row.entry.outcome
            request_id = row.entry.requestID
            details = row.entry.details
            prev_hash = SupervisorStore.hex(row.previousHash)
            hash = SupervisorStore.hex(row.hash)
        }

        package var json: JSON {
            var o: [String: JSON] = ["seq": .number(Double(seq)), "time": .number(Double(time)), "actor": .string(actor),
                                     "action": .string(action), "outcome": .string(outcome),
                                     "details": .object(details.mapValues(JSON.string)), "prev_hash": .string(prev_hash), "hash": .string(hash)]
            if let address { o["address"] = .string(address) }
            if let target { o["target"] = .string(target) }
            if let request_id { o["request_id"] = .string(request_id) }
            return .object(o)
        }

        /// The page and the feed write the same object.
        package func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }
    }

    /// What the daemon gives its `AuditTrail`: each written row goes on `events` as `FleetEvent.audited`.
    package static func publishing(to events: FleetEventStream) -> @Sendable (AuditRow) -> Void {
        { row in events.publish(.audited(row: Event(row).json)) }
    }

    package struct Page: Encodable, Sendable {
        package var events: [Event]
        package var next_cursor: String?
    }

    package static func register(on router: inout Router, store: SupervisorStore, limits: RateLimits?) {
        router.get("/api/v1/audit") { request, _ in
            let query = try parse(request)
            let rows = try await store.auditRows(query)
            let next = rows.count == query.limit ? rows.last.map { "\($0.entry.sequence)_\($0.entry.time)" } : nil
            return .json(Page(events: rows.map(Event.init), next_cursor: next))
        }
        router.get("/api/v1/limits") { request, _ in
            try APIQuery.check(request, allows: [])
            return .json(limits?.snapshot() ?? RateLimits(settings: { var s = RateLimits.Settings(); s.enabled = false; return s }()).snapshot())
        }
    }

    package static func parse(_ request: HTTPRequest) throws -> AuditQuery {
        try APIQuery.check(request, allows: parameters)
        var q = AuditQuery()
        q.actor = APIQuery.value(request, "actor")
        q.action = APIQuery.value(request, "action")
        q.target = APIQuery.value(request, "target")
        if let outcome = APIQuery.value(request, "outcome") {
            guard AuditOutcome(rawValue: outcome) != nil else {
                throw APIError.parameter("outcome must be \(AuditOutcome.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            q.outcome = outcome
        }
        func integer(_ name: String) throws -> Int64? {
            guard let text = request.query(name) else { return nil }
            guard let n = Int64(text), n >= 0, n <= 10_000_000_000_000 else {
                throw APIError.parameter("\(name) must be an integer from 0 to 10000000000000 (Unix milliseconds)")
            }
            return n
        }
        q.from = try integer("from")
        q.to = try integer("to")
        q.limit = try APIQuery.limit(request, default: 100)
        if let token = APIQuery.value(request, "cursor") {
            // `<seq>_<time>`: the position is the last row's sequence; pages go below it.
            guard APIQuery.isCursor(token), let id = token.split(separator: "_").first.flatMap({ Int64($0) }) else {
                throw APIError(.badRequest, .invalidCursor, "cursor is not one this API returned")
            }
            q.before = id
        }
        return q
    }
}
