#if canImport(Glibc)
import Glibc
#endif
import Discord
import HTTP
import IOCore
import IPC
import JSON
import Logging
import TLS

/// Answering commands: slash commands over interactions (within Discord's 3 s), prefix commands over
/// MESSAGE_CREATE, and the REST calls the supervisor asks a worker to make with its rate limiter.
extension BotRuntime {
    func handleInteraction(_ data: JSON, received: ContinuousClock.Instant, receivedAt: Int64 = Snowflake.nowUnixMilliseconds(),
                           position: SessionState? = nil) async {
        guard let id = data["id"]?.string, let token = data["token"]?.string else { return }
        let user = data["member"]?["user"] ?? data["user"] ?? [:]
        let inv = Invocation(command: data["data"]?["name"]?.string ?? "?", options: data["data"]?["options"] ?? [],
                             userID: user["id"]?.string ?? "0", guildID: data["guild_id"]?.string,
                             channelID: data["channel_id"]?.string, userName: user["username"]?.string ?? "")
        let record = newRecord(inv)
        guard await begin(record, event: id, position: position) else { return }
        inFlight[record.id] = (received, record)
        // Past the deadline already (the id's snowflake time; replayed after an outage): an answer would only
        // earn 10062 Unknown interaction. Recorded as `expired`, not as an error, and not answered.
        let age = Snowflake.unixMilliseconds(of: id).map { receivedAt - $0 } ?? 0
        if age > Self.responseDeadlineMilliseconds {
            await finish(record, started: received, outcome: .expired,
                         errorMessage: "arrived \(age) ms after it was created, past Discord's 3 s response deadline")
            return
        }
        let callback = "/interactions/\(id)/\(token)/callback"
        let app = data["application_id"]?.string ?? applicationID ?? ""
        func message(_ content: String, ephemeral: Bool) -> JSON {
            ephemeral ? ["content": .string(content), "flags": MessageFlags.ephemeral.json] : ["content": .string(content)]
        }
        guard allow(user: inv.userID, now: received) else {
            _ = try? await rest.send(.post, callback, body: ["type": InteractionCallbackType.channelMessageWithSource.json, "data": message("You're sending commands too fast. Please wait a few seconds.", ephemeral: true)], authorized: false)
            await finish(record, started: received, outcome: .rateLimited, errorCode: .rateLimited, errorMessage: "per-user command limit")
            return
        }
        // Answer within 3 s (D-INT): if the handler is not done in time, defer (type 5) and follow up. The 3 s
        // count from the interaction's creation, so one that arrives late (a replay) is deferred sooner: still
        // with a 1 s margin for the deferral itself when the machine is loaded.
        let deferAfterMilliseconds = Self.deferAfter.components.seconds * 1000 + Self.deferAfter.components.attoseconds / 1_000_000_000_000_000
        let margin = max(0, Self.responseDeadlineMilliseconds - deferAfterMilliseconds - max(0, age))
        let deferAt = received + min(Self.deferAfter, .milliseconds(margin))
        let result = await withTaskGroup(of: Result<(content: String, ephemeral: Bool), CommandFailure>?.self) { group in
            group.addTask {
                do { return .success(try await self.respond(to: inv)) } catch let f as CommandFailure { return .failure(f) } catch {
                    return .failure(CommandFailure(code: .internal, message: "\(error)"))
                }
            }
            group.addTask {
                try? await Reactor.shared.sleep(until: deferAt)
                return nil
            }
            let first = await group.next()!
            if let first {
                group.cancelAll()
                return (first, false)
            }
            let deferred = await group.next()!!
            return (deferred, true)
        }
        let (outcome, deferred) = result
        do {
            if deferred {
                _ = try await rest.send(.post, callback, body: ["type": InteractionCallbackType.deferredChannelMessageWithSource.json,
                                                                  "data": ["flags": (outcomeIsEphemeral(outcome) ? MessageFlags.ephemeral : []).json]], authorized: false)
            }
            switch outcome {
            case .success(let reply):
                let response = deferred
                    ? try await rest.send(.patch, "/webhooks/\(app)/\(token)/messages/@original", body: ["content": .string(reply.content)], authorized: false)
                    : try await rest.send(.post, callback, body: ["type": InteractionCallbackType.channelMessageWithSource.json, "data": message(reply.content, ephemeral: reply.ephemeral)], authorized: false)
                if response.ok {
                    await finish(record, started: received, outcome: .ok)
                } else {
                    await finish(record, started: received, outcome: .error, errorCode: Self.discordCode(response),
                                 errorMessage: response.body["message"]?.string ?? "HTTP \(response.status)")
                }
            case .failure(let failure):
                // A short code and a reference the operator finds in the logs; never a stack trace.
                let text = "Sorry, that didn't work (error \(failure.code), ref \(record.id.suffix(8)))."
                _ = deferred
                    ? try await rest.send(.patch, "/webhooks/\(app)/\(token)/messages/@original", body: ["content": .string(text)], authorized: false)
                    : try await rest.send(.post, callback, body: ["type": InteractionCallbackType.channelMessageWithSource.json, "data": message(text, ephemeral: true)], authorized: false)
                await finish(record, started: received, outcome: .error, errorCode: failure.code, errorMessage: failure.message)
            }
        } catch is CancellationError {
            // The worker is stopping (a stop, a handover, the supervisor's death): not the command's fault.
            await finish(record, started: received, outcome: .interrupted, errorCode: .interrupted,
                         errorMessage: "the worker stopped before the command finished")
        } catch {
            await finish(record, started: received, outcome: .error, errorCode: .discordUnreachable, errorMessage: "\(error)")
        }
    }

    /// A refusal from Discord in the one vocabulary: its JSON error code, else its HTTP status.
    nonisolated static func discordCode(_ response: DiscordResponse) -> ErrorCode {
        response.errorCode.map(ErrorCode.discord) ?? .discordHTTP(response.status)
    }

    nonisolated func outcomeIsEphemeral(_ r: Result<(content: String, ephemeral: Bool), CommandFailure>) -> Bool {
        if case .success(let v) = r { return v.ephemeral }
        return true
    }

    func handlePrefixCommand(_ data: JSON, prefix: String, received: ContinuousClock.Instant, position: SessionState? = nil) async {
        let content = data["content"]?.string ?? ""
        let words = content.dropFirst(prefix.count).split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let name = words.first?.lowercased(), let channel = data["channel_id"]?.string else { return }
        let inv = Invocation(command: name, options: .array(words.dropFirst().map { .string($0) }),
                             userID: data["author"]?["id"]?.string ?? "0", guildID: data["guild_id"]?.string,
                             channelID: channel, userName: data["author"]?["username"]?.string ?? "")
        let record = newRecord(inv)
        if let messageID = data["id"]?.string {
            guard await begin(record, event: messageID, position: position) else { return }
        }
        inFlight[record.id] = (received, record)
        let reference: JSON = ["message_id": data["id"] ?? .null]
        guard allow(user: inv.userID, now: received) else {
            _ = try? await rest.send(.post, "/channels/\(channel)/messages",
                                     body: ["content": "You're sending commands too fast. Please wait a few seconds.", "message_reference": reference])
            await finish(record, started: received, outcome: .rateLimited, errorCode: .rateLimited, errorMessage: "per-user command limit")
            return
        }
        do {
            let reply = try await respond(to: inv)
            let response = try await rest.send(.post, "/channels/\(channel)/messages", body: ["content": .string(reply.content), "message_reference": reference])
            if response.ok {
                await finish(record, started: received, outcome: .ok)
            } else {
                await finish(record, started: received, outcome: .error, errorCode: Self.discordCode(response),
                             errorMessage: response.body["message"]?.string ?? "HTTP \(response.status)")
            }
        } catch let failure as CommandFailure {
            _ = try? await rest.send(.post, "/channels/\(channel)/messages",
                                     body: ["content": .string("Sorry, that didn't work (error \(failure.code), ref \(record.id.suffix(8))).")])
            await finish(record, started: received, outcome: .error, errorCode: failure.code, errorMessage: failure.message)
        } catch is CancellationError {
            // The worker is stopping (a stop, a handover, the supervisor's death): not the command's fault.
            await finish(record, started: received, outcome: .interrupted, errorCode: .interrupted,
                         errorMessage: "the worker stopped before the command finished")
        } catch {
            await finish(record, started: received, outcome: .error, errorCode: .discordUnreachable, errorMessage: "\(error)")
        }
    }

    /// Sends a message through the rate-limited REST client (bulk messaging over IPC).
    /// A GET with the bot's token through its rate limiter, for botvisord (`POST /bots/{name}/validate`):
    /// `result` holds `status` and `body` (JSON text).
    public func discordGet(path: String) async -> Reply {
        // Only what validate reads; never a path the supervisor was not meant to reach with this token.
        guard ["/users/@me", "/applications/@me"].contains(path) else {
            return Reply(ok: false, errorCode: .badRequest, message: "not a path botvisord reads: \(path)")
        }
        do {
            let response = try await rest.send(.get, path)
            return Reply(ok: true, result: ["status": String(response.status), "body": String(decoding: response.body.bytes, as: UTF8.self)])
        } catch {
            return Reply(ok: false, errorCode: .discordUnreachable, message: "\(error)")
        }
    }

    public func sendMessage(channelID: String, content: String?, embeds: String?, nonce: String? = nil) async -> Reply {
        var body: [String: JSON] = [:]
        if let nonce {
            body["nonce"] = .string(nonce)
            body["enforce_nonce"] = true
        }
        if let content { body["content"] = .string(content) }
        if let embeds, let parsed = try? JSON.parse(embeds) { body["embeds"] = parsed }
        do {
            let response = try await rest.send(.post, "/channels/\(channelID)/messages", body: .object(body))
            if response.ok { return Reply(ok: true, result: ["message_id": response.body["id"]?.string ?? ""]) }
            return Reply(ok: false, errorCode: Self.discordCode(response), message: response.body["message"]?.string)
        } catch {
            return Reply(ok: false, errorCode: .discordUnreachable, message: "\(error)")
        }
    }
}
