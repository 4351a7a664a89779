import HTTP
import IOCore
import IPC
import JSON
import WebSocket

/// `GET /api/v1/events`: the live feed over WebSocket (RFC 6455, our own server side) or, for
/// `Accept: text/event-stream`, as Server-Sent Events (WHATWG HTML §9.2). Both carry the same JSON events.
package enum EventsAPI {
    package static let parameters = ["topics", "last_event_id", "bot", "guild", "outcome", "command", "ticket"]

    package static func register(on router: inout Router, feed: EventFeed) {
        router.get("/api/v1/events") { request, context in
            try APIQuery.check(request, allows: parameters)
            let upgrade = request.headers.contains("Upgrade", token: "websocket")
            // RFC 9110 §12.5.1: Accept is a list of media ranges, each with optional parameters.
            let sse = request.headers.values("Accept").contains { value in
                value.split(separator: ",").contains { $0.split(separator: ";").first?.trimmingSpaces().caseInsensitiveEquals("text/event-stream") ?? false }
            }
            guard upgrade || sse else {
                throw APIError(HTTPStatus(code: 426), .upgradeRequired,
                               "this is the live event feed: open it as a WebSocket, or with Accept: text/event-stream",
                               headers: ["Upgrade": "websocket"])
            }
            let role = context.principal?.role
            let (topics, lastEventID) = try parse(request, role: role, defaultToAll: !upgrade)
            if upgrade, case .failure = WebSocketHandshake.validate(request) {
                // Its own error response (426 with Sec-WebSocket-Version, 400 for a bad key).
                return WebSocketHandshake.upgradeResponse(for: request) { _ in }
            }
            let credential = context.principal?.credential as? Authenticator.Credential
            guard let id = feed.register(role: role, credential: credential, topics: topics, lastEventID: lastEventID) else {
                throw APIError(.serviceUnavailable, .tooManyEventClients,
                               "\(feed.settings.maxClients) clients are following the feed already ([http] max_event_clients); try again later",
                               headers: ["Retry-After": "5"])
            }
            let reservation = FeedReservation(feed: feed, id: id)
            if upgrade {
                return WebSocketHandshake.upgradeResponse(for: request, maximumMessageSize: 64 * 1024) { connection in
                    await feed.serve(connection, reservation)
                }
            }
            return HTTPResponse(headers: ["Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store"],
                                body: .stream { write in
                                    // The server awaits this body before it finishes the response: `write` does not outlive it.
                                    await withoutActuallyEscaping(write) { write in await feed.serveEventStream(write, reservation) }
                                })
        }
    }

    /// The topics (with filters) and resume point in the query and `Last-Event-ID`.
    static func parse(_ request: HTTPRequest, role: String?, defaultToAll: Bool) throws -> ([EventTopic: EventFilter], UInt64?) {
        var topics: [EventTopic] = []
        if let list = APIQuery.value(request, "topics") {
            for name in list.split(separator: ",").map({ String($0).trimmedSpaces }) where !name.isEmpty {
                guard let topic = EventTopic(rawValue: name) else {
                    throw APIError.parameter("topics: unknown topic \(name); known: \(EventTopic.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                guard topic.isAllowed(for: role) else { throw APIError(.forbidden, .topicForbidden, "role \(role ?? "") may not follow \(topic)") }
                topics.append(topic)
            }
        } else if defaultToAll {
            topics = EventTopic.allCases.filter { $0.isAllowed(for: role) }
        }
        var result: [EventTopic: EventFilter] = [:]
        let filters = ["bot", "guild", "outcome", "command"].compactMap { name in APIQuery.value(request, name).map { (name, $0) } }
            .filter { !$0.1.isEmpty }
        for (name, _) in filters where !topics.contains(where: { $0.filterNames.contains(name) }) {
            throw APIError.parameter("\(name) filters none of the topics asked for (\(topics.map(\.rawValue).joined(separator: ",")))")
        }
        for topic in topics {
            do {
                result[topic] = try EventFilter.parse(filters.filter { topic.filterNames.contains($0.0) }, for: topic)
            } catch {
                throw APIError.parameter(error.message)
            }
        }
        let last = APIQuery.value(request, "last_event_id") ?? request.headers["Last-Event-ID"]
        var lastEventID: UInt64?
        if let last, !last.isEmpty {
            guard let n = UInt64(last), n < 1 << 53 else { throw APIError.parameter("last_event_id must be an event id the feed sent") }
            lastEventID = n
        }
        return (result, lastEventID)
    }
}

/// A registered feed client, released when the connection ends or when the response that would have
/// served it is dropped unsent (so a failed upgrade never leaks a client slot).
final class FeedReservation: Sendable {
    let feed: EventFeed
    let id: Int
    init(feed: EventFeed, id: Int) {
        self.feed = feed
        self.id = id
    }
    deinit { feed.remove(id) }
}

extension String {
    var trimmedSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
