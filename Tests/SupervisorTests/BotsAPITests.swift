import Discord
import DiscordSim
import FoundationEssentials
import HTTP
import IOCore
import JSON
import Logging
import Testing
import TestSupport
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store
@testable import Supervisor

/// Bot configuration through the router, on a real SQLite file (no workers: bots are created disabled).
@Suite struct BotsAPITests {
    func withAPI(apiBase: String = "http://127.0.0.1:1", _ body: (SignedInRouter) async throws -> Void) async throws {
        try await withAPI(apiBase: apiBase) { router, _ in try await body(router) }
    }

    func withAPI(apiBase: String = "http://127.0.0.1:1", _ body: (SignedInRouter, Fleet) async throws -> Void) async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            let fleet = TestFleet.idle(store: store, dir: dir, apiBase: apiBase)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await fleet.run() }
                try await body(try await TestAuth.router(fleet: fleet, store: store, dir: dir, apiBase: apiBase), fleet)
                await fleet.shutdown()
                group.cancelAll()
            }
        }
    }

    func send(_ router: SignedInRouter, _ method: HTTPMethod, _ target: String, _ body: JSON? = nil) async -> (HTTPStatus, JSON) {
        var request = HTTPRequest(method: method, target: target)
        if let body { request.body = body.bytes }
        let response = await router.respond(to: request)
        guard case .bytes(let bytes) = response.body, !bytes.isEmpty else { return (response.status, .null) }
        return (response.status, (try? JSON.parse(bytes)) ?? .null)
    }

    /// The failing fields of a 422, by name.
    func fields(_ json: JSON) -> Set<String> {
        Set((json["error"]?["fields"]?.array ?? []).compactMap { $0["field"]?.string })
    }

    static let token = "MTIzNDU2Nzg5MDEy.secret-token.abcdWXYZ"

    @Test func createReadUpdateDeleteRoundTripNeverShowsTheToken() async throws {
        try await withAPI { router in
            let (created, bot) = await send(router, .post, "/api/v1/bots", [
                "name": "shop", "token": .string(Self.token), "application_id": "123456789012345678", "intents": 513, "prefix": "!",
                "enabled": false, "custom_commands": [["name": "stock", "response": "We have {user} covered", "description": "Stock"]],
                "anti_spam_commands": 3, "anti_spam_window_seconds": 5, "command_timeout_seconds": 20,
            ])
            #expect(created == .created)
            #expect(bot["name"]?.string == "shop")
            let config = try #require(bot["config"])
            #expect(config["token_set"]?.bool == true)
            #expect(config["token_last4"]?.string == "WXYZ")
            #expect(config["prefix"]?.string == "!" && config["anti_spam_commands"]?.int == 3 && config["command_timeout_seconds"]?.double == 20)
            #expect(config["custom_commands"]?[0]?["name"]?.string == "stock")
            #expect(!bot.serialized().contains("secret-token"))

            let (patched, after) = await send(router, .patch, "/api/v1/bots/shop", ["prefix": "?", "application_id": .null])
            #expect(patched == .ok)
            #expect(after["config"]?["prefix"]?.string == "?")
            #expect(after["config"]?["application_id"] == nil || after["config"]?["application_id"] == .null)
            #expect(after["config"]?["intents"]?.int == 513)

            let (listed, list) = await send(router, .get, "/api/v1/bots")
            #expect(listed == .ok && list.array?.count == 1, "\(list)")
            #expect(!list.serialized().contains("secret-token"))

            let (deleted, _) = await send(router, .delete, "/api/v1/bots/shop")
            #expect(deleted == .noContent)
            let (gone, error) = await send(router, .get, "/api/v1/bots/shop")
            #expect(gone == .notFound && error["error"]?["code"]?.string == "BOT_NOT_FOUND")
        }
    }

    @Test func aChangedConfigurationIsAFleetEventAndTheFeedsBotUpdated() async throws {
        try await withAPI { router, fleet in
            let (created, _) = await send(router, .post, "/api/v1/bots", ["name": "shop", "token": .string(Self.token), "enabled": false])
            #expect(created == .created)
            let subscription = fleet.events.subscribe(bufferSize: 64)
            let (refused, _) = await send(router, .patch, "/api/v1/bots/shop", ["prefix": "a b"])
            let (patched, _) = await send(router, .patch, "/api/v1/bots/shop", ["prefix": "?"])
            #expect(refused == .unprocessableContent && patched == .ok)
            // The update publishes before it answers: everything up to a marker published now is buffered already.
            fleet.events.publish(.botRemoved(bot: "marker"))
            var seen: [FleetEvent] = []
            while let element = await subscription.next(), element != .event(.botRemoved(bot: "marker")) {
                if case .event(let event) = element { seen.append(event) }
            }
            #expect(seen.filter { $0 == .botUpdated(bot: "shop") }.count == 1, "\(seen)")
            let feed = FeedEvent.make(from: .botUpdated(bot: "shop"), firstID: 7, time: 1)
            #expect(feed.map(\.text) == [#"{"data":{"bot":"shop"},"id":7,"time":1,"topic":"bots","type":"bot.updated"}"#])
        }
    }

    @Test func everyValidationErrorNamesItsField() async throws {
        try await withAPI { router in
            // Nothing valid: every field is named at once.
            let (status, body) = await send(router, .post, "/api/v1/bots", [
                "name": "Not A Name", "token": "has space", "application_id": "12ab", "intents": .number(Double(1 << 18)),
                "prefix": "a b", "enabled": "yes", "anti_spam_commands": 0, "anti_spam_window_seconds": 0,
                "command_timeout_seconds": 901, "colour": "blue",
                "custom_commands": [
                    ["name": "Stock", "response": "x"],
                    ["name": .string(String(repeating: "a", count: 33)), "response": "x"],
                    ["name": "ping", "response": "x"],
                    ["name": "long", "response": .string(String(repeating: "x", count: 2001))],
                    ["name": "desc", "response": "x", "description": .string(String(repeating: "d", count: 101))],
                    ["name": "dup", "response": "x"], ["name": "dup", "response": "y"],
                    ["name": "slow", "response": "x", "delay_ms": -1, "extra": true],
                ],
            ])
            #expect(status == .unprocessableContent)
            #expect(body["error"]?["code"]?.string == "VALIDATION_FAILED")
            #expect(body["error"]?["request_id"]?.string?.isEmpty == false)
            #expect(fields(body) == [
                "name", "token", "application_id", "intents", "prefix", "enabled", "anti_spam_commands", "anti_spam_window_seconds",
                "command_timeout_seconds", "colour", "custom_commands[0].name", "custom_commands[1].name", "custom_commands[2].name",
                "custom_commands[3].response", "custom_commands[4].description", "custom_commands[6].name",
                "custom_commands[7].delay_ms", "custom_commands[7].extra",
            ])

            // Required on create.
            let (_, missing) = await send(router, .post, "/api/v1/bots", ["intents": 1])
            #expect(fields(missing) == ["name", "token"])

            // Names are unique: a second create is 409 BOT_EXISTS, as the README says.
            let good: JSON = ["name": "alpha", "token": "tok-alpha", "enabled": false]
            #expect(await send(router, .post, "/api/v1/bots", good).0 == .created)
            let (dupStatus, dup) = await send(router, .post, "/api/v1/bots", good)
            #expect(dupStatus == .conflict && dup["error"]?["code"]?.string == "BOT_EXISTS")
            // RFC 9110 §15.3.2: a 201 names what it created.
            var create = HTTPRequest(method: .post, target: "/api/v1/bots")
            create.body = (["name": "gamma", "token": "tok-gamma", "enabled": false] as JSON).bytes
            let created = await router.respond(to: create)
            #expect(created.status == .created && created.headers["Location"] == "/api/v1/bots/gamma")
            // Unknown query parameters are refused like unknown body fields.
            #expect(await send(router, .get, "/api/v1/bots?nmae=gamma").0 == .badRequest)

            // A bot cannot be renamed; unknown bots are 404; malformed JSON is 400.
            let (_, rename) = await send(router, .patch, "/api/v1/bots/alpha", ["name": "beta"])
            #expect(fields(rename) == ["name"])
            #expect(await send(router, .patch, "/api/v1/bots/nobody", ["prefix": "!"]).0 == .notFound)
            var bad = HTTPRequest(method: .post, target: "/api/v1/bots")
            bad.body = Array("{\"name\":".utf8)
            let response = await router.respond(to: bad)
            #expect(response.status == .badRequest)

            // Nothing of the failed requests was stored.
            let (_, list) = await send(router, .get, "/api/v1/bots")
            #expect(list.array?.compactMap { $0["name"]?.string } == ["alpha", "gamma"])
        }
    }

    @Test func validateAsksDiscordAboutTheToken() async throws {
        let sim = try DiscordSimulator(configuration: .init())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await sim.run() }
            await sim.addBot(name: "good", token: "tok-good", approvedIntents: [.guildMembers])
            try await withAPI(apiBase: sim.apiBase) { router in
                // GUILD_MEMBERS and MESSAGE_CONTENT asked for; only GUILD_MEMBERS allowed.
                _ = await send(router, .post, "/api/v1/bots", ["name": "good", "token": "tok-good", "enabled": false,
                                                               "intents": .number(Double(1 | 1 << 1 | 1 << 15))])
                _ = await send(router, .post, "/api/v1/bots", ["name": "bad", "token": "tok-unknown", "enabled": false])
                let (ok, report) = await send(router, .post, "/api/v1/bots/good/validate")
                #expect(ok == .ok)
                #expect(report["valid"]?.bool == true)
                #expect(report["user"]?["username"]?.string == "good")
                #expect(report["application_id"]?.string?.isEmpty == false)
                #expect(report["privileged_intents"]?.array?.compactMap(\.string) == ["GUILD_MEMBERS", "MESSAGE_CONTENT"])
                #expect(report["privileged_intents_not_enabled"]?.array?.compactMap(\.string) == ["MESSAGE_CONTENT"])
                let (rejected, error) = await send(router, .post, "/api/v1/bots/bad/validate")
                #expect(rejected == .unprocessableContent)
                #expect(error["error"]?["code"]?.string == "TOKEN_REJECTED")
                #expect(!error.serialized().contains("tok-unknown"))
            }
            // Discord unreachable: a clear 502, not a 500.
            try await withAPI(apiBase: "http://127.0.0.1:\(try freePort())/api/v10") { router in
                _ = await send(router, .post, "/api/v1/bots", ["name": "good", "token": "tok-good", "enabled": false])
                let (status, error) = await send(router, .post, "/api/v1/bots/good/validate")
                #expect(status == .badGateway && error["error"]?["code"]?.string == "DISCORD_UNREACHABLE")
            }
            await sim.shutdown()
            group.cancelAll()
        }
    }

    @Test func jobsInterruptedByARestartAreMarkedAndHandledOnceTheBotsAreLoaded() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            try await store.add(BotDefinition(name: "a", token: "tok-a", enabled: false))
            // As a killed botvisord leaves them: running, nothing done, the last send long ago.
            let (restart, _) = try await store.createJob(JobSpec(kind: .restart, request: "{}", targets: [("a", nil), ("b", nil)]), idempotencyKey: nil)
            let (message, _) = try await store.createJob(JobSpec(kind: .message, request: "{}", content: "hi", targets: [("a", "123")]),
                                                         idempotencyKey: nil)
            for id in [restart, message] { try await store.setJobState(id, .running) }
            let fleet = TestFleet.idle(store: store, dir: dir)
            let runner = JobRunner(store: store, fleet: fleet, logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Resuming starts before the fleet has loaded its bots, as at a real start.
                group.addTask { await runner.resumeInterrupted() }
                group.addTask { try await fleet.run() }
                try await eventually(timeout: .seconds(60), "both jobs to finish") {
                    let states = try? await [restart, message].asyncMap { try await store.job($0, withItems: false)?.state }
                    return states?.allSatisfy { $0?.isFinished == true } == true
                }
                let lifecycle = try #require(try await store.job(restart))
                #expect(lifecycle.interrupted && lifecycle.state == .failed)
                #expect(lifecycle.items?.map(\.error?.code) == ["INTERRUPTED", "INTERRUPTED"])
                // The message job went on: its bot exists (it is stopped), so not BOT_NOT_FOUND.
                let resumed = try #require(try await store.job(message))
                #expect(resumed.interrupted && resumed.items?.first?.error?.code == "BOT_NOT_RUNNING")
                await fleet.shutdown()
                group.cancelAll()
            }
            await store.close()
        }
    }

    @Test func bulkRequestsAreValidatedBeforeAJobExists() async throws {
        try await withAPI { router in
            _ = await send(router, .post, "/api/v1/bots", ["name": "alpha", "token": "tok-alpha", "enabled": false])
            let (s1, b1) = await send(router, .post, "/api/v1/bulk/restart", ["bots": ["alpha", "ghost"]])
            // A well-formed request naming a bot that does not exist is a 404, as a path naming one is.
            #expect(s1 == .notFound && b1["error"]?["code"]?.string == "BOT_NOT_FOUND" && fields(b1) == ["bots[1]"])
            let (s2, b2) = await send(router, .post, "/api/v1/bulk/stop", ["all": true, "state": "failed"])
            #expect(s2 == .unprocessableContent && fields(b2) == ["bots"])
            let (s3, b3) = await send(router, .post, "/api/v1/bulk/start", ["state": "sleeping"])
            #expect(s3 == .unprocessableContent && fields(b3) == ["state"])
            let (s4, b4) = await send(router, .post, "/api/v1/bulk/messages", [
                "targets": [["bot": "alpha", "channel_id": "123"], ["bot": "ghost", "channel_id": "x1"]],
                "content": .string(String(repeating: "a", count: 2001)),
                "embeds": [["title": .string(String(repeating: "t", count: 257))]],
            ])
            #expect(s4 == .unprocessableContent)
            // Malformed first: the unknown bot is reported once the rest is well formed.
            #expect(fields(b4) == ["targets[1].channel_id", "content", "embeds[0].title"])
            let (s6, b6) = await send(router, .post, "/api/v1/bulk/messages", ["targets": [["bot": "ghost", "channel_id": "1"]], "content": "hi"])
            #expect(s6 == .notFound && fields(b6) == ["targets[0].bot"])
            #expect((b4["error"]?["fields"]?.array ?? []).contains { $0["message"]?.string?.contains("2000") == true })
            let (s5, b5) = await send(router, .post, "/api/v1/bulk/messages", ["targets": [["bot": "alpha", "channel_id": "123"]]])
            #expect(s5 == .unprocessableContent && fields(b5) == ["content"])
            // No job was created by any of them.
            let (_, jobs) = await send(router, .get, "/api/v1/jobs")
            #expect(jobs["jobs"]?.array?.isEmpty == true)
            #expect(await send(router, .get, "/api/v1/jobs/nope").0 == .notFound)
            #expect(await send(router, .post, "/api/v1/jobs/nope/cancel").0 == .notFound)
        }
    }
}

