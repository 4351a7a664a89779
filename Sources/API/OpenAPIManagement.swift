import Discord
import Fleet
import IPC
import JSON
import Operations
import Store

/// The OpenAPI description of bot management, bulk jobs (`BotsAPI`, `JobsAPI`) and
/// the log export (`LogExport`), merged into `OpenAPIDocument`.
package enum OpenAPIManagement {
    package static let errorCodes = [ErrorCode.validationFailed, .invalidJSON, .tokenRejected, .discordUnreachable, .discordRateLimited,
                                     .discordError, .discordBadResponse, .jobNotFound, .jobFinished, .idempotencyKeyReused,
                                     .invalidIdempotencyKey, .botExists].map(\.rawValue)

    /// Codes a job item's `error.code` can carry (besides `DISCORD_<code>` for other Discord errors).
    package static let itemErrorCodes = [ErrorCode.authFailed, .configFailed, .crashLoop, .spawnFailed, .stopped, .timeout, .botNotFound, .botNotRunning,
                                         .discordUnreachable, .sendFailed, .interrupted, .jobCancelled].map(\.rawValue)

    package static func ref(_ name: String) -> JSON { ["$ref": .string("#/components/schemas/\(name)")] }
    package static func json(_ schema: JSON, _ description: String) -> JSON {
        ["description": .string(description), "content": ["application/json": ["schema": schema]]]
    }
    package static let error = json(ref("Error"), "An error in the one shape every route uses")
    package static let name: JSON = ["name": "name", "in": "path", "required": true, "schema": ["type": "string"]]
    package static let jobID: JSON = ["name": "id", "in": "path", "required": true, "schema": ["type": "string"]]
    package static let idempotencyKey: JSON = ["name": "Idempotency-Key", "in": "header", "required": false,
                                       "description": "The same key returns the same job and never runs it twice",
                                       "schema": ["type": "string", "pattern": "^[!-~]{1,255}$"]]
    package static func body(_ schema: JSON) -> JSON { ["required": true, "content": ["application/json": ["schema": schema]]] }
    /// A 202 with the job, and `Location` naming it.
    package static let accepted: JSON = ["description": "The job, started in the background",
                                 "headers": ["Location": ["description": "/api/v1/jobs/{id}", "schema": ["type": "string"]]],
                                 "content": ["application/json": ["schema": ref("Job")]],
                                 // OpenAPI 3.1 §4.8.20: the job's own routes, with its id from the body.
                                 "links": ["GetJob": ["operationId": "getJob", "parameters": ["id": "$response.body#/id"]],
                                           "CancelJob": ["operationId": "cancelJob", "parameters": ["id": "$response.body#/id"]]]]

    package static var paths: [String: JSON] {
        let status = json(ref("BotStatus"), "The bot's status and configuration (never its token)")
        func lifecycle(_ summary: String, _ code: String) -> JSON {
            ["post": ["summary": .string(summary), "parameters": [name], "responses": .object([code: status, "404": error])]]
        }
        func bulk(_ summary: String) -> JSON {
            ["post": ["summary": .string(summary), "parameters": [idempotencyKey], "requestBody": body(ref("BulkSelector")),
                      "responses": ["202": accepted, "400": error, "404": error, "422": error]]]
        }
        return [
            "/api/v1/bots": [
                "get": ["summary": "Every bot's status and configuration", "responses": ["200": json(["type": "array", "items": ref("BotStatus")], "Bots")]],
                "post": ["summary": "Create a bot (the token is write-only)", "operationId": "createBot", "requestBody": body(ref("BotCreate")),
                         "responses": ["201": ["description": "The bot's status and configuration (never its token)",
                                               "headers": ["Location": ["description": "/api/v1/bots/{name}", "schema": ["type": "string"]]],
                                               "content": ["application/json": ["schema": ref("BotStatus")]],
                                               "links": ["GetBot": ["operationId": "getBot", "parameters": ["name": "$response.body#/name"]],
                                                         "PatchBot": ["operationId": "patchBot", "parameters": ["name": "$response.body#/name"]],
                                                         "DeleteBot": ["operationId": "deleteBot", "parameters": ["name": "$response.body#/name"]]]],
                                       "400": error, "409": error, "422": error]],
            ],
            "/api/v1/bots/{name}": [
                "get": ["summary": "One bot's status and configuration", "operationId": "getBot", "parameters": [name],
                        "responses": ["200": status, "404": error]],
                "patch": ["summary": "Change a bot: pushed to its worker; a new token or intents restart it with a fresh identify",
                          "operationId": "patchBot", "parameters": [name], "requestBody": body(ref("BotPatch")),
                          "responses": ["200": status, "400": error, "404": error, "422": error]],
                "delete": ["summary": "Delete a bot (its worker is stopped first; command logs stay)", "operationId": "deleteBot", "parameters": [name],
                           "responses": ["204": ["description": "Deleted"], "404": error]],
            ],
            "/api/v1/bots/{name}/validate": ["post": [
                "summary": "Check the token with Discord (GET /users/@me, /applications/@me)",
                "description": .string("Through the bot's own rate limiter: its worker makes the calls when it runs; otherwise botvisord "
                                       + "does, one check per bot at a time. An answer (a refusal too) is reused for 5 s, so a burst "
                                       + "of calls is one look at Discord."),
                "parameters": [name],
                "responses": ["200": json(ref("TokenCheck"), "Discord accepted the token"), "404": error,
                              "422": error, "502": error, "503": error]]],
            "/api/v1/bots/{name}/exits": ["get": [
                "summary": "The bot's recent worker exits and spawn failures, newest first (the last 20 since botvisord started)",
                "description": .string("Each with its cause when botvisord had a hand in it and what followed: restarted at once, a "
                                       + "backoff, a start retry, failed (restart budget spent), auth_failed or config_failed (Discord "
                                       + "refused), or stopped."),
                "parameters": [name],
                "responses": ["200": json(["type": "object", "required": ["bot", "exits"], "properties": [
                    "bot": ["type": "string"], "exits": ["type": "array", "items": ref("BotExit")]]], "Recent exits"), "404": error]]],
            "/api/v1/bots/{name}/start": lifecycle("Start the bot's worker", "202"),
            "/api/v1/bots/{name}/stop": lifecycle("Stop the bot's worker (returns once it exited)", "200"),
            "/api/v1/bots/{name}/restart": lifecycle("Restart the worker, handing its session over (it resumes)", "202"),
            "/api/v1/bulk/start": bulk("Start many bots as a background job"),
            "/api/v1/bulk/stop": bulk("Stop many bots as a background job"),
            "/api/v1/bulk/restart": bulk("Restart many bots as a background job"),
            "/api/v1/bulk/messages": ["post": [
                "summary": "Send one message through many bots as a background job", "parameters": [idempotencyKey],
                "requestBody": body(ref("BulkMessages")),
                "responses": ["202": accepted, "400": error, "404": error, "422": error]]],
            "/api/v1/logs/export": ["get": [
                "summary": "The selection of GET /api/v1/logs (same filters, no limit), streamed with chunked encoding",
                "parameters": .array([["name": "format", "in": "query", "required": false,
                                       "schema": ["type": "string", "enum": ["", "ndjson", "csv"], "default": "ndjson"]]]
                                     + OpenAPIDocument.logFilters.filter { $0["name"]?.string != "limit" }),
                "responses": ["200": ["description": "One record per line (NDJSON) or per row (CSV with a header row, RFC 4180)",
                                      "content": ["application/x-ndjson": ["schema": ["type": "string"]],
                                                  "text/csv": ["schema": ["type": "string"]]]],
                              "400": error, "500": error]]],
            "/api/v1/jobs": ["get": [
                "summary": "Jobs, newest first",
                "parameters": [["name": "limit", "in": "query", "required": false, "schema": ["type": "integer", "minimum": 1, "maximum": 500]],
                               ["name": "cursor", "in": "query", "required": false,
                                "schema": ["type": "string", "pattern": .string(OpenAPIDocument.cursorPattern)]]],
                "responses": ["200": json(ref("JobPage"), "A page of jobs"), "400": error]]],
            "/api/v1/jobs/{id}": ["get": ["summary": "A job with its per-item results", "operationId": "getJob", "parameters": [jobID],
                                          "responses": ["200": json(ref("Job"), "The job"), "404": error]]],
            "/api/v1/jobs/{id}/cancel": ["post": ["summary": "Cancel a queued or running job: items in flight finish, the rest are cancelled",
                                                  "operationId": "cancelJob",
                                                  "parameters": [jobID],
                                                  "responses": ["202": json(ref("Job"), "Cancel requested"), "404": error, "409": error]]],
        ]
    }

    package static var schemas: [String: JSON] {
        let nullableString: JSON = ["type": ["string", "null"]]
        let command: JSON = ["type": "object", "required": ["name", "response"], "additionalProperties": false, "properties": [
            "name": ["type": "string", "pattern": "^[a-z0-9_-]{1,32}$", "not": ["enum": .array(BotConfigInput.builtInCommands.sorted().map { .string($0) })],
                     "description": "Lowercase letters, digits, - and _; not a built-in command; unique within the bot"],
            "description": ["type": "string", "minLength": 1, "maxLength": 100],
            "response": ["type": "string", "minLength": 1, "maxLength": 2000], "ephemeral": ["type": "boolean"],
            "delay_ms": ["type": ["integer", "null"], "minimum": 0, "maximum": 60000]]]
        let configProperties: JSON = [
            "application_id": ["type": ["string", "null"], "pattern": "^[0-9]{1,20}$"],
            "intents": ["type": "integer", "minimum": 0, "maximum": 131_071,
                        "description": "Discord's intent bits; the server also takes bits 20, 21, 24 and 25, which this range leaves out"],
            "prefix": ["type": ["string", "null"], "pattern": "^\\S{1,8}$"],
            "custom_commands": ["type": "array", "items": command, "maxItems": .number(Double(BotConfigInput.maximumCustomCommands))],
            "enabled": ["type": "boolean"],
            "anti_spam_commands": ["type": "integer", "minimum": 1, "maximum": 1000],
            "anti_spam_window_seconds": ["type": "number", "minimum": 0.1, "maximum": 3600],
            "command_timeout_seconds": ["type": "number", "minimum": 1, "maximum": 900],
        ]
        var input = configProperties.object!
        input["name"] = ["type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,31}$"]
        input["token"] = ["type": "string", "pattern": "^[!-~]{1,256}$", "writeOnly": true]
        var patch = input
        patch["name"] = nil
        var view = configProperties.object!
        view["token_set"] = ["type": "boolean"]
        view["token_last4"] = nullableString
        view["privileged_intents"] = ["type": "array", "items": ["type": "string"]]
        let failure: JSON = ["type": ["object", "null"], "required": ["code", "message"], "properties": [
            "code": ["type": "string", "description": .string("One of \(itemErrorCodes.joined(separator: ", ")) or DISCORD_<code>")],
            "message": ["type": "string"]]]
        let time: JSON = ["type": ["integer", "null"], "description": "Unix milliseconds"]
        return [
            "BotCreate": ["type": "object", "additionalProperties": false, "required": ["name", "token"], "properties": .object(input)],
            "BotPatch": ["type": "object", "additionalProperties": false, "properties": .object(patch),
                         "description": "Every field is optional; a bot cannot be renamed"],
            "BotConfig": ["type": "object", "properties": .object(view)],
            "BotExit": ["type": "object", "required": ["time", "generation", "exit", "ran_for_seconds", "then"], "properties": [
                "time": ["type": "integer", "description": "Unix milliseconds"],
                "generation": ["type": "integer", "description": "The worker's spawn count"],
                "exit": ["type": "string", "description": "\"exited with status N\", \"killed by signal N\" or \"not spawned\""],
                "exit_code": ["type": ["integer", "null"]], "signal": ["type": ["integer", "null"]],
                "ran_for_seconds": ["type": "number"],
                "cause": ["type": ["string", "null"], "description": "What botvisord saw first, when it had a hand in the exit"],
                "then": ["type": "string", "enum": .array(ExitHistory.Outcome.allCases.map { .string($0.rawValue) })],
                "backoff_ms": ["type": ["integer", "null"]],
                "reason": ["type": ["string", "null"], "description": "The bot's reason after the exit (crash loop, refused token, ...)"]]],
            "TokenCheck": ["type": "object", "required": ["valid", "user", "privileged_intents", "privileged_intents_not_enabled"], "properties": [
                "valid": ["type": "boolean"], "user": ["type": "object", "properties": ["id": ["type": "string"], "username": ["type": "string"]]],
                "application_id": nullableString, "application_id_matches": ["type": ["boolean", "null"]],
                "privileged_intents": ["type": "array", "items": ["type": "string"]],
                "privileged_intents_not_enabled": ["type": "array", "items": ["type": "string"]]]],
            "BulkSelector": ["description": "Exactly one of bots (names of existing bots; an unknown one is 404), all, state", "oneOf": [
                ["type": "object", "additionalProperties": false, "required": ["bots"],
                 "properties": ["bots": ["type": "array", "items": ["type": "string"], "minItems": 1]]],
                ["type": "object", "additionalProperties": false, "required": ["all"], "properties": ["all": ["const": true]]],
                ["type": "object", "additionalProperties": false, "required": ["state"],
                 "properties": ["state": ["type": "string", "enum": .array(WorkerState.allCases.map { .string($0.rawValue) })]]],
            ]],
            "BulkMessages": ["type": "object", "required": ["targets"], "additionalProperties": false,
                             "description": "content, embeds or both (Discord refuses an empty message); bots must exist (404 otherwise)",
                             "anyOf": [["required": ["content"], "properties": ["content": ["minLength": 1]]],
                                       ["required": ["embeds"], "properties": ["embeds": ["minItems": 1]]]],
                             "properties": [
                "targets": ["type": "array", "minItems": 1, "maxItems": .number(Double(JobsAPI.maximumTargets)), "items": [
                    "type": "object", "required": ["bot", "channel_id"],
                    "properties": ["bot": ["type": "string"], "channel_id": ["type": "string", "pattern": "^[0-9]{1,20}$"]]]],
                "content": ["type": "string", "maxLength": 2000], "embeds": ["type": "array", "maxItems": 10, "items": ["type": "object"]]]],
            "JobItem": ["type": "object", "required": ["seq", "bot", "state"], "properties": [
                "seq": ["type": "integer"], "bot": ["type": "string"], "channel_id": nullableString,
                "state": ["type": "string", "enum": .array(JobItemState.allCases.map { .string($0.rawValue) })],
                "message_id": nullableString, "error": failure, "started_at": time, "finished_at": time]],
            "Job": ["type": "object", "required": ["id", "kind", "state", "interrupted", "cancel_requested", "created_at", "progress"], "properties": [
                "id": ["type": "string"], "kind": ["type": "string", "enum": ["start", "stop", "restart", "message"]],
                "state": ["type": "string", "enum": .array(JobState.allCases.map { .string($0.rawValue) })],
                "interrupted": ["type": "boolean"], "cancel_requested": ["type": "boolean"],
                "created_at": ["type": "integer"], "started_at": time, "finished_at": time,
                "progress": ["type": "object", "properties": ["total": ["type": "integer"], "pending": ["type": "integer"],
                                                              "succeeded": ["type": "integer"], "failed": ["type": "integer"],
                                                              "cancelled": ["type": "integer"]]],
                "items": ["type": "array", "items": ref("JobItem")]]],
            "JobPage": ["type": "object", "required": ["jobs"], "properties": [
                "jobs": ["type": "array", "items": ref("Job")], "next_cursor": nullableString]],
        ]
    }

    /// Adds these paths and schemas to `document`, and the `config` property to `BotStatus`
    /// and `fields` to `Error`.
    package static func merge(into document: JSON) -> JSON {
        guard var doc = document.object, var docPaths = doc["paths"]?.object, var components = doc["components"]?.object,
              var docSchemas = components["schemas"]?.object else { return document }
        docPaths.merge(paths) { $1 }
        docSchemas.merge(schemas) { $1 }
        if var status = docSchemas["BotStatus"]?.object, var properties = status["properties"]?.object {
            properties["config"] = ref("BotConfig")
            status["properties"] = .object(properties)
            docSchemas["BotStatus"] = .object(status)
        }
        if var error = docSchemas["Error"]?.object?["properties"]?["error"]?.object, var properties = error["properties"]?.object {
            properties["fields"] = ["type": "array", "description": "Each failing field of a 422 and why", "items": [
                "type": "object", "required": ["field", "message"],
                "properties": ["field": ["type": "string"], "message": ["type": "string"]]]]
            error["properties"] = .object(properties)
            docSchemas["Error"] = ["type": "object", "required": ["error"], "properties": ["error": .object(error)]]
        }
        components["schemas"] = .object(docSchemas)
        doc["paths"] = .object(docPaths)
        doc["components"] = .object(components)
        return .object(doc)
    }
}
