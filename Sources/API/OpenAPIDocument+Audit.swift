import Auth
import JSON

extension OpenAPIDocument {
    /// `GET /api/v1/audit` and `GET /api/v1/limits` (`AuditAPI`).
    package static func addingAudit(to document: JSON) -> JSON {
        guard case .object(var root) = document, case .object(var paths)? = root["paths"],
              case .object(var components)? = root["components"], case .object(var schemas)? = components["schemas"] else { return document }
        func ref(_ name: String) -> JSON { ["$ref": .string("#/components/schemas/\(name)")] }
        func json(_ schema: JSON, _ description: String) -> JSON {
            ["description": .string(description), "content": ["application/json": ["schema": schema]]]
        }
        let text = { (name: String, description: String) -> JSON in query(name, "string", description) }
        paths["/api/v1/audit"] = ["get": [
            "summary": "The audit log, newest first (admin): changes, logins, refusals; each row hash-chained to the one before",
            "parameters": [
                text("actor", "An account, a token name, control:UID or anonymous"),
                text("action", "bot.create|update|delete|start|stop|restart, bulk.*, job.cancel, catalog.create|update|delete, "
                     + "product.create|update|delete|show|hide, stock.set, display.create|update|delete|refresh, auth.login, "
                     + "auth.login_failed, auth.refresh_reused, auth.logout, token.create|revoke, user.*, key.rotate, config.reload, "
                     + "access.denied, rate.limited, ..."),
                text("target", "A bot name, job id, account or token name, catalog id, catalog/SKU (3/TEA-1) or display id"),
                ["name": "outcome", "in": "query", "required": false,
                 "schema": ["type": "string", "enum": .array([""] + AuditOutcome.allCases.map { .string($0.rawValue) })]],
                milliseconds("from", "Start, Unix milliseconds"), milliseconds("to", "End, Unix milliseconds"),
                ["name": "limit", "in": "query", "required": false, "schema": ["type": "integer", "minimum": 1, "maximum": 500]],
                ["name": "cursor", "in": "query", "required": false, "description": "next_cursor from the previous page",
                 "schema": ["type": "string", "pattern": .string(cursorPattern)]],
            ],
            "responses": ["200": json(ref("AuditPage"), "A page of audit rows")],
        ]]
        paths["/api/v1/limits"] = ["get": [
            "summary": "The rate limits ([limits]) and the clients below their quota now (admin)",
            "responses": ["200": json(ref("Limits"), "Policies, table sizes and limited keys")],
        ]]
        let optionalString: JSON = ["type": ["string", "null"]]
        schemas["AuditEvent"] = ["type": "object",
                                 "required": ["seq", "time", "actor", "action", "outcome", "details", "prev_hash", "hash"],
                                 "properties": [
                                     "seq": ["type": "integer"], "time": ["type": "integer", "description": "Unix milliseconds"],
                                     "actor": ["type": "string"], "address": optionalString, "action": ["type": "string"],
                                     "target": optionalString,
                                     "outcome": ["type": "string", "enum": .array(AuditOutcome.allCases.map { .string($0.rawValue) })],
                                     "request_id": optionalString,
                                     "details": ["type": "object", "additionalProperties": ["type": "string"]],
                                     "prev_hash": ["type": "string", "description": "SHA-256 of the row before (hex)"],
                                     "hash": ["type": "string", "description": "SHA-256 over prev_hash and this row's canonical encoding (hex)"]]]
        schemas["AuditPage"] = ["type": "object", "required": ["events"], "properties": [
            "events": ["type": "array", "items": ref("AuditEvent")], "next_cursor": optionalString]]
        schemas["Limits"] = ["type": "object", "required": ["enabled", "policies", "tables", "limited"], "properties": [
            "enabled": ["type": "boolean"],
            "policies": ["type": "array", "items": ["type": "object", "properties": [
                "name": ["type": "string"], "quota": ["type": "integer"], "window_seconds": ["type": "integer"]]]],
            "tables": ["type": "array", "items": ["type": "object", "properties": [
                "policy": ["type": "string"], "scope": ["type": "string", "enum": ["address", "principal"]],
                "tracked": ["type": "integer"], "capacity": ["type": "integer"], "evictions": ["type": "integer"]]]],
            "limited": ["type": "array", "items": ["type": "object", "properties": [
                "policy": ["type": "string"], "scope": ["type": "string"], "key": ["type": "string"], "remaining": ["type": "integer"]]]],
        ]]
        components["schemas"] = .object(schemas)
        root["paths"] = .object(paths)
        root["components"] = .object(components)
        return .object(root)
    }
}
