import Testing
import Foundation
@testable import API
@testable import Fleet
@testable import Supervisor

/// The pure halves of issue 13's limits: the connection caps under a descriptor limit, and one token check
/// per bot at a time.
@Suite struct ResourceLimitsTests {
    @Test func theConnectionCapsLeaveTheReserveFreeUnderALowDescriptorLimit() {
        let caps = ConnectionCaps(http: 1024, control: 64, reserve: 512, descriptorLimit: 1024, openNow: 20)
        #expect(caps.http + caps.control + 512 + 20 <= 1024)
        #expect(caps.control >= 4 && caps.http >= 1)
        let roomy = ConnectionCaps(http: 1024, control: 64, reserve: 512, descriptorLimit: 65_536, openNow: 20)
        #expect(roomy.http == 1024 && roomy.control == 64)
    }

    @Test func aBurstOfChecksOfOneBotAsksDiscordOnceAndAChangedTokenAsksAgain() async throws {
        let gate = TokenCheckGate(reuseFor: .seconds(60))
        let calls = Calls()
        let check = TokenCheck(valid: true, user: .init(id: "1", username: "u"), privileged_intents: [], privileged_intents_not_enabled: [])
        let bot = BotDefinition(name: "alpha", token: "tok-1")
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await gate.check(bot) {
                        await calls.add()
                        try await Task.sleep(for: .milliseconds(50))
                        return check
                    }.valid
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 50 && results.allSatisfy { $0 })
        #expect(await calls.count == 1)
        _ = try await gate.check(BotDefinition(name: "alpha", token: "tok-2")) { await calls.add(); return check }
        #expect(await calls.count == 2)
    }

    @Test func aRefusedTokenIsReusedAsARefusalNotAskedAgain() async throws {
        let gate = TokenCheckGate(reuseFor: .seconds(60))
        let calls = Calls()
        let bot = BotDefinition(name: "alpha", token: "tok-bad")
        for _ in 0..<3 {
            await #expect(throws: APIError.self) {
                try await gate.check(bot) {
                    await calls.add()
                    throw APIError(.unprocessableContent, .tokenRejected, "Discord rejected the token (401 Unauthorized)")
                }
            }
        }
        // One 401 at Discord, not three: each counts against the host's invalid-request budget.
        #expect(await calls.count == 1)
    }
}

actor Calls {
    var count = 0
    func add() { count += 1 }
}
