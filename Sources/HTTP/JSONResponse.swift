import JSON

/// JSON bodies in and out, with the project's own coders (`JSONValueEncoder`, `JSONValueDecoder`): keys sorted,
/// nil optionals left out, slashes not escaped; a request body with a duplicate key is not valid JSON.
extension HTTPResponse {
    /// `value` encoded as JSON with `Content-Type: application/json`.
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.set("Content-Type", "application/json")
        do {
            return HTTPResponse(status: status, headers: headers, bytes: try HTTPJSON.encode(value))
        } catch {
            // No request id is known here; the error middleware's id is in the X-Request-Id header.
            return HTTPError(.internalServerError, code: "INTERNAL", "response encoding failed").response(requestID: "")
        }
    }
}

/// The one way responses are written, so every route's output is alike (and stable: keys sorted).
public enum HTTPJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] { try JSONValueEncoder().encodeBytes(value) }
}

/// A request body that is not the JSON a route expects.
public struct JSONBodyError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension HTTPRequest {
    /// Decodes the body as JSON into `T`; a clear error names what is wrong.
    public func decodeJSON<T: Decodable>(_ type: T.Type) throws -> T {
        guard !body.isEmpty else { throw JSONBodyError(message: "the request body is empty; expected JSON") }
        do {
            return try JSONValueDecoder().decode(T.self, from: body)
        } catch let error as DecodingError {
            switch error {
            case .dataCorrupted: throw JSONBodyError(message: "the request body is not valid JSON")
            case .keyNotFound(let key, let c):
                throw JSONBodyError(message: "missing field `\((c.codingPath + [key]).map(\.stringValue).joined(separator: "."))`")
            case .typeMismatch(let t, let c), .valueNotFound(let t, let c):
                throw JSONBodyError(message: "field `\(c.codingPath.map(\.stringValue).joined(separator: "."))` must be \(t)")
            @unknown default: throw JSONBodyError(message: "the request body does not match the expected JSON")
            }
        }
    }
}
