import Discord
import Fleet
import HTTP
import IPC
import JSON
import Operations
import Storage
import Store

/// Bot configuration over HTTP: create, read, update, delete, validate the
/// token against Discord, and start/stop/restart one bot.
package enum BotsAPI {
    package static func register(on router: inout Router, fleet: Fleet, apiBase: String, client: HTTPClient,
                                 checks: TokenCheckGate = TokenCheckGate()) {
        router.get("/api/v1/bots") { request, _ in
            try APIQuery.check(request, allows: [])
            return .json(try await fleet.statuses())
        }
        router.get("/api/v1/bots/{name}") { request, _ in
            try APIQuery.check(request, allows: [])
            return .json(try await fleet.statuses([name(request)])[0])
        }
        router.get("/api/v1/bots/{name}/exits") { request, _ in
            try APIQuery.check(request, allows: [])
            let bot = name(request)
            let exits = await (try await fleet.supervisor(named: bot)).recentExits()
            return .json(BotExits(bot: bot, exits: exits))
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
            let supervisor = try await fleet.supervisor(named: name(request))
            let bot = await supervisor.definition
            // Every call with the bot's token goes through its rate limiter (reliability review, row 6d): the worker's
            // when one runs, so validate never takes what the bot's own sends need; and at most one check per bot
            // at a time, its answer reused for a few seconds, so a burst of validates is one look at Discord.
            return .json(try await checks.check(bot) {
                try await TokenCheck.run(bot) { path in
                    do {
                        return try await supervisor.discordGet(path, timeout: .seconds(15))
                    } catch is BotNotRunning {
                        return try await TokenCheck.fetch(apiBase + path, token: bot.token, client: client)
                    }
                }
            })
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

    /// A GET of a Discord path with the bot's token: the status and the body.
    package typealias Fetch = @Sendable (String) async throws -> (status: Int, body: [UInt8])

    package static func run(_ bot: BotDefinition, apiBase: String, client: HTTPClient) async throws -> TokenCheck {
        try await run(bot) { path in try await fetch(apiBase + path, token: bot.token, client: client) }
    }

    package static func run(_ bot: BotDefinition, fetch: Fetch) async throws -> TokenCheck {
        let me = try await get("/users/@me", fetch: fetch)
        guard let id = me["id"]?.string else { throw APIError(.badGateway, .discordBadResponse, "Discord's /users/@me had no id") }
        let application = try? await get("/applications/@me", fetch: fetch)
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

    /// The daemon's own GET, for a bot with no running worker (`TokenCheckGate` spaces these per bot).
    package static func fetch(_ url: String, token: String, client: HTTPClient) async throws -> (status: Int, body: [UInt8]) {
        do {
            let response = try await client.send(HTTPClientRequest(method: .get, url: url, headers: ["Authorization": "Bot \(token)"]),
                                                 timeout: .seconds(10))
            return (response.status.code, response.body)
        } catch {
            throw APIError(.badGateway, .discordUnreachable, "cannot reach Discord: \(error)")
        }
    }

    package static func get(_ path: String, fetch: Fetch) async throws -> JSON {
        let response: (status: Int, body: [UInt8])
        do {
            response = try await fetch(path)
        } catch let error as APIError {
            throw error
        } catch let error as FleetError {
            throw APIError(.badGateway, .discordUnreachable, "cannot reach Discord: \(error.message)")
        } catch {
            throw APIError(.badGateway, .discordUnreachable, "cannot reach Discord: \(error)")
        }
        switch response.status {
        case 200: return (try? JSON.parse(response.body)) ?? .null
        case 401: throw APIError(.unprocessableContent, .tokenRejected, "Discord rejected the token (401 Unauthorized)")
        case 429: throw APIError(.serviceUnavailable, .discordRateLimited, "Discord rate limited the check; try again shortly")
        default: throw APIError(.badGateway, .discordError, "Discord answered \(response.status)")
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

/// At most one token check per bot at a time, and each answer (a failure too: a rejected token's 401 counts
/// against Discord's invalid-request budget) reused for `reuseFor`: a burst of `POST /bots/{name}/validate`
/// becomes one look at Discord per bot and window (reliability review, row 6d: 300 calls in 0.13 s gave 275 429s).
/// A check made of a changed token, intents or application id is a new one.
package actor TokenCheckGate {
    private struct Entry {
        var key: String
        var at: ContinuousClock.Instant
        var result: Result<TokenCheck, any Error>
    }
    private var entries: [String: Entry] = [:]
    private var running: [String: (key: String, task: Task<TokenCheck, any Error>)] = [:]
    package let reuseFor: Duration

    package init(reuseFor: Duration = .seconds(5)) { self.reuseFor = reuseFor }

    package func check(_ bot: BotDefinition, now: ContinuousClock.Instant = .now,
                       _ run: @escaping @Sendable () async throws -> TokenCheck) async throws -> TokenCheck {
        // In memory only, never logged: what makes an earlier answer still the answer.
        let key = "\(bot.token)|\(bot.intents)|\(bot.applicationID ?? "")"
        if let entry = entries[bot.name], entry.key == key, now - entry.at < reuseFor { return try entry.result.get() }
        if let current = running[bot.name], current.key == key { return try await current.task.value }
        let task = Task { try await run() }
        running[bot.name] = (key, task)
        let result: Result<TokenCheck, any Error>
        do { result = .success(try await task.value) } catch { result = .failure(error) }
        if running[bot.name]?.key == key { running[bot.name] = nil }
        entries[bot.name] = Entry(key: key, at: .now, result: result)
        return try result.get()
    }
}

/// `GET /api/v1/bots/{name}/exits`.
struct BotExits: Encodable {
    let bot: String
    let exits: [BotExit]
}
