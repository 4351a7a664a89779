import Testing
import Discord
import IPC
@testable import BotWorker

/// Starting without `GET /gateway/bot` (issue 16) and the send limiter the driver obeys (issue 11).
@Suite struct GatewayStartTests {
    let t0 = ContinuousClock.now

    @Test func aResumableSessionConnectsToItsResumeURLWithoutAskingForTheGatewayURL() {
        var s = GatewaySession(token: "tok", intents: 1, session: .init(sessionID: "old", resumeURL: "wss://r.example", sequence: 41))
        #expect(s.handle(.start(gatewayURL: nil), now: t0, random: 0) == [.status(.resuming), .connect(url: "wss://r.example/?v=10&encoding=json")])
    }

    @Test func withoutASessionTheGatewayURLIsFetchedWhenItIsNeeded() {
        var s = GatewaySession(token: "tok", intents: 1)
        #expect(s.handle(.start(gatewayURL: nil), now: t0, random: 0) == [.status(.connecting), .fetchGatewayURL])
        // A failed fetch is a failed connect: it backs off, then asks again.
        #expect(s.handle(.connectFailed, now: t0, random: 1) == [.wait(until: t0 + .seconds(1))])
        #expect(s.handle(.delayElapsed, now: t0, random: 1) == [.status(.connecting), .fetchGatewayURL])
        #expect(s.handle(.gatewayURL("wss://g.example"), now: t0, random: 1) == [.status(.connecting), .connect(url: "wss://g.example/?v=10&encoding=json")])
        // A URL nobody asked for is ignored.
        #expect(s.handle(.gatewayURL("wss://other.example"), now: t0, random: 1).isEmpty)
    }

    @Test func aRefusedResumeIdentifiesAfterFetchingTheGatewayURL() {
        var s = GatewaySession(token: "tok", intents: 1, session: .init(sessionID: "old", resumeURL: "wss://r.example", sequence: 41))
        _ = s.handle(.start(gatewayURL: nil), now: t0, random: 0)
        _ = s.handle(.connected, now: t0, random: 0)
        _ = s.handle(.received(GatewayPayload(op: .hello, d: ["heartbeat_interval": 41250])), now: t0, random: 0)
        let invalid = s.handle(.received(GatewayPayload(op: .invalidSession, d: false)), now: t0, random: 0)
        #expect(invalid.contains(.sessionChanged(nil)))
        let waited = s.handle(.disconnected(closeCode: 4000), now: t0, random: 0)
        guard case .wait(let until)? = waited.last else { Issue.record("no wait: \(waited)"); return }
        #expect(s.handle(.delayElapsed, now: until, random: 0) == [.status(.connecting), .fetchGatewayURL])
    }

    @Test func theSendLimiterMakesThe116thOrdinarySendInAMinuteWaitButNotAHeartbeat() {
        var limiter = GatewaySendLimiter()
        for i in 0..<115 {
            #expect(limiter.reserve(now: t0 + .milliseconds(i), priority: false) == t0 + .milliseconds(i))
        }
        let now = t0 + .seconds(1)
        // The first send leaves the window 60 s after it went: only then may the next ordinary one go.
        #expect(limiter.reserve(now: now, priority: false) == t0 + .seconds(60))
        // Heartbeats keep their reserved slots and go at once.
        #expect(limiter.reserve(now: now, priority: true) == now)
    }
}
