import Discord
import Fleet
import JSON
import Operations
import Store

/// The monitoring routes' part of the OpenAPI document (`MonitoringAPI`).
extension OpenAPIDocument {
    package static func monitoringPaths() -> [String: JSON] {
        func ref(_ name: String) -> JSON { ["$ref": .string("#/components/schemas/\(name)")] }
        func json(_ schema: JSON, _ description: String) -> JSON {
            ["description": .string(description), "content": ["application/json": ["schema": schema]]]
        }
        let errorResponse = json(ref("Error"), "An error in the one shape every route uses")
        func query(_ name: String, _ type: String, _ description: String) -> JSON {
            ["name": .string(name), "in": "query", "required": false, "description": .string(description), "schema": ["type": .string(type)]]
        }
        let cached = "Cached for at most 1 s."
        return [
            "/api/v1/monitoring/health": ["get": [
                "summary": "Overall health: the database takes writes, IPC and HTTP serve, and each bot's gateway",
                "description": .string("down (503) when the database refuses writes, the IPC socket is gone, or bots are enabled and none is ready; "
                                       + "degraded when some enabled bot is not ready, or bots are paused to keep the host under Discord's "
                                       + "invalid-request budget (discord_invalid_requests); ok otherwise. Readable without a token. \(cached)"),
                "responses": ["200": json(ref("Health"), "ok or degraded"), "503": json(ref("Health"), "down")]]],
            "/api/v1/monitoring/metrics": ["get": [
                "summary": "botvisord's own figures and each bot's over a window",
                "description": .string("CPU, gateway RTT and events/s are averages of the samples in the window; RSS and uptime are current; "
                                       + "commands, error rate and duration percentiles come from the command log; rest_calls, rest_429, "
                                       + "reconnects, resumes and identifies are counts in the window. \(cached)"),
                "parameters": [["name": "window", "in": "query", "required": false,
                                "description": "A duration from 1m to 366d such as 5m, 1h or 24h (default 1h)",
                                "schema": ["type": "string", "pattern": .string(OpenAPIDocument.windowPattern)]],
                               query("bot", "string", "Only this bot (_system: only botvisord's figures)")],
                "responses": ["200": json(ref("MetricsSummary"), "Figures over the window"), "400": errorResponse, "404": errorResponse,
                              "500": errorResponse]]],
            "/api/v1/monitoring/metrics/series": ["get": [
                "summary": "One metric over time",
                "description": .string("Points come from raw samples (every [metrics] sample_interval) when `from` is less than a day old, "
                                       + "1-minute averages when less than a week old, 1-hour averages beyond. Bot metrics: "
                                       + "\(MetricsRecorder.botMetrics.joined(separator: ", ")). _system metrics: "
                                       + "\(MetricsRecorder.systemMetrics.joined(separator: ", ")). Counters are per-second rates."),
                "parameters": [query("bot", "string", "Bot name; omitted or _system for botvisord itself"),
                               ["name": "metric", "in": "query", "required": true, "description": "The metric",
                                "schema": ["type": "string", "enum": .array(Array(Set(MetricsRecorder.botMetrics + MetricsRecorder.systemMetrics))
                                    .sorted().map { .string($0) })]],
                               OpenAPIDocument.milliseconds("from", "Start, Unix milliseconds (default: an hour before to)"),
                               OpenAPIDocument.milliseconds("to", "End, Unix milliseconds (default: now)")],
                "responses": ["200": json(ref("MetricSeries"), "Points, oldest first"), "400": errorResponse, "404": errorResponse,
                              "500": errorResponse]]],
        ]
    }

    package static func monitoringSchemas() -> [String: JSON] {
        let number: JSON = ["type": "number"], integer: JSON = ["type": "integer"]
        let optionalNumber: JSON = ["type": ["number", "null"]], optionalInteger: JSON = ["type": ["integer", "null"]]
        let state: JSON = ["type": "string", "enum": .array(WorkerState.allCases.map { .string($0.rawValue) })]
        return [
            "Health": ["type": "object", "required": ["status", "uptime_seconds", "database", "ipc", "http", "bots"], "properties": [
                "status": ["type": "string", "enum": ["ok", "degraded", "down"]],
                "uptime_seconds": number,
                "database": ["type": "object", "required": ["writable", "size_bytes"], "properties": [
                    "writable": ["type": "boolean"], "error": ["type": ["string", "null"]], "size_bytes": integer]],
                "ipc": ["type": "object", "properties": ["healthy": ["type": "boolean"]]],
                "http": ["type": "object", "properties": ["healthy": ["type": "boolean"]]],
                "bots": ["type": "array", "items": ["type": "object",
                    "required": ["name", "state", "enabled", "gateway_connected", "restarts_in_window", "restarts"], "properties": [
                    "name": ["type": "string"], "state": state, "enabled": ["type": "boolean"], "gateway_connected": ["type": "boolean"],
                    "heartbeat_rtt_ms": optionalNumber, "last_dispatch_age_ms": optionalNumber, "restarts_in_window": integer,
                    "restarts": integer, "uptime_seconds": optionalNumber, "reason": ["type": ["string", "null"]]]]],
                "discord_invalid_requests": ["type": "object", "required": ["used", "budget", "level", "paused_bots"],
                    "description": .string("401/403/429 answers from Discord in the last 10 minutes, summed over the workers: the host "
                                           + "shares one budget (10,000 by default). At 80% the bots still spending it are paused."),
                    "properties": ["used": integer, "budget": integer, "level": ["type": "string", "enum": ["ok", "warning", "pausing"]],
                                   "paused_bots": ["type": "array", "items": ["type": "string"]]]]]],
            "MetricsSummary": ["type": "object", "required": ["window_seconds", "generated_at", "system", "bots"], "properties": [
                "window_seconds": integer, "generated_at": integer,
                "system": ["type": "object", "properties": [
                    "cpu_percent": optionalNumber, "rss_bytes": optionalInteger, "uptime_seconds": number, "db_bytes": integer,
                    "ingest_per_second": optionalNumber]],
                "bots": ["type": "object", "additionalProperties": ["type": "object", "properties": [
                    "state": state, "cpu_percent": optionalNumber, "rss_bytes": optionalInteger, "uptime_seconds": optionalNumber,
                    "gateway_rtt_ms": optionalNumber, "events_per_second": optionalNumber, "commands": integer,
                    "commands_per_minute": number, "errors": integer, "error_rate": number, "p50_ms": number, "p95_ms": number,
                    "p99_ms": number, "rest_calls": integer, "rest_429": integer, "reconnects": integer, "resumes": integer,
                    "identifies": integer]]]]],
            "MetricSeries": ["type": "object", "required": ["bot", "metric", "resolution_seconds", "from", "to", "points"], "properties": [
                "bot": ["type": "string"], "metric": ["type": "string"], "resolution_seconds": number, "from": integer, "to": integer,
                "points": ["type": "array", "items": ["type": "object", "required": ["ts", "value"],
                                                      "properties": ["ts": integer, "value": number]]]]],
        ]
    }

    /// `document` with the monitoring paths and schemas added.
    package static func addingMonitoring(to document: JSON) -> JSON {
        guard case .object(var root) = document, case .object(var paths)? = root["paths"],
              case .object(var components)? = root["components"], case .object(var schemas)? = components["schemas"] else { return document }
        paths.merge(monitoringPaths()) { _, new in new }
        schemas.merge(monitoringSchemas()) { _, new in new }
        components["schemas"] = .object(schemas)
        root["paths"] = .object(paths)
        root["components"] = .object(components)
        return .object(root)
    }
}
