import JSON

/// An error that knows how it looks on the wire: a status, a stable code, a message for people,
/// and optionally the fields that failed and extra headers (`Allow` on a 405).
/// The router renders any such error in the one error shape; anything else is a 500.
public protocol HTTPResponseError: Error {
    var status: HTTPStatus { get }
    /// The stable code in the body's `code` (`NOT_FOUND`).
    var wireCode: String { get }
    var message: String { get }
    var fields: [HTTPErrorField] { get }
    var headers: HTTPHeaders { get }
}

extension HTTPResponseError {
    public var fields: [HTTPErrorField] { [] }
    public var headers: HTTPHeaders { [:] }

    /// This error in the one wire shape, `{"error":{"code","message","request_id","fields"?}}`.
    public func response(requestID: String) -> HTTPResponse {
        var headers = headers
        headers.set("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: headers,
                            bytes: HTTPErrorBody.render(code: wireCode, message: message, requestID: requestID, fields: fields))
    }
}

/// One failing field of a request and why (in a 422's `fields`).
public struct HTTPErrorField: Codable, Sendable, Equatable {
    public var field: String
    public var message: String
    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}

/// A plain error with a status and a code, for the layers below the API (the router's 404 and 405,
/// the server's refusals of unparsable requests).
public struct HTTPError: HTTPResponseError, Equatable, CustomStringConvertible {
    public var status: HTTPStatus
    public var code: String
    public var message: String
    public var headers: HTTPHeaders

    public init(_ status: HTTPStatus, code: String? = nil, _ message: String, headers: HTTPHeaders = [:]) {
        self.status = status
        self.code = code ?? HTTPError.code(for: status)
        self.message = message
        self.headers = headers
    }

    public var wireCode: String { code }
    public var description: String { "\(status.code) \(code): \(message)" }

    /// `NOT_IMPLEMENTED` for 501: the reason phrase in upper snake case.
    public static func code(for status: HTTPStatus) -> String {
        String(status.reason.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    public static func == (a: HTTPError, b: HTTPError) -> Bool {
        a.status == b.status && a.code == b.code && a.message == b.message
    }
}

/// The one writer of error bodies. Every string goes through `JSON.appendQuoted`, so a message that
/// carries client text (a header value with `"` in it) still yields valid JSON.
public enum HTTPErrorBody {
    public static func render(code: String, message: String, requestID: String, fields: [HTTPErrorField] = []) -> [UInt8] {
        // Keys in sorted order, as HTTPJSON.encode writes them.
        var out = Array(#"{"error":{"code":"#.utf8)
        JSON.appendQuoted(code, to: &out)
        if !fields.isEmpty {
            out += Array(#","fields":["#.utf8)
            for (i, f) in fields.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out += Array(#"{"field":"#.utf8)
                JSON.appendQuoted(f.field, to: &out)
                out += Array(#","message":"#.utf8)
                JSON.appendQuoted(f.message, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        out += Array(#","message":"#.utf8)
        JSON.appendQuoted(message, to: &out)
        out += Array(#","request_id":"#.utf8)
        JSON.appendQuoted(requestID, to: &out)
        out += Array("}}".utf8)
        return out
    }
}
