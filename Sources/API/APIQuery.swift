import HTTP

/// Reading query parameters the same way on every route: an unknown parameter is a 400, like an
/// unknown body field (a typo such as `?frm=1` must not silently widen a search), an empty value is
/// absent, and `limit` is an integer from 1 to 500 (the OpenAPI document says the same).
package enum APIQuery {
    /// The largest `limit` any list takes.
    package static let maximumLimit = 500

    /// Throws `INVALID_PARAMETER` naming the first parameter not in `known`.
    package static func check(_ request: HTTPRequest, allows known: [String]) throws(APIError) {
        for (name, _) in request.query where !known.contains(name) {
            throw APIError.parameter(known.isEmpty
                ? "unknown query parameter \(name); this route takes none"
                : "unknown query parameter \(name); known: \(known.joined(separator: ", "))")
        }
    }

    /// The value of `name`, nil when absent or empty.
    package static func value(_ request: HTTPRequest, _ name: String) -> String? {
        request.query(name).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `limit`: absent gives `defaultValue`; anything but an integer from 1 to 500 is a 400 (not clamped).
    package static func limit(_ request: HTTPRequest, default defaultValue: Int) throws(APIError) -> Int {
        guard let text = value(request, "limit") else { return defaultValue }
        guard let n = Int(text), (1...maximumLimit).contains(n) else {
            throw APIError.parameter("limit must be an integer from 1 to \(maximumLimit)")
        }
        return n
    }
}
