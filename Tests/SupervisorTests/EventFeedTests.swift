import Foundation
import IPC
import Testing
import TestSupport
@testable import API
@testable import Fleet
@testable import Store

/// The feed's bookkeeping without sockets: replay and its limit, lag, closing a client that stays behind.
@Suite struct EventFeedTests {
    func feed(replay: Int = 16, queue: Int = 16, maxMissed: Int = 64) -> EventFeed {
        var settings = EventFeed.Settings()
        settings.replayCapacity = replay
        settings.queueCapacity = queue
        settings.maxMissed = maxMissed
        return EventFeed(settings: settings, clock: { 1_000 })
    }

    func state(_ bot: String) -> FleetEvent { .botStateChanged(bot: bot, from: .starting, to: .ready, generation: 1, reason: nil) }

    func type(_ item: EventFeed.Item?) -> String {
        switch item {
        case .event(let e): e.type + ":" + (e.bot ?? "")
        case .notice(let text): "notice:" + (text.firstMatch(of: /"type":"([a-z.]+)"/).map { String($0.1) } ?? "?")
        case .end(let code, _): "end:\(code)"
        case nil: "nil"
        }
    }

    @Test func idsStartAtTheStartTimeTimesAThousandAndGrowByOnePerEvent() async {
        let f = feed()
        let first = f.nextEventID
        #expect(first == 1_000_000)
        f.publish(.commandRecordsCommitted(bot: "a", records: [
            CommandRecord(id: "1", bot: "a", guildID: nil, channelID: nil, userID: "u", command: "c", options: "[]", startedAt: 0, durationMicros: 1, outcome: .ok),
            CommandRecord(id: "2", bot: "a", guildID: nil, channelID: nil, userID: "u", command: "c", options: "[]", startedAt: 0, durationMicros: 1, outcome: .ok),
        ]))
        f.publish(state("a"))
        #expect(f.nextEventID == first + 3)
    }

    @Test func aReconnectGetsWhatItMissedWhileTheBufferHoldsItAndAResetOnceItDoesNot() async {
        let f = feed(replay: 4)
        let first = f.nextEventID
        for i in 0..<6 { f.publish(state("b\(i)")) }
        // Kept: ids first+2 ... first+5.
        let resumed = f.register(role: nil, topics: [.bots: EventFilter()], lastEventID: first + 1)!
        var got: [String] = []
        for _ in 0..<4 { got.append(type(await f.next(resumed))) }
        #expect(got == ["notice:hello", "bot.state:b2", "bot.state:b3", "bot.state:b4"])
        #expect(type(await f.next(resumed)) == "bot.state:b5")
        let tooOld = f.register(role: nil, topics: [.bots: EventFilter()], lastEventID: first)!
        #expect(type(await f.next(tooOld)) == "notice:hello")
        #expect(type(await f.next(tooOld)) == "notice:reset")
        let fromTheFuture = f.register(role: nil, topics: [.bots: EventFilter()], lastEventID: first + 100)!
        _ = await f.next(fromTheFuture)
        #expect(type(await f.next(fromTheFuture)) == "notice:reset")
    }

    @Test func aFullQueueLosesItsOldestEventsAndSaysHowManyThenAClientThatStaysBehindIsClosed() async {
        let f = feed(queue: 2, maxMissed: 5)
        let id = f.register(role: nil, topics: [.bots: EventFilter(bot: "x")], lastEventID: nil)!
        #expect(type(await f.next(id)) == "notice:hello")
        for i in 0..<4 { f.publish(state(i == 1 ? "y" : "x")) }   // three for x: one is lost
        #expect(f.queueState(of: id)?.missed == 1)
        #expect(type(await f.next(id)) == "notice:lagged")
        #expect(type(await f.next(id)) == "bot.state:x")
        #expect(type(await f.next(id)) == "bot.state:x")
        for _ in 0..<7 { f.publish(state("x")) }                    // 2 queued, 5 lost: closed
        #expect(f.queueState(of: id)?.ending == true)
        #expect(type(await f.next(id)) == "notice:lagged")
        #expect(type(await f.next(id)) == "end:1008")
        // Nothing more is queued for it.
        f.publish(state("x"))
        #expect(f.queueState(of: id)?.queued == 0)
    }

    @Test func aWriterTakesWhatPiledUpAtOnceLaggedFirstAndAtMostItsBatch() async {
        let f = feed(queue: 3)
        let id = f.register(role: nil, topics: [.bots: EventFilter()], lastEventID: nil)!
        #expect(await f.nextBatch(id, max: 8)?.map(type) == ["notice:hello"])
        for i in 0..<5 { f.publish(state("b\(i)")) }                // b0 and b1 lost
        #expect(await f.nextBatch(id, max: 3)?.map(type) == ["notice:lagged", "bot.state:b2", "bot.state:b3"])
        #expect(f.queueState(of: id)?.queued == 1)
        f.publish(state("b5"))
        #expect(await f.nextBatch(id, max: 8)?.map(type) == ["bot.state:b4", "bot.state:b5"])
        #expect(f.queueState(of: id)?.queued == 0)
        // Every client gets the same encoded frame: one text frame around the event's JSON.
        let other = f.register(role: nil, topics: [.bots: EventFilter()], lastEventID: nil)!
        _ = await f.nextBatch(other, max: 8)
        f.publish(state("b6"))
        guard case .event(let a)? = await f.next(id), case .event(let b)? = await f.next(other) else { Issue.record("no event"); return }
        #expect(a === b)
        #expect(a.frame.first == 0x81 && a.frame.count <= a.text.utf8.count + 4 && a.frame.suffix(a.text.utf8.count).elementsEqual(a.text.utf8))
    }

    @Test func theLimitRefusesTheNextClientAndShutdownClosesEveryoneWith1001() async {
        var settings = EventFeed.Settings()
        settings.maxClients = 2
        let f = EventFeed(settings: settings)
        let a = f.register(role: nil, topics: [:], lastEventID: nil)!
        _ = f.register(role: nil, topics: [:], lastEventID: nil)!
        #expect(f.register(role: nil, topics: [:], lastEventID: nil) == nil)
        f.remove(a)
        let c = f.register(role: nil, topics: [:], lastEventID: nil)!
        _ = await f.next(c)
        async let waiting = f.next(c)
        f.shutdown()
        #expect(type(await waiting) == "end:1001")
        #expect(f.register(role: nil, topics: [:], lastEventID: nil) == nil)
    }

    @Test func aClientWhoseCredentialStopsWorkingIsClosedWith1008AndTheOthersStay() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            let auth = try await TestAuth.authenticator(store: store, dir: dir)
            let f = feed()
            func open(_ token: String) throws -> Int {
                let (principal, credential) = try auth.authenticate(authorization: "Bearer \(token)")
                return try #require(f.register(role: principal.role, credential: credential, topics: [:], lastEventID: nil))
            }
            let kept = try open(try await TestAuth.token(auth, role: "viewer", name: "kept"))
            let revoked = try open(try await TestAuth.token(auth, role: "viewer", name: "revoked"))
            // No credential: the API runs without authentication, and nothing can revoke it.
            let anonymous = try #require(f.register(role: nil, topics: [:], lastEventID: nil))
            #expect(f.closeRevoked(by: auth) == 0)
            let id = try #require(try await auth.listTokens().first { $0.name == "revoked" }?.id)
            _ = try await auth.revokeToken(id: id)
            #expect(f.closeRevoked(by: auth) == 1)
            // Its hello was still queued: the close goes first, with the reason.
            guard case .end(1008, let reason) = await f.next(revoked) else { Issue.record("not closed"); return }
            #expect(reason == "credential revoked: the API token was revoked")
            #expect(f.queueState(of: revoked)?.ending == true)
            // Closed once, not once per pass; the others are served as before.
            #expect(f.closeRevoked(by: auth) == 0)
            #expect(type(await f.next(kept)) == "notice:hello")
            #expect(type(await f.next(anonymous)) == "notice:hello")
            await store.close()
        }
    }
}
