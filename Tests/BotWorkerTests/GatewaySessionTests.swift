import Discord
import IPC
import JSON
import Testing
@testable import BotWorker

@Suite struct GatewaySessionTests {
    let t0 = ContinuousClock.now
    typealias A = GatewaySession.Action

    func hello(_ ms: Int = 41_250) -> GatewaySession.Input { .received(GatewayPayload(op: .hello, d: ["heartbeat_interval": .number(Double(ms))])) }
    func ready(seq: Int = 1) -> GatewaySession.Input {
        .received(GatewayPayload(op: .dispatch, d: ["session_id": "s1", "resume_gateway_url": "wss://resume.example/gw"], s: seq, t: "READY"))
    }
    func sent(_ actions: [A]) -> [JSON] {
        actions.compactMap { if case .send(let s) = $0 { try? JSON.parse(s) } else { nil } }
    }

    /// A session through Hello and READY.
    func readySession() -> GatewaySession {
        var s = GatewaySession(token: "tok", intents: 513)
        _ = s.handle(.start(gatewayURL: "wss://gateway.example"), now: t0, random: 0.5)
        _ = s.handle(.connected, now: t0, random: 0.5)
        _ = s.handle(hello(1000), now: t0, random: 0.5)
        _ = s.handle(ready(), now: t0, random: 0.5)
        return s
    }

    @Test func helloLeadsToIdentifyAndAFirstHeartbeatAfterJitter() {
        var s = GatewaySession(token: "tok", intents: 513)
        #expect(s.handle(.start(gatewayURL: "wss://gateway.example"), now: t0, random: 0)
                == [.status(.connecting), .connect(url: "wss://gateway.example/?v=10&encoding=json")])
        #expect(s.handle(.connected, now: t0, random: 0) == [])
        let actions = s.handle(hello(1000), now: t0, random: 0.25)
        #expect(actions.first == .scheduleHeartbeat(at: t0 + .milliseconds(250)))
        let identify = sent(actions).first
        #expect(identify?["op"]?.int == 2)
        #expect(identify?["d"]?["token"]?.string == "tok")
        #expect(identify?["d"]?["intents"]?.int == 513)
        #expect(identify?["d"]?["properties"]?["os"]?.string == "linux")
        let r = s.handle(ready(seq: 1), now: t0, random: 0)
        #expect(r.contains(.status(.ready)))
        #expect(r.contains(.sessionChanged(.init(sessionID: "s1", resumeURL: "wss://resume.example/gw", sequence: 1))))
        // The position is reported before the status: whoever sees `ready` can already resume.
        let changed = r.firstIndex { if case .sessionChanged = $0 { true } else { false } }
        #expect(changed.map { $0 < r.firstIndex(of: .status(.ready))! } == true)
    }

    @Test func heartbeatsCarryTheLastSequenceAndAMissingACKIsAZombie() {
        var s = readySession()
        _ = s.handle(.received(GatewayPayload(op: .dispatch, d: [:], s: 7, t: "GUILD_CREATE")), now: t0, random: 0)
        let beat = s.handle(.heartbeatDue, now: t0 + .seconds(1), random: 0)
        #expect(sent(beat).first == ["op": 1, "d": 7, "s": nil, "t": nil])
        #expect(beat.contains(.scheduleHeartbeat(at: t0 + .seconds(2))))
        #expect(s.handle(.received(GatewayPayload(op: .heartbeatACK)), now: t0 + .milliseconds(1030), random: 0)
                == [.heartbeatAcknowledged(rtt: .milliseconds(30))])
        _ = s.handle(.heartbeatDue, now: t0 + .seconds(2), random: 0)
        // No ACK this time: the next due heartbeat closes with 4000 and resumes via the resume URL.
        #expect(s.handle(.heartbeatDue, now: t0 + .seconds(3), random: 0) == [.close(code: 4000)])
        #expect(s.handle(.disconnected(closeCode: 4000), now: t0 + .seconds(3), random: 0)
                == [.status(.resuming), .connect(url: "wss://resume.example/gw/?v=10&encoding=json")])
        _ = s.handle(.connected, now: t0, random: 0)
        let resume = sent(s.handle(hello(), now: t0, random: 0)).first
        #expect(resume == ["op": 6, "d": ["token": "tok", "session_id": "s1", "seq": 7], "s": nil, "t": nil])
        #expect(s.handle(.received(GatewayPayload(op: .dispatch, d: [:], s: 8, t: "RESUMED")), now: t0, random: 0).contains(.status(.ready)))
    }

    @Test func reconnectAndResumableInvalidSessionResume() {
        for payload in [GatewayPayload(op: .reconnect), GatewayPayload(op: .invalidSession, d: true)] {
            var s = readySession()
            #expect(s.handle(.received(payload), now: t0, random: 0) == [.close(code: 4000)])
            #expect(s.handle(.disconnected(closeCode: 4000), now: t0, random: 0).contains(.connect(url: "wss://resume.example/gw/?v=10&encoding=json")))
        }
    }

    @Test func aTCPDropAndReconnectableCodesResume() {
        for code: Int? in [nil, 1000, 1001, 4000, 4001, 4002, 4003, 4005, 4008] {
            var s = readySession()
            #expect(s.handle(.disconnected(closeCode: code), now: t0, random: 0)
                    == [.status(.resuming), .connect(url: "wss://resume.example/gw/?v=10&encoding=json")], "code \(String(describing: code))")
        }
    }

    @Test func invalidSessionFalseAnd4007And4009IdentifyAfterARandomWait() {
        var s = readySession()
        let a = s.handle(.received(GatewayPayload(op: .invalidSession, d: false)), now: t0, random: 0)
        #expect(a == [.sessionChanged(nil), .close(code: 4000)])
        let later = t0 + .seconds(30)
        #expect(s.handle(.disconnected(closeCode: 4000), now: later, random: 0.5) == [.status(.connecting), .wait(until: later + .milliseconds(3000))])
        #expect(s.handle(.delayElapsed, now: later + .seconds(3), random: 0) == [.status(.connecting), .connect(url: "wss://gateway.example/?v=10&encoding=json")])
        _ = s.handle(.connected, now: t0, random: 0)
        #expect(sent(s.handle(hello(), now: t0, random: 0)).first?["op"]?.int == 2)
        for code in [4007, 4009] {
            var s = readySession()
            let actions = s.handle(.disconnected(closeCode: code), now: t0 + .seconds(30), random: 1)
            #expect(actions == [.sessionChanged(nil), .status(.connecting), .wait(until: t0 + .seconds(30) + .milliseconds(5000))])
        }
    }

    @Test func aSecondIdentifyWaitsFiveSecondsAfterTheFirst() {
        var s = readySession()
        _ = s.handle(.received(GatewayPayload(op: .invalidSession, d: false)), now: t0 + .milliseconds(100), random: 0)
        // Random wait 1 s would identify at t0+1.1 s: max_concurrency 1 per 5 s pushes it to t0+5.1 s.
        #expect(s.handle(.disconnected(closeCode: 4000), now: t0 + .milliseconds(100), random: 0)
                == [.status(.connecting), .wait(until: t0 + GatewaySession.identifySpacing)])
    }

    @Test func aNewWorkerKeepsTheSpacingOfItsPredecessorsIdentify() {
        // The previous worker identified 2 s ago (the supervisor says so): wait 3.1 s more, then connect.
        var s = GatewaySession(token: "tok", intents: 513, lastIdentifyAt: t0 - .seconds(2))
        #expect(s.handle(.start(gatewayURL: "wss://gateway.example"), now: t0, random: 0)
                == [.status(.connecting), .wait(until: t0 - .seconds(2) + GatewaySession.identifySpacing)])
        #expect(s.handle(.delayElapsed, now: t0 + .seconds(4), random: 0)
                == [.status(.connecting), .connect(url: "wss://gateway.example/?v=10&encoding=json")])
        // A resumable session does not wait: a resume is not an identify.
        var r = GatewaySession(token: "tok", intents: 513, session: SessionState(sessionID: "s", resumeURL: "wss://r.example", sequence: 3),
                               lastIdentifyAt: t0)
        #expect(r.handle(.start(gatewayURL: "wss://gateway.example"), now: t0, random: 0).contains { if case .connect = $0 { true } else { false } })
    }

    @Test func fatalCodesNeverReconnect() {
        for code in [4004, 4010, 4011, 4012, 4013, 4014] {
            var s = readySession()
            let actions = s.handle(.disconnected(closeCode: code), now: t0, random: 0)
            #expect(actions.contains(.status(.failed)))
            #expect(actions.contains { if case .fatal(code, _) = $0 { true } else { false } })
            #expect(!actions.contains { if case .connect = $0 { true } else { false } })
            #expect(s.handle(.delayElapsed, now: t0, random: 0).isEmpty)
            #expect(s.handle(.disconnected(closeCode: nil), now: t0, random: 0).isEmpty)
        }
    }

    @Test func anImportedSessionResumesOnTheFirstConnection() {
        var s = GatewaySession(token: "tok", intents: 1, session: .init(sessionID: "old", resumeURL: "wss://r.example", sequence: 41))
        #expect(s.handle(.start(gatewayURL: "wss://g.example"), now: t0, random: 0) == [.status(.resuming), .connect(url: "wss://r.example/?v=10&encoding=json")])
        _ = s.handle(.connected, now: t0, random: 0)
        #expect(sent(s.handle(hello(), now: t0, random: 0)).first?["d"]?["seq"]?.int == 41)
    }

    @Test func aHandoverStopDropsTCPWithoutAClose() {
        var s = readySession()
        #expect(s.handle(.stop(handover: true), now: t0, random: 0) == [.status(.stopped), .abort])
        #expect(s.currentSession != nil)
        var t = readySession()
        #expect(t.handle(.stop(handover: false), now: t0, random: 0) == [.status(.stopped), .close(code: 1000), .sessionChanged(nil)])
        #expect(t.handle(.disconnected(closeCode: 1000), now: t0, random: 0).isEmpty)
    }

    @Test func failedConnectsBackOffExponentially() {
        var s = GatewaySession(token: "tok", intents: 1)
        _ = s.handle(.start(gatewayURL: "wss://g.example"), now: t0, random: 0)
        var waits: [Duration] = []
        for _ in 0..<4 {
            for a in s.handle(.connectFailed, now: t0, random: 1) { if case .wait(let until) = a { waits.append(until - t0) } }
            _ = s.handle(.delayElapsed, now: t0, random: 1)
        }
        #expect(waits == [.seconds(1), .seconds(2), .seconds(4), .seconds(8)])
    }
}
