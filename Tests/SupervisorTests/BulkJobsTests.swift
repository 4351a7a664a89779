import Discord
import DiscordSim
import FoundationEssentials
import Glibc
import HTTP
import IOCore
import JSON
import Testing
import TestSupport
#if canImport(Glibc)
#endif
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store
@testable import Supervisor

extension DaemonHarness {
    static let client = HTTPClient()

    /// One API call to the daemon: status and JSON body.
    @discardableResult
    func api(_ method: HTTPMethod, _ path: String, _ body: JSON? = nil, headers: HTTPHeaders = [:]) async throws -> (Int, JSON) {
        var request = HTTPClientRequest(method: method, url: "http://127.0.0.1:\(httpPort)\(path)", headers: headers)
        // Every route but health needs a token: an admin's unless the caller sent its own.
        if request.headers["Authorization"] == nil { request.headers.set("Authorization", "Bearer \(try await adminToken())") }
        if let body {
            request.body = body.bytes
            request.headers.set("Content-Type", "application/json")
        }
        let response = try await DaemonHarness.client.send(request, timeout: .seconds(30))
        return (response.status.code, response.body.isEmpty ? .null : try JSON.parse(response.body))
    }

    /// Creates a bot over the API (and on the simulator, unless its token is meant to be refused).
    func createBot(_ name: String, token: String, known: Bool = true, extra: [String: JSON] = [:]) async throws {
        if known { await sim.addBot(name: name, token: token, approvedIntents: .privileged) }
        var body: [String: JSON] = ["name": .string(name), "token": .string(token)]
        body.merge(extra) { $1 }
        let (status, reply) = try await api(.post, "/api/v1/bots", .object(body))
        #expect(status == 201, "\(reply)")
    }

    /// Waits for the running daemon to write its bound address (a respawned one listens on a new port), then for the port.
    func waitForHTTP() async throws {
        try await eventually(timeout: .seconds(30), "the bound HTTP address") { httpPort != 0 }
        try await waitForPort(httpPort)
    }

    /// Polls a job until it is finished; returns it.
    func finishedJob(_ id: String, timeout: Duration = .seconds(300)) async throws -> JSON {
        var job: JSON = .null
        try await eventually(timeout: timeout, "job \(id) to finish") {
            job = (try? await api(.get, "/api/v1/jobs/\(id)").1) ?? .null
            return !["queued", "running", nil].contains(job["state"]?.string)
        }
        return job
    }
}

/// Bot management and bulk jobs through a real botvisord, real workers and the simulator.
@Suite(.serialized, .heavy) struct BulkJobsTests {
    @Test func configChangesReachTheWorkerAndTheTokenNeverShows() async throws {
        let token = "MTIzNDU2Nzg5.crud-secret-token.0123WXYZ"
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            try await h.createBot("crud", token: token, extra: ["prefix": "!"])
            try await h.waitFor("crud", .ready)
            var responses: [JSON] = []
            let (_, first) = try await h.api(.get, "/api/v1/bots/crud")
            responses.append(first)
            let pid = try #require(first["pid"]?.int)

            // A new prefix is pushed over IPC: same process, and the worker answers the new prefix.
            let (prefixStatus, prefixed) = try await h.api(.patch, "/api/v1/bots/crud", ["prefix": "?"])
            responses.append(prefixed)
            #expect(prefixStatus == 200 && prefixed["config"]?["prefix"]?.string == "?")
            _ = await h.sim.injectMessage(bot: "crud", content: "?ping", channelID: "7001")
            try await eventually(timeout: h.patience, "the answer to ?ping") { await !h.sim.messages(in: "7001").isEmpty }
            #expect(try await h.status("crud").pid == Int32(pid))

            // New intents need a fresh identify: a new worker, a second IDENTIFY, no resume.
            let (intentStatus, changed) = try await h.api(.patch, "/api/v1/bots/crud", ["intents": .number(Double(1 | 1 << 9 | 1 << 15))])
            responses.append(changed)
            #expect(intentStatus == 200)
            try await eventually(timeout: h.patience, "the second identify") { await h.sim.snapshot().identifies["crud"] == 2 }
            try await h.waitFor("crud", .ready)
            #expect(try await h.status("crud").pid != Int32(pid))
            #expect(await h.sim.snapshot().resumes["crud"] == nil)

            // A new token too (the simulator learns it first).
            let newToken = "MTIzNDU2Nzg5.crud-secret-token.4567ABCD"
            await h.sim.addBot(name: "crud", token: newToken, approvedIntents: .privileged)
            let (tokenStatus, rotated) = try await h.api(.patch, "/api/v1/bots/crud", ["token": .string(newToken)])
            responses.append(rotated)
            #expect(tokenStatus == 200 && rotated["config"]?["token_last4"]?.string == "ABCD")
            try await eventually(timeout: h.patience, "the third identify") { await h.sim.snapshot().identifies["crud"] == 3 }
            #expect(await h.sim.snapshot().violations.isEmpty)

            let (_, list) = try await h.api(.get, "/api/v1/bots")
            responses.append(list)
            let (validateStatus, report) = try await h.api(.post, "/api/v1/bots/crud/validate")
            responses.append(report)
            #expect(validateStatus == 200 && report["valid"]?.bool == true)
            // Not in a response, not in any process's argv.
            let ps = try await runProcess("/bin/ps", ["-eo", "args"])
            for secret in [token, newToken] {
                #expect(!responses.contains { $0.serialized().contains(secret) })
                #expect(!ps.stdout.contains(secret))
            }

            // Deleting a running bot stops its worker first.
            let workerPID = try #require(try await h.status("crud").pid)
            let (deleted, _) = try await h.api(.delete, "/api/v1/bots/crud")
            #expect(deleted == 204)
            #expect(kill(workerPID, 0) != 0)
            #expect(try await h.api(.get, "/api/v1/bots/crud").0 == 404)

            // Nor in the daemon's log.
            await h.daemon.stop()
            var log: [String] = []
            while let line = try await h.daemon.readLine(deadline: .now + .seconds(5)) { log.append(line) }
            #expect(!log.isEmpty)
            #expect(!log.joined().contains("crud-secret-token"))
        }
    }

    @Test func oneBotIsStoppedStartedAndRestartedOverHTTP() async throws {
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            try await h.createBot("solo", token: "tok-solo")
            try await h.waitFor("solo", .ready)
            let (stopped, afterStop) = try await h.api(.post, "/api/v1/bots/solo/stop")
            #expect(stopped == 200 && afterStop["state"]?.string == "stopped" && afterStop["pid"] == nil)
            let (started, _) = try await h.api(.post, "/api/v1/bots/solo/start")
            #expect(started == 202)
            try await h.waitFor("solo", .ready)
            // A stop ends the session (close 1000): the start identified again. A restart hands over and resumes.
            let afterStart = await h.sim.snapshot()
            #expect(afterStart.identifies["solo"] == 2, "\(afterStart.identifies) \(afterStart.resumes)")
            let pid = try await h.status("solo").pid
            let (restarted, _) = try await h.api(.post, "/api/v1/bots/solo/restart")
            #expect(restarted == 202)
            try await eventually(timeout: h.patience, "the resume") { await h.sim.snapshot().resumes["solo"] == 1 }
            try await h.waitFor("solo", .ready)
            #expect(try await h.status("solo").pid != pid)
            #expect(try await h.api(.post, "/api/v1/bots/ghost/restart").0 == 404)
            // Bulk stop by selector: every ready bot.
            let (_, job) = try await h.api(.post, "/api/v1/bulk/stop", ["state": "ready"])
            let done = try await h.finishedJob(try #require(job["id"]?.string))
            #expect(done["state"]?.string == "succeeded" && done["progress"]?["total"]?.int == 1)
            try await h.waitFor("solo", .stopped)
            // The quick stop and start kept Discord's identify spacing.
            #expect(await h.sim.snapshot().violations.isEmpty)
        }
    }

    @Test func bulkRestartOfTenBotsWithOneAuthFailedGivesNineOkAndOneError() async throws {
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            for i in 0..<9 { try await h.createBot("bot\(i)", token: "tok-\(i)") }
            try await h.createBot("refused", token: "tok-nobody-knows", known: false)
            for i in 0..<9 { try await h.waitFor("bot\(i)", .ready) }
            try await h.waitFor("refused", .authFailed)

            let (status, accepted) = try await h.api(.post, "/api/v1/bulk/restart", ["all": true])
            #expect(status == 202)
            let id = try #require(accepted["id"]?.string)
            #expect(accepted["progress"]?["total"]?.int == 10)
            let job = try await h.finishedJob(id)
            #expect(job["state"]?.string == "partially_failed")
            #expect(job["progress"]?["succeeded"]?.int == 9 && job["progress"]?["failed"]?.int == 1)
            let items = job["items"]?.array ?? []
            #expect(items.filter { $0["state"]?.string == "ok" }.count == 9)
            let failed = try #require(items.first { $0["state"]?.string == "error" })
            #expect(failed["bot"]?.string == "refused" && failed["error"]?["code"]?.string == "AUTH_FAILED")
            // Every other bot really restarted (and resumed its session), the refused token was not tried again.
            let stats = await h.sim.snapshot()
            for i in 0..<9 { #expect(stats.resumes["bot\(i)"] == 1) }
            #expect(stats.identifies["refused"] == nil)
            let (_, list) = try await h.api(.get, "/api/v1/jobs")
            #expect(list["jobs"]?.array?.first?["id"]?.string == id)
        }
    }

    @Test func fiveHundredMessagesToFiftyChannelsThroughTenBotsArriveExactlyOnce() async throws {
        // Discord's own heartbeat interval is 41 s; 10 s keeps the burst's traffic about REST.
        try await DaemonHarness.run(heartbeatInterval: .seconds(10)) { h in
            try await h.waitForHTTP()
            for b in 0..<10 { try await h.createBot("shop\(b)", token: "tok-shop-\(b)") }
            for b in 0..<10 { try await h.waitFor("shop\(b)", .ready) }
            // Each bot posts to its own 5 channels, 10 messages each: Discord's 5-per-5-s channel bucket is the limit.
            var targets: [JSON] = []
            for _ in 0..<10 {
                for b in 0..<10 {
                    for c in 0..<5 { targets.append(["bot": .string("shop\(b)"), "channel_id": .string("8\(b)0\(c)")]) }
                }
            }
            // Plus the failures a target can have.
            targets += [["bot": "shop0", "channel_id": "40400"], ["bot": "shop1", "channel_id": "40300"]]
            let (status, accepted) = try await h.api(.post, "/api/v1/bulk/messages", [
                "targets": .array(targets), "content": "Restock: widgets are back", "embeds": [["title": "Widgets", "description": "In stock"]],
            ])
            #expect(status == 202)
            let id = try #require(accepted["id"]?.string)
            let job = try await h.finishedJob(id)
            #expect(job["state"]?.string == "partially_failed")
            let items = job["items"]?.array ?? []
            #expect(job["progress"]?["succeeded"]?.int == 500 && job["progress"]?["failed"]?.int == 2,
                    "\(items.filter { $0["state"]?.string != "ok" }.prefix(5))")
            #expect(items.filter { $0["message_id"]?.string?.isEmpty == false }.count == 500)
            #expect(items.first { $0["channel_id"]?.string == "40400" }?["error"]?["code"]?.string == "DISCORD_10003")
            #expect(items.first { $0["channel_id"]?.string == "40300" }?["error"]?["code"]?.string == "DISCORD_50013")
            // Counted on the simulator: 10 per channel, 500 in all, no 429 served.
            for b in 0..<10 {
                for c in 0..<5 { #expect(await h.sim.messages(in: "8\(b)0\(c)").count == 10) }
            }
            let stats = await h.sim.snapshot()
            #expect(stats.tooManyRequests == 0)
            // Late heartbeats are not violations (the simulator notes them apart); a starved worker is not a bug.
            #expect(stats.violations.isEmpty, "\(stats.violations)")
        }
    }

    @Test func theSameIdempotencyKeySendsOnceAndCancelStopsARunningJob() async throws {
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            try await h.createBot("alpha", token: "tok-alpha")
            try await h.createBot("idle", token: "tok-idle", extra: ["enabled": false])
            try await h.waitFor("alpha", .ready)

            let body: JSON = ["targets": [["bot": "alpha", "channel_id": "9100"], ["bot": "idle", "channel_id": "9101"]], "content": "hello once"]
            let (s1, first) = try await h.api(.post, "/api/v1/bulk/messages", body, headers: ["Idempotency-Key": "order-42"])
            let (s2, second) = try await h.api(.post, "/api/v1/bulk/messages", body, headers: ["Idempotency-Key": "order-42"])
            #expect(s1 == 202 && s2 == 202)
            let id = try #require(first["id"]?.string)
            #expect(second["id"]?.string == id)
            let job = try await h.finishedJob(id)
            #expect(await h.sim.messages(in: "9100").count == 1)
            // A stopped bot is a per-target error, not a failed job.
            #expect(job["items"]?[1]?["error"]?["code"]?.string == "BOT_NOT_RUNNING")
            #expect(job["state"]?.string == "partially_failed")
            // The key with another request is refused; a third send with it still sends nothing.
            let (s3, reused) = try await h.api(.post, "/api/v1/bulk/messages", ["targets": [["bot": "alpha", "channel_id": "9100"]], "content": "other"],
                                               headers: ["Idempotency-Key": "order-42"])
            #expect(s3 == 422 && reused["error"]?["code"]?.string == "IDEMPOTENCY_KEY_REUSED")
            _ = try await h.api(.post, "/api/v1/bulk/messages", body, headers: ["Idempotency-Key": "order-42"])
            #expect(await h.sim.messages(in: "9100").count == 1)

            // 40 messages to one channel take 35 s at 5 per 5 s: cancel once a few went out.
            let many = JSON.array((0..<40).map { _ in ["bot": "alpha", "channel_id": "9200"] })
            let (_, slow) = try await h.api(.post, "/api/v1/bulk/messages", ["targets": many, "content": "tick"])
            let slowID = try #require(slow["id"]?.string)
            try await eventually(timeout: h.patience, "some messages") { await h.sim.messages(in: "9200").count >= 5 }
            let (cancelStatus, cancelling) = try await h.api(.post, "/api/v1/jobs/\(slowID)/cancel")
            #expect(cancelStatus == 202 && cancelling["cancel_requested"]?.bool == true)
            let cancelled = try await h.finishedJob(slowID)
            #expect(cancelled["state"]?.string == "cancelled")
            let sent = cancelled["progress"]?["succeeded"]?.int ?? -1
            #expect(sent >= 5 && sent < 40)
            #expect(cancelled["progress"]?["cancelled"]?.int == 40 - sent)
            #expect(await h.sim.messages(in: "9200").count == sent)
            #expect(try await h.api(.post, "/api/v1/jobs/\(slowID)/cancel").0 == 409)
        }
    }

    @Test func aSupervisorKilledMidJobFinishesTheJobWithoutADuplicate() async throws {
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            for b in 0..<5 { try await h.createBot("shop\(b)", token: "tok-shop-\(b)") }
            for b in 0..<5 { try await h.waitFor("shop\(b)", .ready) }
            // 20 messages per channel: at 5 per 5 s this job takes 15 s.
            var targets: [JSON] = []
            for _ in 0..<20 {
                for b in 0..<5 { for c in 0..<2 { targets.append(["bot": .string("shop\(b)"), "channel_id": .string("7\(b)0\(c)")]) } }
            }
            let (_, accepted) = try await h.api(.post, "/api/v1/bulk/messages", ["targets": .array(targets), "content": "flash sale"])
            let id = try #require(accepted["id"]?.string)
            try await eventually(timeout: h.patience, "the first messages") { await h.sim.allMessages.count >= 50 }
            kill(h.daemon.pid, SIGKILL)
            _ = try? await h.daemon.child.waitForExit(deadline: .now + testPatience)

            let second = try h.spawnDaemon()
            do {
                try await h.waitForHTTP()
                let job = try await h.finishedJob(id)
                #expect(job["state"]?.string == "succeeded", "\(job["progress"] ?? .null) \((job["items"]?.array ?? []).filter { $0["state"]?.string != "ok" }.prefix(5))")
                #expect(job["interrupted"]?.bool == true)
                #expect(job["progress"]?["succeeded"]?.int == 200)
                for b in 0..<5 {
                    for c in 0..<2 { #expect(await h.sim.messages(in: "7\(b)0\(c)").count == 20) }
                }
                #expect(await h.sim.allMessages.count == 200)
                #expect(await h.sim.snapshot().tooManyRequests == 0)
            } catch {
                await second.stop()
                while let line = try? await second.readLine(deadline: .now + .seconds(2)) { print("botvisord (2): \(line)") }
                throw error
            }
            await second.stop()
        }
    }
}
