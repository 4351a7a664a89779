import IPC
import JSON

extension OpenAPIDocument {
    package static let eventErrorCodes = [ErrorCode.upgradeRequired, .tooManyEventClients, .topicForbidden].map(\.rawValue)

    /// The live feed (`EventsAPI`) and the dashboard's files (`Dashboard`).
    package static func eventPaths() -> [String: JSON] {
        let error: JSON = ["description": "An error in the one shape every route uses",
                           "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
        func query(_ name: String, _ description: String) -> JSON {
            ["name": .string(name), "in": "query", "required": false, "description": .string(description), "schema": ["type": "string"]]
        }
        let html: JSON = ["description": "The dashboard", "content": ["text/html": ["schema": ["type": "string"]]]]
        return [
            "/api/v1/events": ["get": [
                "summary": "The live event feed: a WebSocket (Upgrade: websocket), or Server-Sent Events (Accept: text/event-stream)",
                "description": """
                    Every event is JSON: {"id": N, "time": <Unix ms>, "topic": "...", "type": "...", "data": {...}}. Topics: \
                    bots (bot.state, bot.exited, bot.handover, bot.added, bot.updated: its configuration changed, \
                    bot.removed), commands (command: one committed record), \
                    metrics (metrics.sampled), jobs (job.state, job.item), stock (stock.changed, display.updated, display.broken), \
                    audit (admins; audit.recorded: the row as GET /api/v1/audit lists it). Over WebSocket a client sends \
                    {"op":"subscribe","topic":"commands","filter":{"bot":"shop","outcome":"error"},"last_event_id":N} and \
                    {"op":"unsubscribe","topic":"commands"}, and gets subscribed/unsubscribed/error replies. A client that \
                    reconnects with its last id (last_event_id, or the Last-Event-ID header) gets what it missed, or a reset \
                    event when those events are no longer kept. A client whose queue overflows gets lagged {"missed": n}; one \
                    that stays behind is closed with 1008. A connection whose credential is revoked (token revoked, account \
                    disabled, deleted or changed, logout) or expires is closed within a second: 1008 with the reason, or a final \
                    closed message over SSE. At most [http] max_event_clients clients; the next gets 503.
                    """,
                "parameters": [
                    query("topics", "Comma-separated topics to follow from the start (SSE default: every topic the role may follow; WebSocket default: none)"),
                    query("last_event_id", "Resume after this event id"),
                    query("bot", "Keep only this bot's events (bots, commands)"), query("guild", "Keep only this guild's commands"),
                    ["name": "outcome", "in": "query", "required": false, "description": "Keep only commands with this outcome",
                     "schema": ["type": "string", "enum": .array([""] + CommandOutcome.allCases.map { .string($0.rawValue) })]],
                    query("command", "Keep only this command"),
                    query("ticket", "A single-use ticket from POST /api/v1/auth/ws-ticket, for clients that cannot send Authorization (browsers' WebSocket)"),
                ],
                "responses": [
                    "101": ["description": "Switched to WebSocket"],
                    "200": ["description": "The event stream", "content": ["text/event-stream": ["schema": ["type": "string"]]]],
                    "400": error, "403": error, "426": error, "503": error,
                ]]],
            "/": ["get": ["summary": "The dashboard (HTML; its scripts and styles come from /assets)", "responses": ["200": html]]],
            "/assets/{file}": ["get": [
                "summary": "A dashboard file (app.js, app.css), shipped in the binary",
                "parameters": [["name": "file", "in": "path", "required": true,
                                "schema": ["type": "string", "enum": .array(Dashboard.files.keys.sorted().map(JSON.string))]]],
                "responses": ["200": ["description": "The file", "content": ["text/javascript": ["schema": ["type": "string"]],
                                                                             "text/css": ["schema": ["type": "string"]]]],
                              "404": error]]],
        ]
    }

    package static func addingEvents(to document: JSON) -> JSON {
        guard case .object(var root) = document, case .object(var paths)? = root["paths"] else { return document }
        paths.merge(eventPaths()) { _, new in new }
        root["paths"] = .object(paths)
        return .object(root)
    }
}
