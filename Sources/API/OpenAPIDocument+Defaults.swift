import JSON

extension OpenAPIDocument {
    /// Adds to every operation the answers every route can give: 400 (an unknown query parameter is
    /// refused on every route, like an unknown body field) and 500 (the error middleware's answer to
    /// a failure nobody anticipated, logged with its request id).
    package static func addingCommonResponses(to document: JSON) -> JSON {
        guard var root = document.object, var paths = root["paths"]?.object else { return document }
        let error: JSON = ["description": "An error in the one shape every route uses",
                           "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
        for (path, item) in paths {
            guard var operations = item.object else { continue }
            for (method, operation) in operations {
                guard var op = operation.object, var responses = op["responses"]?.object else { continue }
                if responses["400"] == nil { responses["400"] = error }
                if responses["500"] == nil { responses["500"] = error }
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
