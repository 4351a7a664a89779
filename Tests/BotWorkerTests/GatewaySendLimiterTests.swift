import Discord
import IPC
import JSON
import Testing
@testable import BotWorker

@Suite struct GatewaySendLimiterTests {
    @Test func aBurstNeverExceeds120InAnyMinuteAndHeartbeatsAlwaysGo() {
        var limiter = GatewaySendLimiter()
        let t0 = ContinuousClock.now
        var sentTimes: [ContinuousClock.Instant] = []
        var now = t0
        // 300 ordinary sends wanted as fast as possible, a heartbeat every 40 s.
        var pending = 300
        var nextBeat = t0
        while pending > 0 && now < t0 + .seconds(300) {
            if now >= nextBeat {
                #expect(limiter.acquire(now: now, priority: true) == nil)
                sentTimes.append(now)
                nextBeat = now + .seconds(40)
            }
            if let until = limiter.acquire(now: now, priority: false) {
                now = min(until, nextBeat)
            } else {
                sentTimes.append(now)
                pending -= 1
            }
        }
        #expect(pending == 0)
        for t in sentTimes {
            #expect(sentTimes.filter { $0 >= t && $0 - t < .seconds(60) }.count <= 120)
        }
    }

    @Test func payloadsOver4096BytesAreRefused() {
        #expect(throws: GatewaySendError.payloadTooLarge(4097)) { try GatewaySendLimiter.check(size: 4097) }
        #expect(throws: Never.self) { try GatewaySendLimiter.check(size: 4096) }
    }
}
