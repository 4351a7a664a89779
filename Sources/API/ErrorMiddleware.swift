import Fleet
import HTTP
import IPC
import Logging
import Storage
import Store

/// The one place where errors become responses. Whatever a handler (or a middleware inside this
/// one) throws is mapped to an `APIError` and rendered in the one wire shape with the request id;
/// every 500 is logged with that id, so the `request_id` a client reports finds the cause.
package struct ErrorMiddleware: HTTPMiddleware {
    let logger: Logger

    package init(logger: Logger = Logger(label: "api")) { self.logger = logger }

    package func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError(mapping: error)
            if apiError.status.code >= 500 {
                logger.error("request failed", ["request_id": context.requestID, "method": request.method, "path": request.path,
                                                "route": context.route ?? "-", "status": apiError.status.code, "error": error])
            }
            return apiError.response(for: context)
        }
    }
}

extension APIError {
    /// Any error in the API's terms: each layer's own error keeps its code, and only here does a
    /// code get its HTTP status. An error nobody anticipated is a 500 that says nothing about itself
    /// on the wire (the log line has it).
    package init(mapping error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as FleetError:
            let status: HTTPStatus = switch error.code {
            case .botNotFound: .notFound
            case .botExists: .conflict
            default: .conflict
            }
            self.init(status, error.code, error.message)
        case let error as JobError:
            self.init(error)
        case let error as StockError:
            let status: HTTPStatus = switch error.kind {
            case .validation, .idempotencyKeyReused: .unprocessableContent
            case .catalogNotFound, .productNotFound, .displayNotFound: .notFound
            case .productExists: .conflict
            // RFC 9110 §13.1.1: a failed If-Match is 412; the current version goes back as the ETag.
            case .versionMismatch: .preconditionFailed
            }
            self.init(status, error.code, error.message, fields: error.fields.map { .init($0.field, $0.message) },
                      headers: error.currentVersion.map { ["ETag": "\"\($0)\""] } ?? [:])
        case let error as JSONBodyError:
            self.init(.badRequest, .invalidJSON, error.message)
        case let error as HTTPError:
            // The router's 404 and 405.
            self.init(error.status, ErrorCode(error.code), error.message, headers: error.headers)
        case let error as any HTTPResponseError:
            self.init(error.status, ErrorCode(error.wireCode), error.message, fields: error.fields, headers: error.headers)
        default:
            self.init(.internalServerError, .internal, "the request failed; the server log has request_id")
        }
    }
}
