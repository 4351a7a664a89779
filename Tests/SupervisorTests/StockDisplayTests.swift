import Discord
import DiscordSim
import FoundationEssentials
import Glibc
import HTTP
import IOCore
import JSON
import Testing
import TestSupport
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store
@testable import Supervisor

extension DaemonHarness {
    /// Creates a catalog with `products` (`sku` -> quantity, names `Product <sku>`); returns its id.
    func createCatalog(_ name: String, products: [(sku: String, quantity: Int, category: String?)]) async throws -> Int {
        let (status, catalog) = try await api(.post, "/api/v1/catalogs", ["name": .string(name), "currency": "USD"])
        #expect(status == 201, "\(catalog)")
        let id = try #require(catalog["id"]?.int)
        for p in products {
            var body: [String: JSON] = ["sku": .string(p.sku), "name": .string("Product \(p.sku)"), "quantity": .number(Double(p.quantity)), "price": 250]
            if let c = p.category { body["category"] = .string(c) }
            let (created, product) = try await api(.post, "/api/v1/catalogs/\(id)/products", .object(body))
            #expect(created == 201, "\(product)")
        }
        return id
    }

    /// Creates a display and waits until Discord shows it; returns its id.
    func createDisplay(bot: String, channel: String, catalog: Int, extra: [String: JSON] = [:]) async throws -> Int {
        var body: [String: JSON] = ["bot": .string(bot), "channel_id": .string(channel), "catalog_id": .number(Double(catalog))]
        body.merge(extra) { $1 }
        let (status, display) = try await api(.post, "/api/v1/displays", .object(body))
        #expect(status == 201, "\(display)")
        return try #require(display["id"]?.int)
    }

    func display(_ id: Int) async throws -> JSON { try await api(.get, "/api/v1/displays/\(id)").1 }

    /// Waits until the display is `state` and returns it.
    @discardableResult
    func waitForDisplay(_ id: Int, _ state: String, timeout: Duration? = nil) async throws -> JSON {
        var last: JSON = .null
        try await eventually(timeout: timeout ?? patience, "display \(id) \(state)") {
            last = (try? await display(id)) ?? .null
            return last["state"]?.string == state
        }
        return last
    }

    /// The channel's messages as the simulator holds them: id and the embeds' text.
    func shown(_ channel: String) async -> [(id: String, text: String)] {
        await sim.messages(in: channel).map { ($0.id, $0.embeds.serialized()) }
    }

    /// Waits until the channel shows exactly one message whose text satisfies `predicate`; returns its id.
    @discardableResult
    func waitForOneMessage(_ channel: String, _ what: String, _ predicate: @escaping @Sendable (String) -> Bool) async throws -> String {
        var id = ""
        try await eventually(timeout: patience, what) {
            let messages = await shown(channel)
            guard messages.count == 1, predicate(messages[0].text) else { return false }
            id = messages[0].id
            return true
        }
        return id
    }

    /// PATCH calls the simulator received for messages in `channel`.
    func edits(in channel: String) async -> Int {
        await sim.snapshot().restCalls.filter { $0.method == "PATCH" && $0.path.hasPrefix("/channels/\(channel)/messages/") }.count
    }

    func posts(in channel: String) async -> Int {
        await sim.snapshot().restCalls.filter { $0.method == "POST" && $0.path == "/channels/\(channel)/messages" }.count
    }
}

/// Live stock displays through a real botvisord, real workers and the simulator (issue 14).
@Suite(.serialized, .heavy) struct StockDisplayTests {
    @Test func aDisplayIsPostedOnceAndEditedInPlaceAcrossAWorkerKillAPlannedRestartAndADaemonRestart() async throws {
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            try await h.createBot("shop", token: "tok-stock-inplace")
            try await h.waitFor("shop", .ready)
            let catalog = try await h.createCatalog("Fruit", products: [("apple", 10, nil), ("pear", 4, nil)])
            let display = try await h.createDisplay(bot: "shop", channel: "8001", catalog: catalog)
            let message = try await h.waitForOneMessage("8001", "the display") { $0.contains("Product apple") && $0.contains("10 left") }
            let shown = try await h.waitForDisplay(display, "ok")
            #expect(shown["message_ids"] == [.string(message)])

            var quantity = 20
            func change(_ step: String) async throws {
                quantity += 1
                let (status, _) = try await h.api(.patch, "/api/v1/catalogs/\(catalog)/products/apple", ["quantity": .number(Double(quantity))])
                #expect(status == 200)
                let q = quantity
                let id = try await h.waitForOneMessage("8001", "\(q) left after \(step)") { $0.contains("\(q) left") }
                #expect(id == message, "a new message after \(step)")
            }
            try await change("a stock change")

            // Over the API: the control socket's status call can time out on a loaded machine.
            func worker() async throws -> (state: String?, pid: Int?) {
                let bot = try await h.api(.get, "/api/v1/bots/shop").1
                return (bot["state"]?.string, bot["pid"]?.int)
            }
            let pid = try #require(try await worker().pid)
            kill(Int32(pid), SIGKILL)
            try await eventually(timeout: h.patience, "a new worker") { let w = try await worker(); return w.state == "ready" && w.pid != pid }
            try await change("a worker kill -9")

            let second = try #require(try await worker().pid)
            #expect(try await h.api(.post, "/api/v1/bots/shop/restart").0 == 202)
            try await eventually(timeout: h.patience, "a restarted worker") { let w = try await worker(); return w.state == "ready" && w.pid != second }
            try await change("a planned restart")

            h.daemon.child.signal(SIGTERM)
            #expect(try await h.daemon.child.waitForExit(deadline: .now + testPatience) == .exited(0))
            let daemon = try h.spawnDaemon()
            do {
                try await h.waitForHTTP()
                try await eventually(timeout: h.patience, "the bot ready again") { (try? await worker().state) == "ready" }
                try await change("a daemon restart")
                #expect(await h.posts(in: "8001") == 1)
                #expect(await h.sim.snapshot().tooManyRequests == 0)
            } catch {
                await daemon.stop()
                throw error
            }
            await daemon.stop()
        }
    }

    @Test func aThousandStockChangesInABurstBecomeAHandfulOfEditsShowingTheFinalQuantities() async throws {
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            try await h.createBot("burst", token: "tok-stock-burst")
            try await h.waitFor("burst", .ready)
            let skus = ["a", "b", "c", "d"]
            let catalog = try await h.createCatalog("Burst", products: skus.map { ($0, 1, nil) })
            _ = try await h.createDisplay(bot: "burst", channel: "8002", catalog: catalog)
            try await h.waitForOneMessage("8002", "the display") { $0.contains("Product d") }
            let editsBefore = await h.edits(in: "8002")
            let started = ContinuousClock.now
            // The shop's backend syncs its inventory 250 times, each sync changing all four quantities: 1,000 changes,
            // as fast as the API takes them. (A keep-alive connection the server closed is retried: a sync is idempotent.)
            for n in 1...250 {
                let body: JSON = ["items": .array(skus.map { ["sku": .string($0), "quantity": .number(Double(1000 + n))] })]
                var status = 0
                for attempt in 1...3 where status == 0 {
                    do { status = try await h.api(.put, "/api/v1/catalogs/\(catalog)/stock", body).0 } catch where attempt < 3 { continue }
                }
                #expect(status == 200)
            }
            let burst = ContinuousClock.now - started
            try await h.waitForOneMessage("8002", "the final quantities") { text in
                text.components(separatedBy: "1250 left").count - 1 == 4
            }
            let edits = await h.edits(in: "8002") - editsBefore
            // At most one edit per second of burst (the coalescing window), plus the first and the last.
            #expect(edits >= 1 && edits <= Int(burst.components.seconds) + 3, "\(edits) edits for a burst of \(burst)")
            let stats = await h.sim.snapshot()
            #expect(stats.tooManyRequests == 0, "\(stats.restCalls.filter { $0.status == 429 }.map { "\($0.method) \($0.path)" })")
        }
    }

    @Test func hidingProductsRemovesThemFromEveryDisplayAndABulkHideReportsEachDisplay() async throws {
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            let bots = (0..<5).map { "shop\($0)" }
            for bot in bots { try await h.createBot(bot, token: "tok-stock-\(bot)") }
            for bot in bots { try await h.waitFor(bot, .ready) }
            let catalog = try await h.createCatalog("Market", products: [("apple", 3, "fruit"), ("pear", 2, "fruit"), ("kale", 7, "veg"), ("leek", 1, "veg")])
            var channels: [String] = []
            for (i, bot) in bots.enumerated() {
                for j in 0..<2 {
                    let channel = "81\(i)\(j)"
                    channels.append(channel)
                    _ = try await h.createDisplay(bot: bot, channel: channel, catalog: catalog)
                }
            }
            for channel in channels { try await h.waitForOneMessage(channel, "display in \(channel)") { $0.contains("Product leek") } }

            // One product, hidden with a PATCH: gone from all ten displays.
            #expect(try await h.api(.patch, "/api/v1/catalogs/\(catalog)/products/leek", ["visible": false]).0 == 200)
            for channel in channels {
                try await h.waitForOneMessage(channel, "leek hidden in \(channel)") { !$0.contains("Product leek") && $0.contains("Product kale") }
            }

            // A whole category in bulk: a job with one result per display.
            let (status, job) = try await h.api(.post, "/api/v1/bulk/products/visibility", ["category": "fruit", "visible": false])
            #expect(status == 202, "\(job)")
            let finished = try await h.finishedJob(try #require(job["id"]?.string))
            #expect(finished["state"]?.string == "succeeded", "\(finished)")
            let items = finished["items"]?.array ?? []
            #expect(items.count == 10)
            #expect(Set(items.compactMap { $0["display_id"]?.int }).count == 10)
            #expect(items.allSatisfy { $0["state"]?.string == "ok" && $0["message_id"]?.string != nil })
            for channel in channels {
                let text = await h.shown(channel).first?.text ?? ""
                #expect(!text.contains("Product apple") && !text.contains("Product pear") && text.contains("Product kale"), "\(channel)")
            }
            #expect(await h.sim.snapshot().tooManyRequests == 0)
        }
    }

    @Test func twoHundredProductsSpreadOverSeveralMessagesAndMergeBackWhenHidden() async throws {
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            try await h.createBot("big", token: "tok-stock-big")
            try await h.waitFor("big", .ready)
            let (_, created) = try await h.api(.post, "/api/v1/catalogs", ["name": "Warehouse"])
            let catalog = try #require(created["id"]?.int)
            let description = String(repeating: "Sturdy and cheap. ", count: 30)
            for i in 0..<200 {
                let body: JSON = ["sku": .string("p\(i)"), "name": .string("Item \(i)"), "quantity": .number(Double(i)), "description": .string(description),
                                  "category": i < 5 ? "keep" : "bulk", "sort_order": .number(Double(i))]
                #expect(try await h.api(.post, "/api/v1/catalogs/\(catalog)/products", body).0 == 201)
            }
            let display = try await h.createDisplay(bot: "big", channel: "8200", catalog: catalog)
            let shown = try await h.waitForDisplay(display, "ok")
            let ids = shown["message_ids"]?.array ?? []
            #expect(ids.count > 3)
            let messages = await h.sim.messages(in: "8200")
            #expect(messages.count == ids.count)
            var names: [String] = []
            for message in messages {
                let body: JSON = ["content": .string(message.content), "embeds": message.embeds]
                #expect(MessageLimits.validate(body).isEmpty)
                for embed in message.embeds.array ?? [] {
                    #expect((embed["fields"]?.array ?? []).count <= 25)
                    names += (embed["fields"]?.array ?? []).compactMap { $0["name"]?.string }
                }
            }
            #expect(names.count == 200 && Set(names).count == 200)

            let (status, job) = try await h.api(.post, "/api/v1/bulk/products/visibility", ["category": "bulk", "visible": false,
                                                                                           "catalog_id": .number(Double(catalog))])
            #expect(status == 202)
            let finished = try await h.finishedJob(try #require(job["id"]?.string))
            #expect(finished["state"]?.string == "succeeded", "\(finished)")
            let first = try #require(ids.first?.string)
            let kept = try await h.waitForOneMessage("8200", "the display shrunk to one message") { $0.contains("Item 4") && !$0.contains("Item 5\"") }
            #expect(kept == first)
            #expect(try await h.display(display)["message_ids"] == [.string(first)])
            #expect(await h.sim.snapshot().tooManyRequests == 0)
        }
    }

    @Test func aDeletedMessageIsPostedAgainAnOldOneIsReplacedAndAnUnknownChannelBreaksTheDisplayWithoutARetryLoop() async throws {
        try await DaemonHarness.run(simulator: { $0.oldMessageEditsPerHour = 1 }) { h in
            try await h.waitForHTTP()
            try await h.createBot("care", token: "tok-stock-care")
            try await h.waitFor("care", .ready)
            let catalog = try await h.createCatalog("Care", products: [("soap", 5, nil)])
            let display = try await h.createDisplay(bot: "care", channel: "8301", catalog: catalog)
            let first = try await h.waitForOneMessage("8301", "the display") { $0.contains("5 left") }

            // A moderator deletes the message: the next change posts it again.
            await h.sim.deleteMessage(channel: "8301", id: first)
            #expect(try await h.api(.patch, "/api/v1/catalogs/\(catalog)/products/soap", ["quantity": 6]).0 == 200)
            let second = try await h.waitForOneMessage("8301", "the display posted again") { $0.contains("6 left") }
            #expect(second != first)
            try await eventually(timeout: h.patience, "the new id stored") { try await h.display(display)["message_ids"] == [.string(second)] }

            // An hour later Discord allows it one edit here; the next is refused with 30046 and a fresh message replaces it.
            await h.sim.ageMessage(channel: "8301", id: second, milliseconds: 2 * 3_600_000)
            #expect(try await h.api(.patch, "/api/v1/catalogs/\(catalog)/products/soap", ["quantity": 7]).0 == 200)
            #expect(try await h.waitForOneMessage("8301", "an edit of the old message") { $0.contains("7 left") } == second)
            #expect(try await h.api(.patch, "/api/v1/catalogs/\(catalog)/products/soap", ["quantity": 8]).0 == 200)
            let third = try await h.waitForOneMessage("8301", "a fresh message for the old one") { $0.contains("8 left") }
            #expect(third != second)
            #expect(await h.sim.snapshot().oldMessageEditsRefused == 1)
            try await eventually(timeout: h.patience, "the fresh id stored") { try await h.display(display)["message_ids"] == [.string(third)] }

            // A channel that does not exist: broken with Discord's error, tried once, not again on later changes.
            let broken = try await h.createDisplay(bot: "care", channel: "40401", catalog: catalog)
            let shown = try await h.waitForDisplay(broken, "broken")
            #expect(shown["error"]?["code"]?.string == "DISCORD_10003")
            let calls = { await h.sim.snapshot().restCalls.filter { $0.path.hasPrefix("/channels/40401") }.count }
            #expect(await calls() == 1)
            #expect(try await h.api(.patch, "/api/v1/catalogs/\(catalog)/products/soap", ["quantity": 9]).0 == 200)
            try await h.waitForOneMessage("8301", "the working display updated") { $0.contains("9 left") }
            #expect(await calls() == 1)

            // A channel deleted under a working display breaks it too; a refresh tries once more and says why.
            await h.sim.deleteChannel("8301")
            #expect(try await h.api(.patch, "/api/v1/catalogs/\(catalog)/products/soap", ["quantity": 10]).0 == 200)
            #expect(try await h.waitForDisplay(display, "broken")["error"]?["code"]?.string == "DISCORD_10003")
            let (refreshed, body) = try await h.api(.post, "/api/v1/displays/\(display)/refresh")
            #expect(refreshed == 200 && body["state"]?.string == "broken")
            #expect(await h.sim.snapshot().tooManyRequests == 0)
        }
    }

    @Test func stockAnswersWithTheVisibleProductsEphemerallyWithinTheInteractionDeadline() async throws {
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            try await h.createBot("clerk", token: "tok-stock-clerk")
            try await h.waitFor("clerk", .ready)
            let catalog = try await h.createCatalog("Deli", products: [("ham", 3, "meat"), ("brie", 0, "cheese"), ("feta", 2, "cheese")])
            #expect(try await h.api(.patch, "/api/v1/catalogs/\(catalog)/products/feta", ["visible": false]).0 == 200)
            let displayID = try await h.createDisplay(bot: "clerk", channel: "8401", catalog: catalog)
            try await h.waitForOneMessage("8401", "the display") { $0.contains("Product ham") }
            let id = try #require(await h.sim.injectInteraction(bot: "clerk", command: "stock",
                                                                 options: [["name": "category", "type": 3, "value": "cheese"]]))
            var callback: DiscordSimulator.Callback?
            try await eventually(timeout: h.patience, "the /stock answer") {
                callback = await h.sim.snapshot().callbacks.first { $0.interactionID == id }
                return callback != nil
            }
            let answer = try #require(callback)
            #expect(answer.status == 204 && answer.type == 4)
            #expect(answer.latency < .seconds(3))
            #expect(answer.data["flags"]?.int == 64)
            let text = answer.data["content"]?.string ?? ""
            #expect(text.contains("Product brie") && text.contains("Sold out") && !text.contains("Product feta") && !text.contains("Product ham"), "\(text)")

            // The same through the real botvisorctl: set a quantity, hide a product, list displays as JSON.
            func ctl(_ args: [String]) async throws -> ProcessResult {
                try await runProcess(productPath("botvisorctl"), ["--config", h.config] + args)
            }
            let set = try await ctl(["stock", "set", "brie", "4"])
            #expect(set.status == 0 && set.stdout.contains("brie: 4"), "\(set.stderr)")
            let hide = try await ctl(["stock", "hide", "ham"])
            #expect(hide.status == 0, "\(hide.stderr)")
            try await h.waitForOneMessage("8401", "brie back, ham hidden") { $0.contains("Product brie") && $0.contains("4 left") && !$0.contains("Product ham") }
            let missing = try await ctl(["stock", "hide", "caviar"])
            #expect(missing.status == 1 && missing.stderr.contains("PRODUCT_NOT_FOUND"), "\(missing.stderr)")
            let list = try await ctl(["display", "list", "--json"])
            let displays = try JSON.parse(Array(list.stdout.utf8))["displays"]?.array ?? []
            #expect(list.status == 0 && displays.count == 1 && displays.first?["state"]?.string == "ok", "\(list.stdout)")
            let refresh = try await ctl(["display", "refresh", "--all"])
            #expect(refresh.status == 0, "\(refresh.stderr)")
            // Each change over the control socket is an audit row of control:<uid>, with the actions and targets of HTTP.
            let (_, audited) = try await h.api(.get, "/api/v1/audit?actor=control:\(getuid())")
            // (The harness made its admin token over the socket too: token.create.)
            let rows = (audited["events"]?.array ?? []).reversed().map {
                "\($0["action"]?.string ?? "") \($0["target"]?.string ?? "-") \($0["outcome"]?.string ?? "")"
            }.filter { !$0.hasPrefix("token.create") }
            #expect(rows == ["stock.set \(catalog)/brie success", "product.hide \(catalog)/ham success", "product.hide caviar failure",
                             "display.refresh \(displayID) success"], "\(rows)")
        }
    }
}
