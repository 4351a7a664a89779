import Discord
import Fleet
import FoundationEssentials
import HTTP
import IPC
import JSON
import Operations
import Storage
import Store

/// Bot configuration over HTTP: create, read, update, delete, validate the
/// token against Discord, and start/stop/restart one bot.
package enum BotsAPI {
    package static func register(on router: inout Router, fleet: Fleet, apiBase: String, client: HTTPClient) {
        router.get("/api/v1/bots") { request, _ in
            try APIQuery.check(request, allows: [])
            return .json(try await fleet.statuses())
        }
        router.get("/api/v1/bots/{name}") { request, _ in
            try APIQuery.check(request, allows: [])
            return .json(try await fleet.statuses([name(request)])[0])
        }
        router.post("/api/v1/bots") { request, _ in
            try APIQuery.check(request, allows: [])
            let input = try BotConfigInput.parse(request.body)
            let bot = try input.apply(to: BotDefinition(name: "", token: ""), creating: true)
            do {
                try await fleet.add(bot)
            } catch let error as DatabaseError where error.resultCode == .constraint {
                // Two creates of one name at once: the database keeps names unique.
                throw FleetError(.botExists, "a bot named \(bot.name) exists")
            }
            // RFC 9110 §15.3.2: a 201 names the resource it created.
            return .json(try await fleet.statuses([bot.name])[0], status: .created, headers: ["Location": "/api/v1/bots/\(bot.name)"])
        }
        router.patch("/api/v1/bots/{name}") { request, _ in
            try APIQuery.check(request, allows: [])
            let supervisor = try await fleet.supervisor(named: name(request))
            let old = await supervisor.definition
            let bot = try BotConfigInput.parse(request.body).apply(to: old, creating: false)
            if bot != old {
                // Pushed to the worker: over IPC for most fields, by a restart with a fresh
                // identify for a new token or new intents (see BotSupervisor's .configure).
                try await fleet.update(bot)
                if bot.enabled != old.enabled {
                    if bot.enabled { supervisor.start() } else { await supervisor.stop() }
                }
            }
            return .json(try await fleet.statuses([bot.name])[0])
        }
        router.delete("/api/v1/bots/{name}") { request, _ in
            try APIQuery.check(request, allows: [])
            // Stops the worker first; command logs stay.
            try await fleet.remove(name(request))
            return HTTPResponse(status: .noContent)
        }
        router.post("/api/v1/bots/{name}/validate") { request, _ in
            try APIQuery.check(request, allows: [])
            let bot = try await fleet.supervisor(named: name(request)).definition
            return .json(try await TokenCheck.run(bot, apiBase: apiBase, client: client))
        }
        for action in ["start", "stop", "restart"] {
            router.post("/api/v1/bots/{name}/\(action)") { request, _ in
                try APIQuery.check(request, allows: [])
                let supervisor = try await fleet.supervisor(named: name(request))
                switch action {
                case "start": supervisor.start()
                case "stop": await supervisor.stop()
                default: supervisor.restart()
                }
                return .json(await supervisor.status(), status: action == "stop" ? .ok : .accepted)
            }
        }
    }

    package static func name(_ request: HTTPRequest) -> String { request.pathParameters["name"] ?? "" }
}

/// `POST /api/v1/bots/{name}/validate`: asks Discord who the token belongs to
/// (`GET /users/@me`) and what its application allows (`GET /applications/@me`).
package struct TokenCheck: Encodable {
    package struct User: Encodable {
        package var id: String
        package var username: String
        package init(id: String, username: String) {
            self.id = id
            self.username = username
        }
    }
    package var valid: Bool
    package var user: User
    package var application_id: String?
    /// The configured application id differs from Discord's (commands would be registered on the wrong one).
    package var application_id_matches: Bool?
    /// Privileged intents the configuration asks for.
    package var privileged_intents: [String]
    /// Of those, the ones the application is not allowed: the gateway would close with 4014.
    package var privileged_intents_not_enabled: [String]

    package static func run(_ bot: BotDefinition, apiBase: String, client: HTTPClient) async throws -> TokenCheck {
        let me = try await get("\(apiBase)/users/@me", token: bot.token, client: client)
        guard let id = me["id"]?.string else { throw APIError(.badGateway, .discordBadResponse, "Discord's /users/@me had no id") }
        let application = try? await get("\(apiBase)/applications/@me", token: bot.token, client: client)
        let applicationID = application?["id"]?.string
        let flags = application?["flags"]?.int ?? 0
        // GATEWAY_PRESENCE(_LIMITED), GATEWAY_GUILD_MEMBERS(_LIMITED), GATEWAY_MESSAGE_CONTENT(_LIMITED).
        let allowed: [String: Bool] = ["GUILD_PRESENCES": flags & (1 << 12 | 1 << 13) != 0,
                                       "GUILD_MEMBERS": flags & (1 << 14 | 1 << 15) != 0,
                                       "MESSAGE_CONTENT": flags & (1 << 18 | 1 << 19) != 0]
        let privileged = BotConfigView.privilegedNames(bot.intents)
        return TokenCheck(valid: true, user: User(id: id, username: me["username"]?.string ?? ""), application_id: applicationID,
                          application_id_matches: bot.applicationID.flatMap { configured in applicationID.map { $0 == configured } },
                          privileged_intents: privileged,
                          privileged_intents_not_enabled: application == nil ? [] : privileged.filter { allowed[$0] != true })
    }

    package static func get(_ url: String, token: String, client: HTTPClient) async throws -> JSON {
        let response: HTTPClientResponse
        do {
            response = try await client.send(HTTPClientRequest(method: .get, url: url, headers: ["Authorization": "Bot \(token)"]),
                                             timeout: .seconds(10))
        } catch {
            throw APIError(.badGateway, .discordUnreachable, "cannot reach Discord: \(error)")
        }
        switch response.status.code {
        case 200: return (try? JSON.parse(response.body)) ?? .null
        case 401: throw APIError(.unprocessableContent, .tokenRejected, "Discord rejected the token (401 Unauthorized)")
        case 429: throw APIError(.serviceUnavailable, .discordRateLimited, "Discord rate limited the check; try again shortly")
        default: throw APIError(.badGateway, .discordError, "Discord answered \(response.status.code)")
        }
    }
    package init(valid: Bool, user: User, application_id: String? = nil, application_id_matches: Bool? = nil, privileged_intents: [String], privileged_intents_not_enabled: [String]) {
        self.valid = valid
        self.user = user
        self.application_id = application_id
        self.application_id_matches = application_id_matches
        self.privileged_intents = privileged_intents
        self.privileged_intents_not_enabled = privileged_intents_not_enabled
    }
}
