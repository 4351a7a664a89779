import Auth
import HTTP
import IPC
import JSON
import Store

/// Records every audited request (`AuditRoutes.classify`) once it is answered, in the audit log and
/// the journal. It sits just inside the error middleware, outside everything that may refuse a request
/// (cross-site checks, rate limits, authentication and roles), so it sees each refusal as the error
/// that was thrown; `RequestContext.principal` is shared by the request's contexts, so it also knows
/// whom an inner authentication layer authenticated. Reads are not audited.
package struct AuditMiddleware: HTTPMiddleware {
    let trail: AuditTrail

    package init(_ trail: AuditTrail) { self.trail = trail }

    package func handle(_ request: HTTPRequest, context: RequestContext, next: Next) async throws -> HTTPResponse {
        do {
            let response = try await next(request, context)
            var code: ErrorCode?
            if response.status.code >= 400, case .bytes(let bytes) = response.body {
                code = (try? JSON.parse(bytes))?["error"]?["code"]?.string.map(ErrorCode.init(rawValue:))
            }
            await record(request, context, status: response.status.code, code: code, location: response.headers["Location"],
                         policy: nil)
            return response
        } catch {
            let mapped = APIError(mapping: error)
            await record(request, context, status: mapped.status.code, code: mapped.code, location: nil,
                         policy: mapped.headers["RateLimit-Policy"])
            throw error
        }
    }

    private func record(_ request: HTTPRequest, _ context: RequestContext, status: Int, code: ErrorCode?, location: String?,
                        policy: String?) async {
        guard let event = AuditRoutes.classify(method: request.method, path: request.path, status: status, code: code,
                                               location: location, body: request.body) else { return }
        let address = RateLimits.addressKey(context.clientAddress)
        var actor = context.principal?.subject ?? "anonymous"
        if event.aggregated {
            await trail.noteRateLimited(actor: actor, address: address, policy: policy ?? "-", requestID: context.requestID)
            return
        }
        // A login names its own actor: the account that logged in.
        if event.action == .authLogin, context.principal == nil, let target = event.target { actor = target }
        var details = AuditRoutes.safeDetails(request.body)
        details["method"] = request.method.rawValue
        details["path"] = request.path
        details["status"] = String(status)
        if let code { details["code"] = code.rawValue }
        if let role = context.principal?.role { details["actor_role"] = role }
        await trail.record(actor: actor, address: address, action: event.action, target: event.target, outcome: event.outcome,
                           requestID: context.requestID, details: details)
    }
}
