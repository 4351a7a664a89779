import HTTP
import Store

/// An API failure with a stable code, rendered as
/// `{"error":{"code","message","request_id","fields"?}}`; `fields` lists
/// each failing field of a 422 and why.
public struct APIError: Error, Equatable {
    public struct Field: Codable, Sendable, Equatable {
        public var field: String
        public var message: String
        public init(_ field: String, _ message: String) {
            self.field = field
            self.message = message
        }
    }
    public var status: HTTPStatus
    public var code: String
    public var message: String
    public var fields: [Field]

    public init(_ status: HTTPStatus, _ code: String, _ message: String, fields: [Field] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
    }

    /// A 422 listing every failing field.
    package static func validation(_ fields: [Field]) -> APIError {
        APIError(.unprocessableContent, "VALIDATION_FAILED",
                 fields.count == 1 ? "\(fields[0].field): \(fields[0].message)" : "\(fields.count) fields are invalid", fields: fields)
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

    package func response(for request: HTTPRequest) -> HTTPResponse {
        struct Body: Encodable {
            struct Inner: Encodable { var code: String; var message: String; var request_id: String; var fields: [Field]?
                package init(code: String, message: String, request_id: String, fields: [Field]?) { self.code = code; self.message = message; self.request_id = request_id; self.fields = fields }
            }
            var error: Inner
            package init(error: Inner) {
                self.error = error
            }
        }
        return .json(Body(error: .init(code: code, message: message, request_id: request.context["request_id"] ?? "",
                                       fields: fields.isEmpty ? nil : fields)), status: status)
    }
}
