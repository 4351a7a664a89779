import HTTP

/// Reading query parameters the same way on every route: an unknown parameter is a 400, like an
/// unknown body field (a typo such as `?frm=1` must not silently widen a search), an empty text value
/// is absent (an empty number is a 400), and `limit` is an integer from 1 to 500 (the OpenAPI document
/// says the same).
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
        guard let text = request.query("limit") else { return defaultValue }
        guard let n = Int(text), (1...maximumLimit).contains(n) else {
            throw APIError.parameter("limit must be an integer from 1 to \(maximumLimit)")
        }
        return n
    }

    /// A pagination cursor as the API writes it, `<position>_<id>` (the OpenAPI document's `cursorPattern`):
    /// anything else is a 400 here, so the document and the server agree on which cursors are well formed.
    package static func isCursor(_ text: String) -> Bool {
        guard let separator = text.firstIndex(of: "_") else { return false }
        let position = text.utf8[..<separator], id = text.utf8[text.index(after: separator)...]
        return (1...18).contains(position.count) && position.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            && (1...64).contains(id.count)
            && id.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || $0 == 0x2d || $0 == 0x5f }
    }

    /// `window`: whole minutes, hours or days (`5m`, `1h`, `7d`) from 1m to 366d; absent or empty is 1h.
    /// The same set as the OpenAPI document's `windowPattern`.
    package static func window(_ text: String?) throws(APIError) -> Duration {
        guard let text else { return .seconds(3600) }
        let units: [Character: Int64] = ["m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let digits = text.dropLast().first, digits != "0",
              let n = Int64(text.dropLast()), text.dropLast().allSatisfy({ $0 >= "0" && $0 <= "9" }), n >= 1, n <= 366 * 86_400 / unit else {
            throw APIError.parameter("window must be whole minutes, hours or days from 1m to 366d, such as 5m, 1h or 24h")
        }
        return .seconds(n * unit)
    }
}
