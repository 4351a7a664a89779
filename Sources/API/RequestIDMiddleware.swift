import HTTP

/// Gives every request an id (`X-Request-Id`, taken from the client when it sends a sane one).
package struct RequestIDMiddleware: HTTPMiddleware {
    package func handle(_ request: HTTPRequest, next: @Sendable (HTTPRequest) async -> HTTPResponse) async -> HTTPResponse {
        var request = request
        let offered = request.headers["X-Request-Id"].flatMap { id in
            id.count <= 64 && id.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } ? id : nil
        }
        // One 64-bit draw (one getrandom call) for 16 hex digits, not one call per digit.
        let id = offered ?? RequestIDMiddleware.hex(UInt64.random(in: .min ... .max))
        request.context["request_id"] = id
        var response = await next(request)
        response.headers.set("X-Request-Id", id)
        return response
    }

    package static func hex(_ value: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: (0..<16).map { i in digits[Int((value >> (60 - 4 * UInt64(i))) & 0xf)] }, as: UTF8.self)
    }
}
