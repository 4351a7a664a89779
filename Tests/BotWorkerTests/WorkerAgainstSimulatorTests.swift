import Discord
import DiscordSim
import Foundation
import Glibc
import HTTP
import IOCore
import IPC
import JSON
import Testing
import TestSupport
import TLS
@testable import BotWorker

/// Collects what a runtime reports.
actor CollectingReporter: WorkerReporter {
    var records: [CommandRecord] = []
    var states: [GatewayStatus] = []
    var sessions: [SessionState?] = []
    var fatals: [Int] = []
    func record(_ record: CommandRecord) { records.append(record) }
    func state(_ state: GatewayStatus, detail: String?) { states.append(state) }
    func session(_ session: SessionState?) { sessions.append(session) }
    func fatal(code: Int, reason: String) { fatals.append(code) }
}

/// A simulator and a bot runtime for one test, always shut down.
struct Harness {
    let sim: DiscordSimulator
    let runtime: BotRuntime
    let reporter: CollectingReporter

    /// `heartbeatMilliseconds` is long by default: the worker closes and resumes when no ACK comes before its next
    /// heartbeat (Discord's zombie rule), and on a loaded machine this test process (the simulator) can be starved
    /// longer than a short interval, which gives extra resumes that say nothing about the test.
    static func run(heartbeatMilliseconds: Int64 = 10_000, messageLimit: Int = 5, messageWindow: Duration = .seconds(5),
                    customCommands: [CustomCommand] = [], prefix: String? = "!", token: String = "tok-alpha", perUserLimit: Int = 50,
                    commandTimeout: Double = 10,
                    _ body: (Harness) async throws -> Void) async throws {
        var configuration = DiscordSimulator.Configuration()
        configuration.heartbeatInterval = .milliseconds(heartbeatMilliseconds)
        // A worker starved of CPU (a loaded CI machine) heartbeats late or answers late; that is not a protocol
        // bug. The grace and the interaction deadline are therefore far from the intervals the worker keeps:
        // the simulator still zombies a worker that stops heartbeating and refuses a second acknowledgement,
        // and the tests check what the worker did (ACKed heartbeats, a deferral for a slow handler), not how fast.
        configuration.heartbeatGrace = Harness.grace
        configuration.interactionDeadline = Harness.grace
        configuration.messageLimit = messageLimit
        configuration.messageWindow = messageWindow
        let sim = try DiscordSimulator(configuration: configuration)
        await sim.addBot(name: "alpha", token: "tok-alpha")
        let reporter = CollectingReporter()
        let config = WorkerConfig(bot: "alpha", token: token, prefix: prefix, apiBase: sim.apiBase, customCommands: customCommands,
                                  rateLimitCount: perUserLimit, rateLimitSeconds: 10, commandTimeoutSeconds: commandTimeout)
        let runtime = BotRuntime(config: config, reporter: reporter, logger: .init(label: "test-worker"))
        let harness = Harness(sim: sim, runtime: runtime, reporter: reporter)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await sim.run() }
            group.addTask { _ = try await runtime.run() }
            do {
                try await body(harness)
            } catch {
                await runtime.stop(handover: false)
                await sim.shutdown()
                throw error
            }
            await runtime.stop(handover: false)
            await sim.shutdown()
            group.cancelAll()
        }
    }

    /// Generous on purpose (see `run`): what the simulator tolerates from a starved worker.
    static let grace: Duration = .seconds(30)

    /// How long a test waits for something the worker does within a few heartbeat intervals.
    var patience: Duration { sim.configuration.heartbeatInterval * 5 + .seconds(20) }

    func waitReady() async throws {
        try await eventually(timeout: patience, "READY") { await reporter.states.last == .ready }
    }

    /// Injects an interaction (retrying while the session is being re-established) and waits for its callback.
    func answered(_ command: String, timeout: Duration? = nil) async throws -> DiscordSimulator.Callback {
        let timeout = timeout ?? patience
        var id: String?
        try await eventually(timeout: timeout, "a session to inject into") {
            id = await sim.injectInteraction(bot: "alpha", command: command)
            return id != nil
        }
        var found: DiscordSimulator.Callback?
        try await eventually(timeout: timeout, "the callback for /\(command)") {
            found = await sim.snapshot().callbacks.first { $0.interactionID == id }
            return found != nil
        }
        return found!
    }

    func expectNoViolations() async {
        let violations = await sim.snapshot().violations
        #expect(violations.isEmpty, "protocol violations: \(violations)")
    }
}

// Serialized and heavy: each test runs a simulator and a bot with real timers (heartbeats, deferral).
@Suite(.serialized, .heavy) struct WorkerAgainstSimulatorTests {
    @Test func identifiesHeartbeatsAndAnswersAnInteractionWithAMessage() async throws {
        try await Harness.run { h in
            try await h.waitReady()
            // Heartbeats are sent and ACKed, and no violations.
            try await eventually(timeout: h.patience, "a heartbeat ACK") { await h.runtime.metrics.gatewayRTTMillis != nil }
            let callback = try await h.answered("ping")
            // Answered at once with a message (type 4), not deferred: the ping handler is quick.
            #expect(callback.status == 204 && callback.type == 4)
            #expect(callback.data["content"]?.string?.hasPrefix("Pong!") == true)
            try await eventually("the command record") { await h.reporter.records.count == 1 }
            let record = await h.reporter.records[0]
            #expect(record.command == "ping" && record.outcome == .ok && record.userID == "5001" && record.durationMicros > 0)
            #expect(await h.sim.snapshot().identifies["alpha"] == 1)
            let registered = await h.sim.commandsRegistered(applicationID: h.sim.bot(named: "alpha")!.applicationID)
            #expect(registered?.array?.compactMap { $0["name"]?.string }.sorted() == ["help", "ping", "stock"])
            await h.expectNoViolations()
        }
    }

    @Test(arguments: ["reconnect", "drop", "close4000", "zombie"])
    func resumesThroughTheResumeURLWithoutMissingADispatch(fault: String) async throws {
        // The zombie case waits for the worker to miss an ACK: a shorter interval keeps it quick.
        try await Harness.run(heartbeatMilliseconds: fault == "zombie" ? 5000 : 10_000) { h in
            try await h.waitReady()
            switch fault {
            case "reconnect": await h.sim.sendReconnect(bot: "alpha")
            case "drop": await h.sim.dropConnection(bot: "alpha")
            case "close4000": await h.sim.close(bot: "alpha", code: 4000)
            default:
                await h.sim.setZombie(bot: "alpha", true)
                try await eventually(timeout: h.patience, "the zombie close") { await h.sim.snapshot().closeCodesReceived["alpha"]?.contains(4000) == true }
                await h.sim.setZombie(bot: "alpha", false)
            }
            // Injected at once: while the worker is away it is buffered and replayed on resume.
            let messageID = await h.sim.injectMessage(bot: "alpha", content: "!help", channelID: "7100")
            #expect(messageID != nil)
            try await eventually(timeout: h.patience, "the resume") { await h.sim.snapshot().resumes["alpha"] == 1 }
            let stats = await h.sim.snapshot()
            #expect(stats.resumesViaResumeURL["alpha"] == 1)
            #expect(stats.identifies["alpha"] == 1)
            try await eventually(timeout: h.patience, "the reply to the replayed message") { await !h.sim.messages(in: "7100").isEmpty }
            _ = try await h.answered("ping")
            await h.expectNoViolations()
        }
    }

    @Test func invalidSessionNotResumableIdentifiesAgain() async throws {
        try await Harness.run { h in
            try await h.waitReady()
            await h.sim.sendInvalidSession(bot: "alpha", resumable: false)
            try await eventually(timeout: h.patience, "a second identify") { await h.sim.snapshot().identifies["alpha"] == 2 }
            try await h.waitReady()
            #expect(await h.sim.snapshot().resumes["alpha"] == nil)
            _ = try await h.answered("help")
            await h.expectNoViolations()
        }
    }

    @Test func aSlowCommandIsDeferredAndFollowedUp() async throws {
        let slow = CustomCommand(name: "report", description: "A slow report", response: "report for {user}", delayMilliseconds: 2000)
        try await Harness.run(customCommands: [slow]) { h in
            try await h.waitReady()
            let callback = try await h.answered("report")
            // The handler takes 2 s, longer than the worker waits before deferring (BotRuntime.deferAfter):
            // the first answer is a deferral (type 5), and the content comes as a follow-up.
            #expect(BotRuntime.deferAfter < .milliseconds(2000))
            #expect(callback.type == 5)
            try await eventually(timeout: h.patience, "the follow-up") {
                await h.sim.messages(in: "7001").contains { $0.content == "report for <@5001>" }
            }
            try await eventually("the record") { await h.reporter.records.first?.outcome == .ok }
            #expect(await h.reporter.records[0].durationMicros >= 2_000_000)
            await h.expectNoViolations()
        }
    }

    @Test func aCommandStillRunningAfterTheTimeoutIsRecordedAsTimeout() async throws {
        let stuck = CustomCommand(name: "stuck", description: "Never quick", response: "late", delayMilliseconds: 4000)
        try await Harness.run(customCommands: [stuck], commandTimeout: 1) { h in
            try await h.waitReady()
            _ = await h.sim.injectInteraction(bot: "alpha", command: "stuck")
            try await eventually(timeout: h.patience, "the timeout record") { await h.reporter.records.first?.outcome == .timeout }
            let record = await h.reporter.records[0]
            #expect(record.errorCode == "TIMEOUT" && record.command == "stuck")
            // The handler finishing later does not produce a second record. An absence can only be checked
            // after the moment it would have happened: the handler's own delay, counted from the record.
            try await Reactor.shared.sleep(until: .now + .milliseconds(Int64(stuck.delayMilliseconds ?? 0)))
            #expect(await h.reporter.records.count == 1)
        }
    }

    @Test func aBurstOf100MessagesToOneChannelIsDeliveredWithoutA429() async throws {
        try await Harness.run(messageLimit: 20, messageWindow: .seconds(1)) { h in
            try await h.waitReady()
            await withTaskGroup(of: Reply.self) { group in
                for i in 0..<100 { group.addTask { await h.runtime.sendMessage(channelID: "7200", content: "burst \(i)", embeds: nil) } }
                for await reply in group { #expect(reply.ok, "\(reply.message ?? "")") }
            }
            #expect(await h.sim.messages(in: "7200").count == 100)
            #expect(await h.sim.snapshot().tooManyRequests == 0)
            await h.expectNoViolations()
        }
    }

    @Test func aForced429IsHonouredAndTheRequestStillSucceeds() async throws {
        try await Harness.run { h in
            try await h.waitReady()
            // Let the start-up REST calls (command registration) finish so the forced 429 hits our message.
            let app = await h.sim.bot(named: "alpha")!.applicationID
            try await eventually("command registration") { await h.sim.commandsRegistered(applicationID: app) != nil }
            await h.sim.failNextRESTCalls(status: 429, count: 1)
            let started = ContinuousClock.now
            let reply = await h.runtime.sendMessage(channelID: "7300", content: "after a 429", embeds: nil)
            #expect(reply.ok)
            #expect(ContinuousClock.now - started >= .milliseconds(250))
            #expect(await h.runtime.currentMetrics().rest429 == 1)
            #expect(await h.sim.messages(in: "7300").count == 1)
        }
    }

    @Test func badPayloadsFromDiscordAreLoggedAndSurvived() async throws {
        try await Harness.run { h in
            try await h.waitReady()
            await h.sim.sendRaw(bot: "alpha", text: "{not json")
            await h.sim.sendRaw(bot: "alpha", text: #"{"op":99,"d":null}"#)
            await h.sim.sendRaw(bot: "alpha", text: #"[1,2,3]"#)
            await h.sim.injectEvent(bot: "alpha", name: "SOMETHING_NEW", data: ["x": 1])
            let callback = try await h.answered("ping")
            #expect(callback.status == 204)
            #expect(await h.sim.snapshot().identifies["alpha"] == 1)
            await h.expectNoViolations()
        }
    }

    @Test func aSixthCommandWithinTenSecondsIsRateLimitedWithAFriendlyEphemeralReply() async throws {
        try await Harness.run(perUserLimit: 5) { h in
            try await h.waitReady()
            var last: DiscordSimulator.Callback?
            for _ in 0..<6 { last = try await h.answered("help") }
            #expect(last?.data["content"]?.string?.contains("too fast") == true)
            #expect(last?.data["flags"]?.int == 64)
            try await eventually("six records") { await h.reporter.records.count == 6 }
            let outcomes = await h.reporter.records.map(\.outcome)
            #expect(outcomes.filter { $0 == .ok }.count == 5 && outcomes.filter { $0 == .rateLimited }.count == 1)
            await h.expectNoViolations()
        }
    }

    /// The lazy routing (issue 16) reads `content` and `author` from the unparsed text: messages from bots, from
    /// the bot itself and without the prefix are dropped; the next human one with the prefix is a command.
    @Test func onlyHumanMessagesWithThePrefixAreCommands() async throws {
        try await Harness.run { h in
            try await h.waitReady()
            let me = try #require(await h.sim.bot(named: "alpha")?.userID)
            func message(_ content: String, author: JSON) -> JSON {
                ["id": "1", "channel_id": "7450", "guild_id": "9001", "content": .string(content), "author": author, "mentions": [], "tts": false]
            }
            await h.sim.injectEvent(bot: "alpha", name: "MESSAGE_CREATE", data: message("!help", author: ["id": "6001", "username": "b", "bot": true]))
            await h.sim.injectEvent(bot: "alpha", name: "MESSAGE_CREATE", data: message("!help", author: ["id": .string(me), "username": "me"]))
            await h.sim.injectEvent(bot: "alpha", name: "MESSAGE_CREATE", data: message("help", author: ["id": "5001", "username": "u"]))
            await h.sim.injectEvent(bot: "alpha", name: "MESSAGE_CREATE", data: message("!help", author: ["id": "5001", "username": "u", "bot": false]))
            try await eventually("the human command's record") { await h.reporter.records.count >= 1 }
            #expect(await h.reporter.records.map(\.userID) == ["5001"])
            try await eventually("its reply") { await h.sim.messages(in: "7450").count >= 1 }
            #expect(await h.sim.messages(in: "7450").count == 1)
            #expect(await h.runtime.metrics.events >= 5) // READY and the four messages
        }
    }

    @Test func prefixCommandsAndUnknownCommandsProduceRecords() async throws {
        try await Harness.run { h in
            try await h.waitReady()
            await h.sim.injectMessage(bot: "alpha", content: "!help", channelID: "7400")
            await h.sim.injectMessage(bot: "alpha", content: "!nosuch", channelID: "7400")
            try await eventually("two records") { await h.reporter.records.count == 2 }
            let records = await h.reporter.records.sorted { $0.command < $1.command }
            #expect(records.map(\.outcome) == [.ok, .error])
            #expect(records[1].errorCode == "UNKNOWN_COMMAND")
            // The user-facing error carries the code and a reference found in the record.
            let texts = await h.sim.messages(in: "7400").map(\.content)
            #expect(texts.contains { $0.contains("UNKNOWN_COMMAND") && $0.contains(String(records[1].id.suffix(8))) })
        }
    }
}
