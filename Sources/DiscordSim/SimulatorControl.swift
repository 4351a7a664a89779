import Discord
import HTTP
import JSON

/// The control API for tests and demo mode, under `/_sim` (JSON in and out):
///
///     POST /_sim/bots                       {"name","token","approved_intents"?} -> the bot
///     POST /_sim/interactions               {"bot","command","options"?,"user_id"?,"guild_id"?,"channel_id"?,
///                                           "age_ms"? (an old interaction, as replayed after an outage)} -> {"id"}
///     POST /_sim/interactions/{id}/replay   the same INTERACTION_CREATE again (as after a resume from an older seq)
///     POST /_sim/messages                   {"bot","content","author_id"?,"guild_id"?,"channel_id"?} -> {"id"}
///     POST /_sim/bots/{name}/reconnect      op 7
///     POST /_sim/bots/{name}/invalid-session?resumable=true|false
///     POST /_sim/bots/{name}/close?code=N
///     POST /_sim/bots/{name}/drop           TCP drop without a close frame
///     POST /_sim/bots/{name}/zombie?on=true|false
///     POST /_sim/bots/{name}/raw            the body is sent as one text frame, as is
///     POST /_sim/rest/fail                  {"status":429|500,"count":N,"retry_after":0.25}
///     GET  /_sim/stats                      identifies, resumes, REST calls, callbacks, 429s, violations, late heartbeats
///     GET  /_sim/channels/{id}/messages     messages delivered to a channel
///     POST /_sim/channels/{id}/messages/{mid}/age  {"age_ms"}: backdate a message (edits past an hour are limited)
///     DELETE /_sim/channels/{id}/messages/{mid}    delete a message as a moderator would
///     DELETE /_sim/channels/{id}                   delete a channel (Unknown Channel from then on)
extension DiscordSimulator {
    func control(_ request: HTTPRequest) async -> HTTPResponse {
        let parts = request.path.split(separator: "/").map(String.init).dropFirst()  // drop "_sim"
        let body = (try? JSON.parse(request.body)) ?? [:]
        func bad(_ message: String) -> HTTPResponse { .discord(400, ["error": .string(message)]) }
        switch (request.method, Array(parts)) {
        case (.post, ["bots"]):
            guard let name = body["name"]?.string, let token = body["token"]?.string else { return bad("name and token required") }
            let approved = body["approved_intents"]?.double.map { GatewayIntents(rawValue: UInt64($0)) } ?? .privileged
            let bot = addBot(name: name, token: token, approvedIntents: approved)
            return .discord(200, ["name": .string(bot.name), "user_id": .string(bot.userID), "application_id": .string(bot.applicationID)])
        case (.post, ["interactions"]):
            guard let bot = body["bot"]?.string, let command = body["command"]?.string else { return bad("bot and command required") }
            guard let id = injectInteraction(bot: bot, command: command, options: body["options"] ?? [],
                                             userID: body["user_id"]?.string ?? "5001", guildID: body["guild_id"]?.string ?? "9001",
                                             channelID: body["channel_id"]?.string ?? "7001",
                                             ageMilliseconds: Int64(body["age_ms"]?.int ?? 0)) else { return bad("no session for \(bot)") }
            return .discord(200, ["id": .string(id)])
        case (.post, let p) where p.count == 3 && p[0] == "interactions" && p[2] == "replay":
            guard replayInteraction(id: p[1]) else { return bad("no such interaction or no session") }
            return .discord(200, ["ok": true])
        case (.post, ["messages"]):
            guard let bot = body["bot"]?.string, let content = body["content"]?.string else { return bad("bot and content required") }
            guard let id = injectMessage(bot: bot, content: content, authorID: body["author_id"]?.string ?? "5001",
                                         guildID: body["guild_id"]?.string ?? "9001", channelID: body["channel_id"]?.string ?? "7001") else {
                return bad("no session for \(bot)")
            }
            return .discord(200, ["id": .string(id)])
        case (.post, let p) where p.count == 3 && p[0] == "bots":
            let name = p[1]
            switch p[2] {
            case "reconnect": sendReconnect(bot: name)
            case "invalid-session": sendInvalidSession(bot: name, resumable: request.query("resumable") == "true")
            case "close": close(bot: name, code: Int(request.query("code") ?? "4000") ?? 4000)
            case "drop": dropConnection(bot: name)
            case "zombie": setZombie(bot: name, request.query("on") != "false")
            case "raw": sendRaw(bot: name, text: String(decoding: request.body, as: UTF8.self))
            default: return bad("unknown action \(p[2])")
            }
            return .discord(200, ["ok": true])
        case (.post, ["rest", "fail"]):
            guard let status = body["status"]?.int, let count = body["count"]?.int else { return bad("status and count required") }
            failNextRESTCalls(status: status, count: count, retryAfter: body["retry_after"]?.double ?? 0.25)
            return .discord(200, ["ok": true])
        case (.get, ["stats"]):
            return .discord(200, statsJSON())
        case (.post, let p) where p.count == 5 && p[0] == "channels" && p[2] == "messages" && p[4] == "age":
            guard let age = body["age_ms"]?.int, ageMessage(channel: p[1], id: p[3], milliseconds: Int64(age)) else {
                return bad("age_ms required and the message must exist")
            }
            return .discord(200, ["ok": true])
        case (.delete, let p) where p.count == 4 && p[0] == "channels" && p[2] == "messages":
            guard deleteMessage(channel: p[1], id: p[3]) else { return bad("no such message") }
            return .discord(200, ["ok": true])
        case (.delete, let p) where p.count == 2 && p[0] == "channels":
            deleteChannel(p[1])
            return .discord(200, ["ok": true])
        case (.get, let p) where p.count == 3 && p[0] == "channels" && p[2] == "messages":
            return .discord(200, .array(messages(in: p[1]).map { ["id": .string($0.id), "content": .string($0.content), "author_id": .string($0.authorID), "embeds": $0.embeds] }))
        default:
            return .discord(404, ["error": "unknown control route"])
        }
    }

    func statsJSON() -> JSON {
        func counts(_ d: [String: Int]) -> JSON { .object(d.mapValues { .number(Double($0)) }) }
        return [
            "identifies": counts(stats.identifies),
            "resumes": counts(stats.resumes),
            "resumes_via_resume_url": counts(stats.resumesViaResumeURL),
            "rest_calls": .array(stats.restCalls.map { ["bot": $0.bot.map { .string($0) } ?? .null, "method": .string($0.method),
                                                        "path": .string($0.path), "status": .number(Double($0.status))] }),
            "callbacks": .array(stats.callbacks.map { ["interaction_id": .string($0.interactionID), "type": .number(Double($0.type)),
                                                      "latency_ms": .number(Double($0.latency.milliseconds)), "status": .number(Double($0.status))] }),
            "too_many_requests": .number(Double(stats.tooManyRequests)),
            "invalid_requests": counts(stats.invalidRequests),
            "banned_requests": .number(Double(stats.bannedRequests)),
            "old_message_edits_refused": .number(Double(stats.oldMessageEditsRefused)),
            "nonce_duplicates": .number(Double(stats.nonceDuplicates)),
            "violations": .array(stats.violations.map { .string($0) }),
            "late_heartbeats": .array(stats.lateHeartbeats.map { .string($0) }),
            "messages": .number(Double(allMessages.count)),
        ]
    }
}
