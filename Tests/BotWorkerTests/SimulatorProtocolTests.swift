import Discord
import DiscordSim
import HTTP
import IOCore
import JSON
import Testing
import TestSupport
import WebSocket

/// The simulator as a peer: what it answers to a client that breaks the rules.
@Suite struct SimulatorProtocolTests {
    func closeCode(sending payloads: [String], identifyFirst: Bool = false) async throws -> UInt16? {
        let sim = try DiscordSimulator()
        await sim.addBot(name: "alpha", token: "tok")
        return try await withThrowingTaskGroup(of: UInt16?.self) { group in
            group.addTask { await sim.run(); return nil }
            defer { group.cancelAll() }
            let ws = try await WebSocketClient.connect(url: sim.gatewayURL + "/?v=10&encoding=json", deadline: .now + testPatience)
            guard case .text(let hello) = try await ws.receive(deadline: .now + testPatience) else { return nil }
            #expect(try GatewayPayload.parse(Array(hello.utf8)).op == .hello)
            var all = payloads
            if identifyFirst { all.insert(#"{"op":2,"d":{"token":"tok","intents":513,"properties":{"os":"linux","browser":"t","device":"t"}}}"#, at: 0) }
            for p in all { try await ws.send(text: p) }
            var code: UInt16?
            while true {
                do { _ = try await ws.receive(deadline: .now + testPatience) } catch let closed as WebSocketClosed {
                    code = closed.code.rawValue
                    break
                }
            }
            await sim.shutdown()
            return code
        }
    }

    static let identify = #"{"op":2,"d":{"token":"tok","intents":513,"properties":{"os":"linux","browser":"t","device":"t"}"#

    @Test(arguments: [
        (#"{"op":2,"d":{"token":"wrong","intents":513,"properties":{}}}"#, false, 4004),
        (identify + #","shard":[1,1]}}"#, false, 4010),
        (identify + #","shard":[0,2]}}"#, false, 4011),
        (#"{"op":2,"d":{"token":"tok","intents":2147483648,"properties":{}}}"#, false, 4013),
        (#"{"op":3,"d":{}}"#, false, 4003),
        (#"{"op":99,"d":null}"#, true, 4001),
        ("{not json", true, 4002),
        (#"{"op":3,"d":{"pad":""# + String(repeating: "x", count: 4100) + #""}}"#, true, 4002),
        (identify + "}}", true, 4005),
    ])
    func aRuleBreakingClientIsClosedWithDiscordsCode(payload: String, identifyFirst: Bool, expected: Int) async throws {
        #expect(try await closeCode(sending: [payload], identifyFirst: identifyFirst) == UInt16(expected))
    }

    /// Discord's `enforce_nonce`: the same author and nonce return the first message instead of a second one.
    @Test func enforceNonceReturnsTheFirstMessage() async throws {
        let sim = try DiscordSimulator()
        await sim.addBot(name: "alpha", token: "tok")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await sim.run() }
            let client = HTTPClient()
            func post(_ body: String) async throws -> JSON {
                let response = try await client.send(HTTPClientRequest(method: .post, url: "\(sim.apiBase)/channels/555/messages",
                                                                       headers: ["Authorization": "Bot tok", "Content-Type": "application/json"],
                                                                       body: Array(body.utf8)))
                return try JSON.parse(response.body)
            }
            let first = try await post(#"{"content":"hi","nonce":"bvjob1","enforce_nonce":true}"#)
            let again = try await post(#"{"content":"hi","nonce":"bvjob1","enforce_nonce":true}"#)
            #expect(first["id"] != nil && again["id"] == first["id"])
            // Without enforce_nonce the nonce is only echoed: a second message.
            let plain = try await post(#"{"content":"hi","nonce":"bvjob1"}"#)
            #expect(plain["id"] != first["id"])
            let tooLong = try await post(#"{"content":"hi","nonce":"12345678901234567890123456","enforce_nonce":true}"#)
            #expect(tooLong["code"]?.int == 50035)
            #expect(await sim.messages(in: "555").count == 2)
            #expect(await sim.snapshot().nonceDuplicates == 1)
            await sim.shutdown()
            group.cancelAll()
        }
    }

    /// Connects, identifies and reads up to READY on a simulator with `configuration`.
    func identified(_ sim: DiscordSimulator) async throws -> (WebSocketConnection, () async throws -> GatewayPayload?) {
        let ws = try await WebSocketClient.connect(url: sim.gatewayURL + "/?v=10&encoding=json", deadline: .now + testPatience)
        let next: () async throws -> GatewayPayload? = {
            guard case .text(let text) = try await ws.receive(deadline: .now + .seconds(60)) else { return nil }
            return try GatewayPayload.parse(Array(text.utf8))
        }
        #expect(try await next()?.op == .hello)
        try await ws.send(text: Self.identify + "}}")
        while try await next()?.op != .dispatch {}
        return (ws, next)
    }

    /// Discord zombies a client only when no heartbeat arrives within the interval plus a grace; a heartbeat
    /// that is late but inside the grace is answered (the simulator notes it apart, not as a violation).
    @Test func aLateHeartbeatInsideTheGraceIsAckedAndNotAViolation() async throws {
        var configuration = DiscordSimulator.Configuration()
        configuration.heartbeatInterval = .milliseconds(100)
        // Far wider than the test's own lateness, however loaded the machine.
        configuration.heartbeatGrace = .seconds(120)
        let sim = try DiscordSimulator(configuration: configuration)
        await sim.addBot(name: "alpha", token: "tok")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await sim.run() }
            defer { group.cancelAll() }
            let (ws, next) = try await identified(sim)
            // Late on purpose: ten intervals.
            try await Reactor.shared.sleep(until: .now + .seconds(1))
            try await ws.send(text: #"{"op":1,"d":1}"#)
            while try await next()?.op != .heartbeatACK {}
            let stats = await sim.snapshot()
            #expect(stats.lateHeartbeats.count == 1 && stats.violations.isEmpty, "\(stats.lateHeartbeats) \(stats.violations)")
            await sim.shutdown()
        }
    }

    @Test func silencePastTheIntervalAndTheGraceIsClosedWith4009() async throws {
        var configuration = DiscordSimulator.Configuration()
        configuration.heartbeatInterval = .milliseconds(100)
        configuration.heartbeatGrace = .milliseconds(200)
        let sim = try DiscordSimulator(configuration: configuration)
        await sim.addBot(name: "alpha", token: "tok")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await sim.run() }
            defer { group.cancelAll() }
            let (ws, _) = try await identified(sim)
            var code: UInt16?
            while code == nil {
                do { _ = try await ws.receive(deadline: .now + .seconds(60)) } catch let closed as WebSocketClosed { code = closed.code.rawValue }
            }
            #expect(code == 4009)
            #expect(await sim.snapshot().violations.contains { $0.contains("no heartbeat for") })
            await sim.shutdown()
        }
    }

    @Test func moreThan120SendsInAMinuteAreClosedWith4008() async throws {
        let beats = Array(repeating: #"{"op":1,"d":null}"#, count: 121)
        #expect(try await closeCode(sending: beats, identifyFirst: false) == 4008)
    }
}
