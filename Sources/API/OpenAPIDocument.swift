import Discord
import Fleet
import IPC
import JSON
import Operations
import Store

/// The OpenAPI 3.1 description of the HTTP API, served at `/api/v1/openapi.json`.
/// A test checks that every route the router serves is described here.
package enum OpenAPIDocument {
    package static let errorCodes = [ErrorCode.notFound, .methodNotAllowed, .botNotFound, .invalidParameter, .invalidCursor, .invalidQuery,
                                     .internal, .badRequest, .rateLimited, .unsupportedMediaType, .misdirectedRequest, .originNotAllowed]
        .map(\.rawValue) + OpenAPIManagement.errorCodes + OpenAPIAuth.errorCodes + OpenAPIStock.errorCodes + eventErrorCodes
        // The server's own refusal of a body over its limit (HTTPServer), documented on every route with a body.
        + ["CONTENT_TOO_LARGE"]

    /// A cursor as the API writes it (`<position>_<id>`); every string matching this is a position the server accepts.
    /// An empty value is the same as leaving the parameter out (true of every query parameter).
    package static let cursorPattern = "^([0-9]{1,18}_[A-Za-z0-9_-]{1,64})?$"

    /// Durations `window` takes, 1m to 366d (the server also reads forms such as `90s` or `1.5h`; the document keeps to whole units).
    package static let windowPattern = "^(([1-9][0-9]{0,4}|[1-4][0-9]{5}|5[01][0-9]{4}|52[0-6][0-9]{3}|5270[0-3][0-9]|527040)m|([1-9][0-9]{0,2}|[1-7][0-9]{3}|8[0-6][0-9]{2}|87[0-7][0-9]|878[0-4])h|([1-9][0-9]?|[12][0-9]{2}|3[0-5][0-9]|36[0-6])d)?$"

    package static func query(_ name: String, _ type: String, _ description: String) -> JSON {
        ["name": .string(name), "in": "query", "required": false, "description": .string(description), "schema": ["type": .string(type)]]
    }

    package static func milliseconds(_ name: String, _ description: String) -> JSON {
        ["name": .string(name), "in": "query", "required": false, "description": .string(description),
         "schema": ["type": "integer", "minimum": 0, "maximum": 10_000_000_000_000]]
    }

    /// The filters of `GET /api/v1/logs` (and its presets and export).
    package static let logFilters: [JSON] = [
        query("bot", "string", "Bot name"), query("guild", "string", "Guild id"), query("channel", "string", "Channel id"),
        query("user", "string", "User id"), query("command", "string", "Command name"),
        // "" is listed because an empty text value means the parameter is absent, on every route.
        ["name": "outcome", "in": "query", "required": false,
         "schema": ["type": "string", "enum": .array([""] + CommandOutcome.allCases.map { .string($0.rawValue) })]],
        milliseconds("from", "Start, Unix milliseconds"), milliseconds("to", "End, Unix milliseconds"),
        milliseconds("min_duration_ms", "Minimum duration"),
        ["name": "q", "in": "query", "required": false,
         "description": "FTS5 full-text query (https://www.sqlite.org/fts5.html); text FTS5 cannot parse is searched as one phrase",
         "schema": ["type": "string"]],
        ["name": "limit", "in": "query", "required": false, "schema": ["type": "integer", "minimum": 1, "maximum": 500]],
        ["name": "cursor", "in": "query", "required": false, "description": "next_cursor from the previous page",
         "schema": ["type": "string", "pattern": .string(cursorPattern)]],
    ]

    package static func make() -> JSON {
        // Auth last but the common answers: it gives every operation already in the document its security, role and 401/403.
        addingCommonResponses(to: OpenAPIAuth.merge(into: addingEvents(to: addingAudit(to: OpenAPIStock.merge(into: OpenAPIManagement.merge(into: base()))))))
    }

    package static func base() -> JSON {
        func ref(_ name: String) -> JSON { ["$ref": .string("#/components/schemas/\(name)")] }
        func json(_ schema: JSON, _ description: String) -> JSON {
            ["description": .string(description), "content": ["application/json": ["schema": schema]]]
        }
        let errorResponse = json(ref("Error"), "An error in the one shape every route uses")
        let filters = logFilters
        func logsOperation(_ summary: String, extra: [JSON] = []) -> JSON {
            ["get": ["summary": .string(summary), "parameters": .array(extra + filters),
                     "responses": ["200": json(ref("LogPage"), "A page of command records, newest first"), "400": errorResponse, "500": errorResponse]]]
        }
        let recordProperties: JSON = [
            "id": ["type": "string"], "bot": ["type": "string"], "guild_id": ["type": ["string", "null"]], "channel_id": ["type": ["string", "null"]],
            "user_id": ["type": "string"], "command": ["type": "string"], "options": ["description": "The command's options as the user sent them (JSON)"],
            "started_at": ["type": "integer", "description": "Unix milliseconds"],
            "duration_us": ["type": "integer"], "outcome": ["type": "string", "enum": .array(CommandOutcome.allCases.map { .string($0.rawValue) })], "error_code": ["type": ["string", "null"]],
            "error_message": ["type": ["string", "null"]],
        ]
        let statsGroup: JSON = ["type": "object", "properties": ["count": ["type": "integer"], "errors": ["type": "integer"],
                                                                   "error_rate": ["type": "number"], "p50_ms": ["type": "number"],
                                                                   "p95_ms": ["type": "number"], "p99_ms": ["type": "number"]]]
        // The monitoring routes are described beside them, in OpenAPIDocument+Monitoring.swift.
        return addingMonitoring(to: [
            "openapi": "3.1.0",
            "info": ["title": "botvisor", "version": "0.1.0",
                     "description": .string("Every response carries X-Request-Id. Error codes: \(errorCodes.joined(separator: ", ")). "
                                            + "Past `[http] max_connections` open connections, a new one is answered 503 "
                                            + "TOO_MANY_CONNECTIONS with Retry-After before any request is read, and closed.")],
            "paths": [
                "/api/v1/bots": ["get": ["summary": "Every bot's status", "responses": ["200": json(["type": "array", "items": ref("BotStatus")], "Bots")]]],
                "/api/v1/bots/{name}": ["get": ["summary": "One bot's status",
                                                "parameters": [["name": "name", "in": "path", "required": true, "schema": ["type": "string"]]],
                                                "responses": ["200": json(ref("BotStatus"), "The bot"), "404": errorResponse]]],
                "/api/v1/logs": logsOperation("Search command records"),
                "/api/v1/logs/recent": logsOperation("The most recent command records"),
                "/api/v1/logs/failed": logsOperation("Command records that failed (error or timeout)"),
                "/api/v1/logs/user/{user_id}": logsOperation("One user's command records",
                                                             extra: [["name": "user_id", "in": "path", "required": true, "schema": ["type": "string"]]]),
                "/api/v1/logs/stats": ["get": ["summary": "Count, error rate and duration percentiles per bot and command",
                                               "parameters": [["name": "window", "in": "query", "required": false,
                                                               "description": "A duration from 1m to 366d such as 5m, 1h or 24h (default 1h)",
                                                               "schema": ["type": "string", "pattern": .string(windowPattern)]]],
                                               "responses": ["200": json(ref("Stats"), "Figures over the window"), "400": errorResponse, "500": errorResponse]]],
                "/metrics": ["get": ["summary": "Prometheus text exposition",
                                     "responses": ["200": ["description": "Metrics", "content": ["text/plain": ["schema": ["type": "string"]]]],
                                                   "500": errorResponse]]],
                "/api/v1/openapi.json": ["get": ["summary": "This document", "responses": ["200": json(["type": "object"], "OpenAPI 3.1")]]],
            ],
            "components": ["schemas": [
                "Error": ["type": "object", "required": ["error"], "properties": ["error": [
                    "type": "object", "required": ["code", "message", "request_id"],
                    "properties": ["code": ["type": "string", "enum": .array(errorCodes.map { .string($0) })],
                                   "message": ["type": "string"], "request_id": ["type": "string"]]]]],
                "BotStatus": ["type": "object", "required": ["name", "state", "enabled", "restarts", "restarts_in_window"], "properties": [
                    "name": ["type": "string"],
                    "state": ["type": "string", "enum": .array(WorkerState.allCases.map { .string($0.rawValue) })],
                    "enabled": ["type": "boolean"], "pid": ["type": "integer"], "uptime_seconds": ["type": "number"],
                    "restarts": ["type": "integer"], "restarts_in_window": ["type": "integer"], "last_exit": ["type": "string"],
                    "reason": ["type": "string"], "gateway_rtt_ms": ["type": "number"], "memory_bytes": ["type": "integer"],
                    "metrics": ["type": "object"]]],
                "CommandRecord": ["type": "object", "properties": recordProperties],
                "LogPage": ["type": "object", "required": ["logs"], "properties": [
                    "logs": ["type": "array", "items": ref("CommandRecord")], "next_cursor": ["type": ["string", "null"]]]],
                "Stats": ["type": "object", "properties": ["window_seconds": ["type": "integer"],
                                                           "bots": ["type": "object", "additionalProperties": statsGroup],
                                                           "commands": ["type": "object", "additionalProperties": statsGroup]]],
            ]],
        ])
    }
}
