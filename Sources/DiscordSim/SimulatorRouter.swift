#if canImport(Glibc)
import Glibc
#endif
import Discord
import HTTP
import IOCore
import JSON
import Synchronization
import WebSocket

/// A late-bound reference: the router exists before the simulator it serves.
final class SimulatorReference: Sendable {
    private let value = Mutex<DiscordSimulator?>(nil)
    func set(_ simulator: DiscordSimulator) { value.withLock { $0 = simulator } }
    var simulator: DiscordSimulator { value.withLock { $0! } }
}

/// Routes the simulator's HTTP traffic: the gateway upgrade, REST and the control API.
struct SimulatorRouter: HTTPResponder {
    let simulator = SimulatorReference()

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        let sim = simulator.simulator
        switch request.path {
        case "/gateway", "/gateway/", "/resume", "/resume/":
            let viaResume = request.path.hasPrefix("/resume")
            guard request.query("v") == "10", request.query("encoding") == "json" else {
                // Discord refuses other versions with 4012 after the upgrade; the query is required here.
                return WebSocketHandshake.upgradeResponse(for: request) { ws in
                    await ws.close(code: WebSocketCloseCode(4012), reason: "Invalid API version")
                }
            }
            return WebSocketHandshake.upgradeResponse(for: request) { ws in
                await sim.serveGateway(ws, viaResumeURL: viaResume)
            }
        default:
            if request.path.hasPrefix("/api/v10/") { return await sim.rest(request) }
            if request.path.hasPrefix("/_sim/") { return await sim.control(request) }
            return HTTPResponse(status: .notFound, bytes: Array(#"{"message": "404: Not Found", "code": 0}"#.utf8))
        }
    }
}

extension HTTPResponse {
    static func discord(_ status: Int, _ body: JSON, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var h = headers
        h.set("Content-Type", "application/json")
        // Real API responses carry it; libraries treat a 429 without it as a Cloudflare ban (docs/discord-protocol.md §3.1).
        h.set("Via", "1.1 google")
        return HTTPResponse(status: HTTPStatus(code: status), headers: h, bytes: body.bytes)
    }
}

extension DiscordSimulator {
    // MARK: REST

    func rest(_ request: HTTPRequest) async -> HTTPResponse {
        let path = String(request.path.dropFirst("/api/v10".count))
        let route = routeTemplate(method: request.method.rawValue, path: path)
        let auth = request.headers["Authorization"] ?? ""
        let botName = auth.hasPrefix("Bot ") ? byToken[String(auth.dropFirst(4))] : nil
        let isInteraction = path.hasPrefix("/interactions/") || path.hasPrefix("/webhooks/")
        let client = Self.clientIP(request.remoteAddress)
        let now = ContinuousClock.now
        if let until = bannedUntil[client], now < until {
            stats.bannedRequests += 1
            stats.restCalls.append(RESTCall(bot: botName, method: request.method.rawValue, path: path, status: 429))
            // Cloudflare's answer: no JSON, no `Via` header (docs/discord-protocol.md §3.1).
            return HTTPResponse(status: HTTPStatus(code: 429), headers: ["Content-Type": "text/plain", "Retry-After": "\(Int(configuration.banDuration.seconds))"],
                                bytes: Array("error code: 1015".utf8))
        }
        let response = await restResponse(request, path: path, route: route, bot: botName, isInteraction: isInteraction)
        stats.restCalls.append(RESTCall(bot: botName, method: request.method.rawValue, path: path, status: response.status.code))
        let code = response.status.code
        if response.status.code == 429 {
            if case .bytes(let bytes) = response.body, (try? JSON.parse(bytes))?["code"]?.int == 30046 {
                stats.oldMessageEditsRefused += 1
            } else {
                stats.tooManyRequests += 1
            }
        }
        if code == 401 || code == 403 || (code == 429 && response.headers["X-RateLimit-Scope"] != "shared") {
            stats.invalidRequests[client, default: 0] += 1
            var window = invalidByClient[client, default: []].filter { now - $0 < configuration.invalidRequestWindow }
            window.append(now)
            invalidByClient[client] = window
            if window.count >= configuration.invalidRequestLimit {
                bannedUntil[client] = now + configuration.banDuration
                invalidByClient[client] = []
                stats.violations.append("\(client) spent the invalid-request limit (\(configuration.invalidRequestLimit) 401/403/429 "
                                        + "in \(configuration.invalidRequestWindow)): banned")
            }
        }
        return response
    }

    /// The IP of `host:port` or `[v6]:port`: the invalid-request limit is per IP, shared by every bot there.
    static func clientIP(_ address: String?) -> String {
        guard let address else { return "unknown" }
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<close])
        }
        return address.lastIndex(of: ":").map { String(address[..<$0]) } ?? address
    }

    private func restResponse(_ request: HTTPRequest, path: String, route: (template: String, major: String),
                              bot: String?, isInteraction: Bool) async -> HTTPResponse {
        // Interaction and webhook routes authenticate with their token; everything else needs the bot token.
        if !isInteraction && bot == nil {
            return .discord(401, ["message": "401: Unauthorized", "code": 0])
        }
        if !forcedFailures.isEmpty {
            let (status, _, retryAfter) = forcedFailures[0]
            forcedFailures[0].remaining -= 1
            if forcedFailures[0].remaining <= 0 { forcedFailures.removeFirst() }
            if status == 429 {
                return tooManyRequests(retryAfter: retryAfter, global: false, bucket: route.template)
            }
            return .discord(status, ["message": "simulated failure", "code": 0])
        }
        let now = ContinuousClock.now
        if !isInteraction, let bot {
            // Global: 50 requests per second per bot (interaction routes exempt).
            var window = globalWindows[bot, default: []].filter { now - $0 < .seconds(1) }
            if window.count >= configuration.globalRequestsPerSecond {
                globalWindows[bot] = window
                let retry = (window[0] + .seconds(1) - now)
                return tooManyRequests(retryAfter: max(0.001, Double(retry.milliseconds) / 1000), global: true, bucket: nil)
            }
            window.append(now)
            globalWindows[bot] = window
        }
        // Per-route bucket keyed by route and major parameter.
        let isMessageRoute = route.template == "POST /channels/{id}/messages" || route.template == "PATCH /channels/{id}/messages/{id}"
        let limit = isMessageRoute ? configuration.messageLimit : configuration.routeLimit
        let window = isMessageRoute ? configuration.messageWindow : configuration.routeWindow
        let bucketKey = "\(bot ?? "-"):\(route.template):\(route.major)"
        var bucket = buckets[bucketKey] ?? (0, now + window)
        if now >= bucket.resetAt { bucket = (0, now + window) }
        let bucketHash = String(UInt64(bitPattern: Int64(route.template.hashValue)) % 1_000_000_007, radix: 16)
        if bucket.count >= limit {
            let retry = bucket.resetAt - now
            return tooManyRequests(retryAfter: max(0.001, Double(retry.milliseconds) / 1000), global: false, bucket: bucketHash,
                                   limit: limit, resetAfter: retry)
        }
        bucket.count += 1
        buckets[bucketKey] = bucket
        var response = await handleREST(request, path: path, route: route.template, bot: bot)
        let resetAfter = bucket.resetAt - now
        response.headers.set("X-RateLimit-Limit", String(limit))
        response.headers.set("X-RateLimit-Remaining", String(limit - bucket.count))
        response.headers.set("X-RateLimit-Reset-After", String(format3(resetAfter)))
        response.headers.set("X-RateLimit-Reset", String(format3(wallNow() + resetAfter)))
        response.headers.set("X-RateLimit-Bucket", bucketHash)
        return response
    }

    private func tooManyRequests(retryAfter: Double, global: Bool, bucket: String?, limit: Int = 0, resetAfter: Duration = .zero) -> HTTPResponse {
        var headers: HTTPHeaders = ["Retry-After": String(Int(retryAfter.rounded(.up))), "X-RateLimit-Scope": global ? "global" : "user"]
        if global {
            headers.add("X-RateLimit-Global", "true")
        } else if let bucket {
            headers.add("X-RateLimit-Limit", String(limit))
            headers.add("X-RateLimit-Remaining", "0")
            headers.add("X-RateLimit-Reset-After", format3(resetAfter))
            headers.add("X-RateLimit-Bucket", bucket)
        }
        return .discord(429, ["message": "You are being rate limited.", "retry_after": .number(retryAfter), "global": .bool(global)], headers: headers)
    }

    private func format3(_ d: Duration) -> String {
        let ms = d.milliseconds
        return "\(ms / 1000).\(String(format3Pad(ms % 1000)))"
    }
    private func format3Pad(_ v: Int64) -> String { v < 10 ? "00\(v)" : v < 100 ? "0\(v)" : "\(v)" }
    private func wallNow() -> Duration {
        let now = WallClockNow.now()
        return .seconds(now.seconds) + .nanoseconds(now.nanoseconds)
    }

    /// `POST /channels/{id}/messages` -> template with the major parameter kept apart.
    func routeTemplate(method: String, path: String) -> (template: String, major: String) {
        let parts = path.split(separator: "/").map(String.init)
        var template: [String] = []
        var major = ""
        for (i, part) in parts.enumerated() {
            let previous = i > 0 ? parts[i - 1] : ""
            if i == 1 && ["channels", "guilds", "webhooks", "interactions", "applications"].contains(previous) {
                major = part
                template.append("{id}")
            } else if part.allSatisfy(\.isNumber) || previous == "webhooks" || (i == 2 && ["interactions", "webhooks"].contains(parts[0])) {
                template.append("{id}")
            } else {
                template.append(part)
            }
        }
        return ("\(method) /" + template.joined(separator: "/"), major)
    }

    private func handleREST(_ request: HTTPRequest, path: String, route: String, bot: String?) async -> HTTPResponse {
        let parts = path.split(separator: "/").map(String.init)
        let body = (try? JSON.parse(request.body)) ?? .null
        if [.post, .patch, .put].contains(request.method) && !request.body.isEmpty && body == .null {
            return .discord(400, ["message": "The request body contains invalid JSON.", "code": 50109])
        }
        switch (request.method, parts.count, parts.first) {
        case (.get, 2, "gateway") where parts[1] == "bot":
            let used = sessionStarts[bot ?? "", default: 0]
            return .discord(200, ["url": .string(gatewayURL), "shards": 1,
                                  "session_start_limit": ["total": .number(Double(configuration.sessionStartLimit)),
                                                          "remaining": .number(Double(configuration.sessionStartLimit - used)),
                                                          "reset_after": 14_400_000, "max_concurrency": .number(Double(configuration.maxConcurrency))]])
        case (.get, 2, "users") where parts[1] == "@me":
            guard let bot, let b = bots[bot] else { return .discord(401, ["message": "401: Unauthorized", "code": 0]) }
            return .discord(200, ["id": .string(b.userID), "username": .string(b.name), "discriminator": "0", "bot": true,
                                  "global_name": .null, "avatar": .null, "flags": 0])
        case (.get, 2, "applications") where parts[1] == "@me":
            guard let bot, let b = bots[bot] else { return .discord(401, ["message": "401: Unauthorized", "code": 0]) }
            // Application flags say which privileged intents the portal allows (the *_LIMITED bits: unverified apps).
            var flags = 0
            if b.approvedIntents.contains(.guildPresences) { flags |= 1 << 13 }
            if b.approvedIntents.contains(.guildMembers) { flags |= 1 << 15 }
            if b.approvedIntents.contains(.messageContent) { flags |= 1 << 19 }
            return .discord(200, ["id": .string(b.applicationID), "name": .string(b.name), "bot_public": true,
                                  "flags": .number(Double(flags)), "bot": ["id": .string(b.userID), "username": .string(b.name)]])
        case (.post, 3, "channels") where parts[2] == "messages":
            return createMessage(channel: parts[1], body: body, author: bot.flatMap { bots[$0]?.userID } ?? "0", bot: bot)
        case (.patch, 4, "channels") where parts[2] == "messages":
            if let refusal = channelRefusal(parts[1]) { return refusal }
            return editMessage(channel: parts[1], id: parts[3], body: body)
        case (.delete, 4, "channels") where parts[2] == "messages":
            if let refusal = channelRefusal(parts[1]) { return refusal }
            guard deleteMessage(channel: parts[1], id: parts[3]) else { return .discord(404, ["message": "Unknown Message", "code": 10008]) }
            return HTTPResponse(status: .noContent, headers: ["Via": "1.1 google"])
        case (.get, 4, "channels") where parts[2] == "messages":
            guard let m = messagesByChannel[parts[1]]?.first(where: { $0.id == parts[3] }) else {
                return .discord(404, ["message": "Unknown Message", "code": 10008])
            }
            return .discord(200, messageJSON(m))
        case (.get, 3, "applications") where parts[2] == "commands":
            return .discord(200, commands[parts[1]] ?? [])
        case (.put, 3, "applications") where parts[2] == "commands":
            guard case .array(let list) = body else { return .discord(400, ["message": "Invalid Form Body", "code": 50035]) }
            for (i, command) in list.enumerated() {
                let name = command["name"]?.string ?? ""
                guard MessageLimits.isValidCommandName(name), (1...100).contains((command["description"]?.string ?? "").count) else {
                    return .discord(400, MessageLimits.invalidFormBody([.init(path: "\(i).name", code: "APPLICATION_COMMAND_INVALID_NAME", message: "Invalid command")]))
                }
            }
            let stored = JSON.array(list.map { c in
                var o = c.object ?? [:]
                o["id"] = .string(snowflake())
                o["application_id"] = .string(parts[1])
                o["version"] = .string(snowflake())
                o["type"] = o["type"] ?? 1
                return .object(o)
            })
            commands[parts[1]] = stored
            return .discord(200, stored)
        case (.post, 4, "interactions") where parts[3] == "callback":
            return interactionCallback(id: parts[1], token: parts[2], body: body)
        case (.post, 3, "webhooks"):
            return followUp(token: parts[2], body: body)
        case (.patch, 5, "webhooks") where parts[3] == "messages":
            return followUp(token: parts[2], body: body)
        default:
            return .discord(404, ["message": "404: Not Found", "code": 0])
        }
    }

    private func messageJSON(_ m: Message) -> JSON {
        ["id": .string(m.id), "channel_id": .string(m.channelID), "content": .string(m.content), "embeds": m.embeds,
         "author": ["id": .string(m.authorID), "bot": true], "type": 0, "timestamp": "2026-11-27T00:00:00.000000+00:00"]
    }

    private func createMessage(channel: String, body: JSON, author: String, bot: String?) -> HTTPResponse {
        let errors = MessageLimits.validate(body)
        if !errors.isEmpty {
            if errors.map(\.code) == ["50006"] { return .discord(400, ["message": "Cannot send an empty message", "code": 50006]) }
            return .discord(400, MessageLimits.invalidFormBody(errors))
        }
        if let refusal = channelRefusal(channel, posting: true) { return refusal }
        let nonce = body["nonce"]?.string ?? body["nonce"]?.int.map(String.init)
        if let nonce, nonce.count > 25 {
            return .discord(400, MessageLimits.invalidFormBody([.init(path: "nonce", code: "BASE_TYPE_MAX_LENGTH", message: "Must be 25 or fewer in length.")]))
        }
        // enforce_nonce: the same author and nonce within a few minutes returns the message created first.
        let nonceKey = nonce.map { "\(author):\($0)" }
        if body["enforce_nonce"]?.bool == true, let nonceKey, let (existing, at) = messagesByNonce[nonceKey],
           ContinuousClock.now - at < .seconds(300) {
            stats.nonceDuplicates += 1
            return .discord(200, messageJSON(existing))
        }
        let m = Message(id: snowflake(), channelID: channel, authorID: author, content: body["content"]?.string ?? "", embeds: body["embeds"] ?? [])
        messagesByChannel[channel, default: []].append(m)
        if let nonceKey { messagesByNonce[nonceKey] = (m, .now) }
        return .discord(200, messageJSON(m))
    }

    /// Channels whose id starts with 404 do not exist, with 403 the bot may not write in them (Missing Access
    /// for edits and deletes, Missing Permissions for posts), and deleted ones are unknown.
    private func channelRefusal(_ channel: String, posting: Bool = false) -> HTTPResponse? {
        if channel.hasPrefix("404") || deletedChannels.contains(channel) { return .discord(404, ["message": "Unknown Channel", "code": 10003]) }
        if channel.hasPrefix("403") {
            return posting ? .discord(403, ["message": "Missing Permissions", "code": 50013]) : .discord(403, ["message": "Missing Access", "code": 50001])
        }
        return nil
    }

    private func editMessage(channel: String, id: String, body: JSON) -> HTTPResponse {
        guard var list = messagesByChannel[channel], let i = list.firstIndex(where: { $0.id == id }) else {
            return .discord(404, ["message": "Unknown Message", "code": 10008])
        }
        // Edits of messages older than an hour have their own hidden limit (docs/discord-protocol.md §3.2).
        if Snowflake.nowUnixMilliseconds() - list[i].createdAtUnixMilliseconds > 3_600_000 {
            let now = ContinuousClock.now
            list[i].oldEdits = list[i].oldEdits.filter { now - $0 < .seconds(3600) }
            if list[i].oldEdits.count >= configuration.oldMessageEditsPerHour {
                messagesByChannel[channel] = list
                return .discord(429, ["message": "Maximum number of edits to messages older than 1 hour reached. Try again later",
                                      "code": 30046, "retry_after": 3600, "global": false])
            }
            list[i].oldEdits.append(now)
        }
        var merged = ["content": JSON.string(list[i].content), "embeds": list[i].embeds]
        if let c = body["content"] { merged["content"] = c }
        if let e = body["embeds"] { merged["embeds"] = e }
        let errors = MessageLimits.validate(.object(merged))
        if !errors.isEmpty { return .discord(400, MessageLimits.invalidFormBody(errors)) }
        list[i].content = merged["content"]?.string ?? ""
        list[i].embeds = merged["embeds"] ?? []
        messagesByChannel[channel] = list
        return .discord(200, messageJSON(list[i]))
    }

    private func interactionCallback(id: String, token: String, body: JSON) -> HTTPResponse {
        guard var interaction = interactions[id], interaction.token == token else {
            return .discord(404, ["message": "Unknown interaction", "code": 10062])
        }
        let latency = ContinuousClock.now - interaction.sentAt
        let type = body["type"]?.int ?? 0
        func record(_ status: Int) {
            stats.callbacks.append(Callback(interactionID: id, type: type, data: body["data"] ?? .null, latency: latency, status: status))
        }
        // The initial response must come within 3 s (D-INT).
        guard latency <= configuration.interactionDeadline else {
            violation(interaction.bot, "interaction answered after \(latency) (deadline 3 s)")
            record(404)
            return .discord(404, ["message": "Unknown interaction", "code": 10062])
        }
        guard !interaction.acknowledged else {
            violation(interaction.bot, "interaction acknowledged twice")
            record(400)
            return .discord(400, ["message": "Interaction has already been acknowledged.", "code": 40060])
        }
        guard [4, 5].contains(type) else { return .discord(400, ["message": "Invalid interaction response type", "code": 50035]) }
        if type == 4 {
            let errors = MessageLimits.validate(body["data"] ?? [:])
            if !errors.isEmpty { record(400); return .discord(400, MessageLimits.invalidFormBody(errors)) }
            messagesByChannel[interaction.channelID, default: []].append(
                Message(id: snowflake(), channelID: interaction.channelID, authorID: bots[interaction.bot]?.userID ?? "0",
                        content: body["data"]?["content"]?.string ?? "", embeds: body["data"]?["embeds"] ?? []))
        }
        interaction.acknowledged = true
        interaction.deferred = type == 5
        interactions[id] = interaction
        record(204)
        return HTTPResponse(status: .noContent, headers: ["Via": "1.1 google"])
    }

    private func followUp(token: String, body: JSON) -> HTTPResponse {
        guard let interaction = interactions.values.first(where: { $0.token == token }), interaction.acknowledged else {
            return .discord(404, ["message": "Unknown Webhook", "code": 10015])
        }
        guard ContinuousClock.now - interaction.sentAt < .seconds(900) else {
            return .discord(401, ["message": "Invalid Webhook Token", "code": 50027])
        }
        let errors = MessageLimits.validate(body)
        if !errors.isEmpty { return .discord(400, MessageLimits.invalidFormBody(errors)) }
        let m = Message(id: snowflake(), channelID: interaction.channelID, authorID: bots[interaction.bot]?.userID ?? "0",
                        content: body["content"]?.string ?? "", embeds: body["embeds"] ?? [])
        messagesByChannel[interaction.channelID, default: []].append(m)
        return .discord(200, messageJSON(m))
    }
}

/// Wall-clock seconds for `X-RateLimit-Reset`.
enum WallClockNow {
    static func now() -> (seconds: Int64, nanoseconds: Int64) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return (Int64(ts.tv_sec), Int64(ts.tv_nsec))
    }
}
