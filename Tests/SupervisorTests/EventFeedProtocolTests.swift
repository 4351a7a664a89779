import Foundation
import HTTP
import IOCore
import IPC
import JSON
import Logging
import Testing
import TestSupport
@testable import API
@testable import Fleet
@testable import Store

/// The live feed over real sockets: an in-process HTTP server with the feed, a fleet whose event stream
/// the test publishes to, and real clients (Python's `websockets`, curl) on the other side.
@Suite(.serialized, .heavy) struct EventFeedProtocolTests {
    static let websockets = PythonModule("websockets")

    struct Server {
        let fleet: Fleet
        let feed: EventFeed
        let port: Int
        let router: Router
        let authenticator: Authenticator
        /// An admin API token: every request to the feed carries one, as a client of the daemon's would.
        let token: String

        /// Publishes command records (`bot:outcome:command` each) as one committed batch per bot.
        func commands(_ specs: [String], optionBytes: Int = 0) {
            let padding = String(repeating: "x", count: optionBytes)
            for spec in specs {
                let parts = spec.split(separator: ":").map(String.init)
                let record = CommandRecord(id: UUID().uuidString, bot: parts[0], guildID: "9001", channelID: "7001", userID: "1001",
                                           command: parts[2], options: "{\"pad\":\"\(padding)\"}", startedAt: WallClock.now().microseconds,
                                           durationMicros: 1000, outcome: CommandOutcome(rawValue: parts[1])!)
                fleet.events.publish(.commandRecordsCommitted(bot: parts[0], records: [record]))
            }
        }
    }

    /// Runs `body` with a server whose feed has small, test-sized limits.
    static func withServer(_ settings: EventFeed.Settings, _ body: (Server) async throws -> Void) async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            let fleet = TestFleet.idle(store: store, dir: dir)
            let feed = EventFeed(settings: settings, logger: Logger(label: "events"))
            let auth = try await TestAuth.authenticator(store: store, dir: dir)
            let token = try await TestAuth.token(auth)
            let router = APIRouter.make(fleet: fleet, store: store, authenticator: auth, feed: feed)
            let server = try HTTPServer(port: 0, responder: router)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await fleet.run() }
                group.addTask { await feed.run(following: fleet.events) }
                group.addTask { await server.run() }
                try await eventually(timeout: .seconds(30), "the feed follows the fleet") { fleet.events.subscriberCount >= 1 }
                do {
                    try await body(Server(fleet: fleet, feed: feed, port: server.port, router: router, authenticator: auth, token: token))
                } catch {
                    feed.shutdown()
                    await server.shutdown()
                    await fleet.shutdown()
                    group.cancelAll()
                    throw error
                }
                feed.shutdown()
                await server.shutdown()
                await fleet.shutdown()
                group.cancelAll()
            }
            await store.close()
        }
    }

    /// Runs a scripted Python peer: each `NEED <action>` line it prints is performed by `perform`, then
    /// answered with `OK <reply>` on its stdin; it ends with `PASS` or an assertion failure.
    static func runPeer(_ script: String, arguments: [String], perform: (String) async throws -> String) async throws -> (passed: Bool, log: [String]) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("feed-peer-\(getpid())-\(UUID().uuidString).py").path
        try script.writeAtomically(to: file)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let peer = try BackgroundProcess(Peer.python3.path!, ["-u", file] + arguments, stdin: true)
        var log: [String] = []
        var passed = false
        while let line = try await peer.readLine(deadline: .now + .seconds(120)) {
            if line.hasPrefix("NEED ") {
                let reply = try await perform(String(line.dropFirst(5)))
                try await peer.writeLine("OK \(reply)")
            } else if line == "PASS" {
                passed = true
            } else {
                log.append(line)
            }
        }
        await peer.stop()
        return (passed, log)
    }

    static let protocolScript = #"""
    import asyncio, json, sys, websockets
    URL = sys.argv[1]

    def need(action):
        print("NEED " + action, flush=True)
        line = sys.stdin.readline().strip()
        assert line.startswith("OK"), line
        return line[3:]

    # The admin token comes over stdin, never argv; every connection sends it as a bearer token.
    TOKEN = need("token")

    def connect(url, **options):
        # Deadlines bound a failure, they do not time the daemon: a loaded machine may stall it for seconds.
        options.setdefault("open_timeout", 60)
        options.setdefault("close_timeout", 60)
        return websockets.connect(url, additional_headers={"Authorization": "Bearer " + TOKEN}, **options)

    async def recv(ws):
        return json.loads(await asyncio.wait_for(ws.recv(), 60))

    async def main():
        # Subscribe with filters: only b1's failed commands, and the bots topic.
        async with connect(URL) as a:
            hello = await recv(a)
            assert hello["type"] == "hello" and hello["data"]["topics"] == [], hello
            await a.send(json.dumps({"op": "subscribe", "topic": "commands", "filter": {"bot": "b1", "outcome": "error"}}))
            m = await recv(a)
            assert m["type"] == "subscribed" and m["data"] == {"topic": "commands", "filter": {"bot": "b1", "outcome": "error"}}, m
            await a.send(json.dumps({"op": "subscribe", "topic": "bots"}))
            assert (await recv(a))["type"] == "subscribed"
            # A bad request is answered with an error and the connection stays.
            await a.send(json.dumps({"op": "subscribe", "topic": "nosuch"}))
            m = await recv(a)
            assert m["type"] == "error" and m["data"]["code"] == "INVALID_PARAMETER", m
            await a.send(json.dumps({"op": "subscribe", "topic": "commands", "filter": {"user": "1"}}))
            assert (await recv(a))["type"] == "error"
            need("commands b1:ok:c1 b2:error:c2 b1:error:c3; state b1")
            got = []
            while True:
                m = await recv(a)
                assert {"id", "time", "type", "data"} <= set(m), m
                got.append((m["type"], m["data"].get("command")))
                if m["type"] == "bot.state":
                    break
            assert got == [("command", "c3"), ("bot.state", None)], got
            ids = [m["id"]]
            # Unsubscribed: the next command is not sent, the next state change is.
            await a.send(json.dumps({"op": "unsubscribe", "topic": "commands"}))
            assert (await recv(a))["type"] == "unsubscribed"
            need("commands b1:error:c4; state b2")
            m = await recv(a)
            assert m["type"] == "bot.state" and m["data"]["bot"] == "b2", m
            assert m["id"] > ids[0], (m, ids)
            last = m["id"]

        # Replay: what was published while disconnected comes first after a reconnect with the last id.
        need("commands b1:ok:r1 b1:ok:r2 b2:error:r3")
        async with connect(URL + "?topics=commands&last_event_id=%d" % last) as a:
            assert (await recv(a))["type"] == "hello"
            replayed = [await recv(a) for _ in range(3)]
            assert [m["data"]["command"] for m in replayed] == ["r1", "r2", "r3"], replayed
            assert [m["id"] for m in replayed] == sorted(m["id"] for m in replayed)
            last = replayed[-1]["id"]
        # The same from a subscribe message's last_event_id.
        need("commands b1:ok:s1")
        async with connect(URL) as a:
            assert (await recv(a))["type"] == "hello"
            await a.send(json.dumps({"op": "subscribe", "topic": "commands", "last_event_id": last}))
            assert (await recv(a))["type"] == "subscribed"
            m = await recv(a)
            assert m["data"]["command"] == "s1", m
            last = m["id"]

        # A gap longer than the replay buffer: a reset instead of a partial replay.
        need("flood 300 0")
        async with connect(URL + "?topics=commands&last_event_id=%d" % last) as a:
            assert (await recv(a))["type"] == "hello"
            m = await recv(a)
            assert m["type"] == "reset", m

        # A stalled client: lagged, then 1008; a client beside it gets every event.
        stalled = await connect(URL + "?topics=commands")
        stalled_id = (await recv(stalled))["data"]["client"]
        healthy = await connect(URL + "?topics=commands", max_queue=None)
        assert (await recv(healthy))["type"] == "hello"
        received = []
        async def follow():
            while True:
                m = await recv(healthy)
                assert m["type"] == "command", m
                received.append(m["id"])
                if m["data"]["command"] == "end":
                    return
        follower = asyncio.create_task(follow())
        await asyncio.sleep(0)
        published = int(await asyncio.to_thread(need, "stall %d" % stalled_id))
        await asyncio.wait_for(follower, 120)
        assert len(received) == published, (len(received), published)
        assert received == list(range(received[0], received[0] + published)), "the healthy client missed events"
        # The stalled client reads again: events, one lagged notice, then the close.
        kinds = []
        try:
            while True:
                m = await recv(stalled)
                kinds.append(m["type"])
        except websockets.exceptions.ConnectionClosed as e:
            assert e.rcvd is not None and e.rcvd.code == 1008, e
            assert "too slow" in e.rcvd.reason, e.rcvd.reason
        assert "lagged" in kinds and kinds[-1] == "lagged", kinds[-5:]
        await healthy.close()

        # The client limit: the next one is refused with 503 and the error shape.
        need("idle")
        clients = [await connect(URL) for _ in range(int(need("limit")))]
        try:
            await connect(URL)
            assert False, "connected past the limit"
        except websockets.exceptions.InvalidStatus as e:
            assert e.response.status_code == 503, e.response.status_code
            assert json.loads(e.response.body)["error"]["code"] == "TOO_MANY_EVENT_CLIENTS", e.response.body
        for c in clients:
            await c.close()
        need("idle")
        async with connect(URL) as a:
            assert (await recv(a))["type"] == "hello"
        print("PASS", flush=True)

    asyncio.run(main())
    """#

    @Test(.enabled(websockets.missing) { await websockets.available() })
    func aPythonClientSubscribesFiltersResumesIsToldToResetLagsAndMeetsTheLimit() async throws {
        var settings = EventFeed.Settings()
        settings.maxClients = 4
        settings.replayCapacity = 128
        settings.queueCapacity = 64
        settings.maxMissed = 256
        settings.sendTimeout = .seconds(60)
        // No ping verdicts while the stalled client is stalled on purpose.
        settings.pingInterval = .seconds(600)
        try await Self.withServer(settings) { server in
            let (passed, log) = try await Self.runPeer(Self.protocolScript, arguments: ["ws://127.0.0.1:\(server.port)/api/v1/events"]) { action in
                let words = action.split(separator: " ").map(String.init)
                switch words[0] {
                case "token":
                    return server.token
                case "commands", "state":
                    let start = server.feed.nextEventID
                    var count = 0
                    for step in action.split(separator: ";") {
                        let parts = step.split(separator: " ").map(String.init)
                        if parts[0] == "commands" {
                            server.commands(Array(parts.dropFirst()))
                            count += parts.count - 1
                        }
                        if parts[0] == "state" {
                            server.fleet.events.publish(.botStateChanged(bot: parts[1], from: .ready, to: .backoff, generation: 2, reason: "test"))
                            count += 1
                        }
                    }
                    // Numbered by the feed before the client goes on (a replay test reconnects next).
                    try await eventually(timeout: .seconds(30), "the feed took the events") { server.feed.nextEventID >= start + UInt64(count) }
                    return ""
                case "flood":
                    let start = server.feed.nextEventID
                    server.commands((0..<Int(words[1])!).map { "b1:ok:f\($0)" })
                    try await eventually(timeout: .seconds(30), "the flood numbered") { server.feed.nextEventID >= start + UInt64(words[1])! }
                    return ""
                case "stall":
                    // Events with 4 KiB of options until the stalled client is being closed; the healthy one
                    // is drained between batches, so only the stalled one can fall behind.
                    let stalled = Int(words[1])!
                    let start = server.feed.nextEventID
                    var published = 0
                    while !(server.feed.queueState(of: stalled)?.ending ?? true) {
                        #expect(published < 50_000, "the stalled client was never closed")
                        if published >= 50_000 { break }
                        server.commands((0..<32).map { "b1:ok:s\(published + $0)" }, optionBytes: 4096)
                        published += 32
                        try await eventually(timeout: .seconds(60), "the healthy client drained") {
                            server.feed.nextEventID >= start + UInt64(published)
                                && server.feed.clientQueues.allSatisfy { $0.id == stalled || $0.queued == 0 }
                        }
                    }
                    server.commands(["b1:ok:end"])
                    return String(published + 1)
                case "idle":
                    try await eventually(timeout: .seconds(30), "every client gone") { server.feed.clientCount == 0 }
                    return ""
                case "limit":
                    return String(server.feed.settings.maxClients)
                default:
                    Issue.record("unknown action \(action)")
                    return ""
                }
            }
            #expect(passed, "\(log.joined(separator: "\n"))")
        }
    }

    @Test(.enabled(if: Peer.curl.isAvailable, Peer.curl.missing))
    func curlFollowsTheFeedAsServerSentEventsAndResumesFromLastEventID() async throws {
        try await Self.withServer(EventFeed.Settings()) { server in
            let start = server.feed.nextEventID
            server.commands(["b1:ok:one", "b1:error:two", "b2:ok:three"])
            try await eventually(timeout: .seconds(30), "numbered") { server.feed.nextEventID == start + 3 }
            // The token reaches curl as a config file on stdin (`-K -`), never argv.
            async let curl = runProcess(Peer.curl.path!, ["-sN", "-K", "-", "-H", "Accept: text/event-stream", "-H", "Last-Event-ID: \(start)",
                                                          "http://127.0.0.1:\(server.port)/api/v1/events?topics=commands&bot=b1"],
                                        stdin: "header = \"Authorization: Bearer \(server.token)\"\n", timeout: .seconds(60))
            try await eventually(timeout: .seconds(30), "curl connected and drained") {
                server.feed.clientQueues.count == 1 && server.feed.clientQueues[0].queued == 0
            }
            server.commands(["b2:ok:skipped", "b1:ok:live"])
            try await eventually(timeout: .seconds(30), "the live event sent") {
                server.feed.nextEventID == start + 5 && server.feed.clientQueues.first?.queued == 0
            }
            // The stream ends when the daemon shuts the feed down, and curl with it.
            server.feed.shutdown()
            let result = try await curl
            #expect(result.status == 0, "\(result.stderr)")
            let ids = result.stdout.split(separator: "\n").filter { $0.hasPrefix("id: ") }.map { UInt64($0.dropFirst(4))! }
            // After Last-Event-ID: the second record (b1), not the first (at that id) nor b2's; then the live one.
            #expect(ids == [start + 1, start + 4], "\(result.stdout)")
            let data = result.stdout.split(separator: "\n").filter { $0.hasPrefix("data: ") }.compactMap { try? JSON.parse(String($0.dropFirst(6))) }
            #expect(data.map { $0["type"]?.string ?? "" } == ["hello", "command", "command", "closed"], "\(result.stdout)")
            #expect(data.compactMap { $0["data"]?["command"]?.string } == ["two", "live"])
            #expect(result.stdout.hasPrefix("retry: "))
        }
    }

    @Test func theAuditTopicIsForAdminsAndAnUnsentResponseFreesItsClientSlot() async throws {
        try await Self.withServer(EventFeed.Settings()) { server in
            // A token per role, as the auth middleware sees callers.
            let tokens = ["viewer": try await TestAuth.token(server.authenticator, role: "viewer", name: "viewer"),
                          "admin": server.token]
            func get(_ role: String, _ target: String) async -> HTTPStatus {
                var request = HTTPRequest(method: .get, target: target)
                request.headers.set("Accept", "text/event-stream")
                request.headers.set("Authorization", "Bearer \(tokens[role]!)")
                return await server.router.respond(to: request).status
            }
            #expect(await get("viewer", "/api/v1/events?topics=audit") == .forbidden)
            #expect(await get("viewer", "/api/v1/events?topics=bots,nosuch") == .badRequest)
            #expect(await get("viewer", "/api/v1/events?topics=bots&outcome=ok") == .badRequest)
            #expect(await get("admin", "/api/v1/events?topics=audit") == .ok)
            // That response was never sent: its client slot is free again.
            try await eventually(timeout: .seconds(10), "the slot released") { server.feed.clientCount == 0 }
        }
        // Without a network: the route, the parser and the feed decide it.
        let feed = EventFeed()
        let viewer = try #require(feed.register(role: "viewer", topics: [:], lastEventID: nil))
        #expect(throws: EventFeedError(.topicForbidden, "role viewer may not follow audit")) {
            try feed.handle(#"{"op":"subscribe","topic":"audit"}"#, from: viewer)
        }
        try feed.handle(#"{"op":"subscribe","topic":"commands"}"#, from: viewer)
        let admin = try #require(feed.register(role: "admin", topics: [:], lastEventID: nil))
        try feed.handle(#"{"op":"subscribe","topic":"audit"}"#, from: admin)
        // No principal (authentication not configured): everything.
        let anyone = try #require(feed.register(role: nil, topics: [:], lastEventID: nil))
        try feed.handle(#"{"op":"subscribe","topic":"audit"}"#, from: anyone)
        // SSE's default topics follow the role.
        var request = HTTPRequest(method: .get, target: "/api/v1/events")
        request.headers.set("Accept", "text/event-stream")
        #expect(try EventsAPI.parse(request, role: "viewer", defaultToAll: true).0.keys.contains(.audit) == false)
        #expect(try EventsAPI.parse(request, role: "admin", defaultToAll: true).0.keys.contains(.audit) == true)
        #expect(throws: APIError(.forbidden, .topicForbidden, "role operator may not follow audit")) {
            try EventsAPI.parse(HTTPRequest(method: .get, target: "/api/v1/events?topics=bots,audit"), role: "operator", defaultToAll: true)
        }
    }
}
