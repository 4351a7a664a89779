import HTTP
import IPC
import Store

/// An API failure with a stable code from the one vocabulary (`ErrorCode`), rendered as
/// `{"error":{"code","message","request_id","fields"?}}`; `fields` lists each failing field of a
/// 422 and why. Handlers throw it; `ErrorMiddleware` renders it (and maps every other error to one).
public struct APIError: Error, Equatable, HTTPResponseError {
    public typealias Field = HTTPErrorField
    public var status: HTTPStatus
    public var code: ErrorCode
    public var message: String
    public var fields: [Field]
    public var headers: HTTPHeaders = [:]

    public init(_ status: HTTPStatus, _ code: ErrorCode, _ message: String, fields: [Field] = [], headers: HTTPHeaders = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers
    }

    public static func == (a: APIError, b: APIError) -> Bool {
        a.status == b.status && a.code == b.code && a.message == b.message && a.fields == b.fields
    }

    /// A 422 listing every failing field.
    package static func validation(_ fields: [Field]) -> APIError {
        APIError(.unprocessableContent, .validationFailed,
                 fields.count == 1 ? "\(fields[0].field): \(fields[0].message)" : "\(fields.count) fields are invalid", fields: fields)
    }

    /// A 400 for a query parameter.
    package static func parameter(_ message: String) -> APIError {
        APIError(.badRequest, .invalidParameter, message)
    }

    /// A jobs-layer refusal in the wire shape: its code, with the status that code means over HTTP.
    package init(_ error: JobError) {
        let status: HTTPStatus = switch error {
        case .idempotencyKeyReused: .unprocessableContent
        case .alreadyFinished: .conflict
        case .vanished: .internalServerError
        }
        self.init(status, error.code, error.message)
    }

    /// This error as a response, with the request's id in the body.
    package func response(for context: RequestContext) -> HTTPResponse {
        response(requestID: context.requestID)
    }
}

extension APIError: CustomStringConvertible {
    public var wireCode: String { code.rawValue }
    public var description: String { "\(status.code) \(code): \(message)" }
}
