import FoundationEssentials
import HTTP

/// The HTTP API so far: health and bot status (the monitoring issue extends it).
enum APIRouter {
    static func make(fleet: Fleet) -> Router {
        var router = Router()
        router.get("/api/v1/monitoring/health") { _ in
            let statuses = (try? await fleet.statuses()) ?? []
            let ready = statuses.filter { $0.state == .ready }.count
            let wanted = statuses.filter(\.enabled).count
            let overall = ready == wanted ? "ok" : (ready == 0 && wanted > 0 ? "down" : "degraded")
            struct Health: Encodable {
                var status: String
                var bots: [BotStatus]
            }
            return .json(Health(status: overall, bots: statuses), status: overall == "down" ? .serviceUnavailable : .ok)
        }
        router.get("/api/v1/bots") { _ in .json((try? await fleet.statuses()) ?? []) }
        router.get("/api/v1/bots/{name}") { request in
            guard let status = try? await fleet.statuses([request.pathParameters["name"]!]).first else {
                return .json(["error": ["code": "BOT_NOT_FOUND", "message": "no bot named \(request.pathParameters["name"]!)"]], status: .notFound)
            }
            return .json(status)
        }
        return router
    }
}
