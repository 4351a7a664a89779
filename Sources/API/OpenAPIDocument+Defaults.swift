import JSON

extension OpenAPIDocument {
    /// Adds to every operation the answers every route can give: 400 (an unknown query parameter is
    /// refused on every route, like an unknown body field) and 500 (the error middleware's answer to
    /// a failure nobody anticipated, logged with its request id).
    ///
    /// And the answers of the cross-site checks and rate limits in front of every route: 421 for a Host
    /// this server does not answer for; on routes that change things, 403 for a foreign Origin and 415
    /// for a body that is not JSON; 429 with Retry-After and the RateLimit fields on every route but health.
    package static func addingCommonResponses(to document: JSON) -> JSON {
        guard var root = document.object, var paths = root["paths"]?.object else { return document }
        let error: JSON = ["description": "An error in the one shape every route uses",
                           "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
        let limited: JSON = ["description": "RATE_LIMITED: too many requests for this route's policy ([limits])",
                             "headers": ["Retry-After": ["description": "Seconds until a request may pass", "schema": ["type": "integer"]],
                                         "RateLimit-Policy": ["description": "draft-ietf-httpapi-ratelimit-headers: \"bulk\";q=10;w=60",
                                                              "schema": ["type": "string"]],
                                         "RateLimit": ["description": "draft-ietf-httpapi-ratelimit-headers: \"bulk\";r=0;t=6",
                                                       "schema": ["type": "string"]]],
                             "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
        for (path, item) in paths {
            guard var operations = item.object else { continue }
            for (method, operation) in operations {
                guard var op = operation.object, var responses = op["responses"]?.object else { continue }
                if responses["400"] == nil { responses["400"] = error }
                if responses["500"] == nil { responses["500"] = error }
                if responses["421"] == nil { responses["421"] = error }
                if path != "/api/v1/monitoring/health", responses["429"] == nil { responses["429"] = limited }
                if method != "get" && method != "head" {
                    if responses["403"] == nil { responses["403"] = error }
                    if responses["415"] == nil { responses["415"] = error }
                }
                // The server refuses a body over 1 MiB before routing (HTTPServer's limit).
                if op["requestBody"] != nil && responses["413"] == nil { responses["413"] = error }
                op["responses"] = .object(responses)
                operations[method] = .object(op)
            }
            paths[path] = .object(operations)
        }
        root["paths"] = .object(paths)
        return .object(root)
    }
}
