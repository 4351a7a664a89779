import Discord
import DiscordSim
import Foundation
import Glibc
import HTTP
import IOCore
import IPC
import JSON
import Testing
import TestSupport
import TLS
@testable import BotWorker

@Suite(.heavy) struct WorkerProcessTests {
    /// Runs the real `botvisor-worker --standalone` against an in-process simulator.
    @Test func aRejectedTokenExitsWith77AfterExactlyOneIdentify() async throws {
        try await withTemporaryDirectory { dir in
            var configuration = DiscordSimulator.Configuration()
            configuration.heartbeatInterval = .milliseconds(500)
            let sim = try DiscordSimulator(configuration: configuration)
            await sim.addBot(name: "alpha", token: "good-token")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await sim.run() }
                // GET /gateway/bot accepts any bot token format; the gateway refuses this one with 4004.
                await sim.addBot(name: "ghost", token: "revoked-token")
                try "revoked-token".writeAtomically(to: "\(dir)/token")
                await sim.forgetToken("revoked-token")
                let result = try await runProcess(productPath("botvisor-worker"),
                                                  ["--standalone", "--token-file", "\(dir)/token", "--api-base", sim.apiBase],
                                                  timeout: .seconds(30))
                #expect(result.status == 77, "\(result.stderr)")
                #expect(result.stderr.contains("4004"))
                #expect(!result.stderr.contains("revoked-token"))
                // Exactly one identify: a refused token is never retried.
                #expect(await sim.snapshot().identifies["ghost"] == 1)
                await sim.shutdown()
                group.cancelAll()
            }
        }
    }

    @Test func standaloneModePrintsOneNDJSONRecordPerCommand() async throws {
        try await withTemporaryDirectory { dir in
            var configuration = DiscordSimulator.Configuration()
            configuration.heartbeatInterval = .milliseconds(500)
            // Not a test of timing: a starved worker is neither zombied nor refused (see Harness.run).
            configuration.heartbeatGrace = Harness.grace
            configuration.interactionDeadline = Harness.grace
            let sim = try DiscordSimulator(configuration: configuration)
            await sim.addBot(name: "alpha", token: "tok-standalone")
            try "tok-standalone\n".writeAtomically(to: "\(dir)/token")
            try #"{"bot":"alpha","prefix":"?","custom_commands":[{"name":"hello","description":"Greets","response":"hi {user}","ephemeral":false}]}"#
                .writeAtomically(to: "\(dir)/bot.json")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await sim.run() }
                let worker = try BackgroundProcess(productPath("botvisor-worker"),
                                                   ["--standalone", "--token-file", "\(dir)/token", "--api-base", sim.apiBase, "--config", "\(dir)/bot.json"])
                try await eventually(timeout: .seconds(15), "READY") { await sim.injectInteraction(bot: "alpha", command: "hello") != nil }
                let line = try await worker.waitForLine { $0.hasPrefix("{") }
                let record = try JSON.parse(line)
                #expect(record["command"]?.string == "hello")
                #expect(record["outcome"]?.string == "ok")
                #expect(record["bot"]?.string == "alpha")
                // The token never reaches argv or the environment of the worker.
                let cmdline = try String(contentsOfFile: "/proc/\(worker.pid)/cmdline", encoding: .utf8)
                let environ = (try? String(contentsOfFile: "/proc/\(worker.pid)/environ", encoding: .utf8)) ?? ""
                #expect(!cmdline.contains("tok-standalone") && !environ.contains("tok-standalone"))
                await worker.stop()
                await sim.shutdown()
                group.cancelAll()
            }
        }
    }
}
