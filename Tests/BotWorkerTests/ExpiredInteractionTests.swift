import Testing
import Foundation
import Glibc
import Discord
import DiscordSim
import IOCore
import IPC
import TestSupport
@testable import BotWorker

/// An interaction older than Discord's 3 s response deadline (D-INT) when it arrives.
@Suite struct ExpiredInteractionTests {
    @Test func anInteractionReplayedPastItsDeadlineIsExpiredAndGetsNoLateAnswer() async throws {
        try await Harness.run { h in
            try await h.waitReady()
            let old = try #require(await h.sim.injectInteraction(bot: "alpha", command: "ping", ageMilliseconds: 55_000))
            _ = try await h.answered("help")
            try await eventually(timeout: .seconds(10), "the expired record") { await h.reporter.records.contains { $0.outcome == .expired } }
            let expired = try #require(await h.reporter.records.first { $0.outcome == .expired })
            #expect(expired.command == "ping" && expired.errorCode == nil)
            let stats = await h.sim.snapshot()
            #expect(!stats.callbacks.contains { $0.interactionID == old })
            #expect(!stats.restCalls.contains { $0.path.contains(old) })
            // (Heartbeat timing on a loaded machine is another test's concern.)
            #expect(!stats.violations.contains { $0.contains("interaction") }, "\(stats.violations)")
        }
    }

    @Test func simulatorInteractionIDsAreSnowflakesOfNow() async throws {
        try await Harness.run { h in
            try await h.waitReady()
            let id = try #require(await h.sim.injectInteraction(bot: "alpha", command: "help"))
            let created = try #require(Snowflake.unixMilliseconds(of: id))
            #expect(abs(Snowflake.nowUnixMilliseconds() - created) < 2000)
            let old = try #require(await h.sim.injectInteraction(bot: "alpha", command: "help", ageMilliseconds: 60_000))
            #expect(Snowflake.nowUnixMilliseconds() - (Snowflake.unixMilliseconds(of: old) ?? 0) >= 60_000)
        }
    }
}
