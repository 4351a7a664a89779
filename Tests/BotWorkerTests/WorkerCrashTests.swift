import Testing
import Foundation
import Glibc
import Discord
import DiscordSim
import IOCore
import IPC
import TestSupport
@testable import BotWorker

/// A stand-in supervisor on a real Unix socket: welcomes real `botvisor-worker` processes and keeps
/// what they send, per connection. Records are stored by id, as `INSERT OR IGNORE` stores them.
actor StandInSupervisor {
    var records: [String: CommandRecord] = [:]
    var recordsSent = 0
    /// Record ids as each connection sent them.
    var sentOn: [Int: [String]] = [:]
    var sessions: [Int: [SessionState]] = [:]
    var states: [Int: [GatewayStatus]] = [:]

    func note(_ message: IPCMessage, connection: Int) {
        switch message {
        case .commands(let batch):
            recordsSent += batch.records.count
            sentOn[connection, default: []] += batch.records.map(\.id)
            for r in batch.records where records[r.id] == nil { records[r.id] = r }
        case .session(let s): sessions[connection, default: []].append(s)
        case .state(let s): states[connection, default: []].append(s.state)
        default: break
        }
    }

    /// Accepts the next worker, welcomes it with `config`, then keeps what it sends until it goes away.
    /// With `acknowledge`, every batch is acked as a supervisor does after its commit.
    nonisolated func serve(_ listener: SocketListener, config: WorkerConfig, connection: Int, acknowledge: Bool) async throws -> IPCConnection {
        let ipc = IPCConnection(stream: try await listener.accept())
        let hello = try await ipc.receive(deadline: .now + testPatience)
        guard case .hello = hello.message else { throw IPCError.unexpectedMessage(hello.message.type) }
        try await ipc.send(.welcome(Welcome(config: config)))
        return ipc
    }

    nonisolated func collect(_ ipc: IPCConnection, connection: Int, acknowledge: Bool) async {
        while let envelope = try? await ipc.receive() {
            await note(envelope.message, connection: connection)
            if acknowledge, case .commands(let batch) = envelope.message {
                try? await ipc.send(.ack(Ack(ids: batch.records.map(\.id))))
            }
        }
    }
}

/// Real worker processes against the simulator, killed at the worst moment (issue 13 "Nothing lost").
@Suite(.serialized, .heavy) struct WorkerCrashTests {
    @Test func aWorkerKilledRightAfterItAnsweredLeavesItsRecordExactlyOnceAndTheNextResumesWithoutAnsweringTwice() async throws {
        try await withTemporaryDirectory { dir in
            var configuration = DiscordSimulator.Configuration()
            configuration.heartbeatInterval = .milliseconds(1000)
            // A late answer on a loaded machine is a latency, not what this test is about.
            configuration.interactionDeadline = Harness.grace
            let sim = try DiscordSimulator(configuration: configuration)
            await sim.addBot(name: "alpha", token: "tok-alpha")
            let socket = "\(dir)/ipc.sock"
            let listener = try SocketListener.unix(path: socket, mode: 0o600)
            defer { listener.close() }
            let supervisor = StandInSupervisor()
            let worker = productPath("botvisor-worker")
            let config = WorkerConfig(bot: "alpha", token: "tok-alpha", apiBase: sim.apiBase, rateLimitCount: 50)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await sim.run() }
                let first = try BackgroundProcess(worker, ["--ipc", socket, "--bot", "alpha"])
                let c1 = try await supervisor.serve(listener, config: config, connection: 1, acknowledge: false)
                // The first supervisor never acks: its records are as good as lost with it.
                group.addTask { await supervisor.collect(c1, connection: 1, acknowledge: false) }
                try await eventually(timeout: .seconds(20), "READY") { await supervisor.states[1]?.contains(.ready) == true }
                // The position the supervisor's SQLite copy may still hold: READY's.
                let stale = try #require(await supervisor.sessions[1]?.last)

                let answered = try #require(await sim.injectInteraction(bot: "alpha", command: "ping"))
                try await eventually(timeout: .seconds(10), "the answer") { await sim.snapshot().callbacks.contains { $0.interactionID == answered } }
                _ = first.child.signalGroup(SIGKILL)
                _ = try await first.child.waitForExit(deadline: .now + testPatience)
                await c1.close()

                var resumeConfig = config
                resumeConfig.session = stale
                let second = try BackgroundProcess(worker, ["--ipc", socket, "--bot", "alpha"])
                let c2 = try await supervisor.serve(listener, config: resumeConfig, connection: 2, acknowledge: true)
                group.addTask { await supervisor.collect(c2, connection: 2, acknowledge: true) }
                try await eventually(timeout: .seconds(20), "RESUMED") { await supervisor.states[2]?.contains(.ready) == true }
                let after = try #require(await sim.injectInteraction(bot: "alpha", command: "ping"))
                try await eventually(timeout: .seconds(10), "the second answer") { await sim.snapshot().callbacks.contains { $0.interactionID == after } }
                try await eventually(timeout: .seconds(10), "both records") { await supervisor.records.values.filter { $0.command == "ping" }.count >= 2 }

                // The killed worker's record reached the supervisor exactly once (by id, as SQLite keeps it):
                // one record per answered interaction, whatever the kill interrupted.
                let pings = await supervisor.records.values.filter { $0.command == "ping" }
                #expect(pings.count == 2)
                // ok or interrupted; an answer that missed Discord's 3 s on a starved machine is Discord's error, not a double.
                #expect(pings.allSatisfy { [.ok, .interrupted, .error].contains($0.outcome) }, "\(pings)")
                // The killed worker's record came from its spool through the replacement, since the first
                // connection never acked it (whether or not it had been sent there before the kill).
                let killed = try #require(pings.min { $0.startedAt < $1.startedAt })
                #expect(await supervisor.sentOn[2]?.contains(killed.id) == true)
                // The replacement resumed from the spool's position, after the answered interaction, not from the stale one.
                let reported = try #require(await supervisor.sessions[2]?.first)
                #expect(reported.sessionID == stale.sessionID && (reported.sequence ?? 0) > (stale.sequence ?? 0))
                let stats = await sim.snapshot()
                #expect(stats.callbacks.filter { $0.interactionID == answered }.count == 1)
                // Never answered twice (a late answer is a latency, and latency is the benchmarks' business).
                #expect(!stats.violations.contains { $0.contains("acknowledged twice") }, "\(stats.violations)")
                #expect(stats.identifies["alpha"] == 1 && stats.resumes["alpha"] == 1)
                // Issue 16: the replacement held a resumable session, so it never asked for the gateway URL.
                #expect(stats.restCalls.filter { $0.method == "GET" && $0.path == "/gateway/bot" }.count == 1)

                await second.stop()
                await c2.close()
                await sim.shutdown()
                group.cancelAll()
            }
        }
    }

    @Test func aReplayedInteractionWithTheSameIDIsNeitherAnsweredNorRecordedAgain() async throws {
        try await withTemporaryDirectory { dir in
            var configuration = DiscordSimulator.Configuration()
            configuration.heartbeatInterval = .milliseconds(1000)
            let sim = try DiscordSimulator(configuration: configuration)
            await sim.addBot(name: "alpha", token: "tok-alpha")
            let socket = "\(dir)/ipc.sock"
            let listener = try SocketListener.unix(path: socket, mode: 0o600)
            defer { listener.close() }
            let supervisor = StandInSupervisor()
            let config = WorkerConfig(bot: "alpha", token: "tok-alpha", apiBase: sim.apiBase, rateLimitCount: 50)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await sim.run() }
                let worker = try BackgroundProcess(productPath("botvisor-worker"), ["--ipc", socket, "--bot", "alpha"])
                let c1 = try await supervisor.serve(listener, config: config, connection: 1, acknowledge: true)
                group.addTask { await supervisor.collect(c1, connection: 1, acknowledge: true) }
                try await eventually(timeout: .seconds(20), "READY") { await supervisor.states[1]?.contains(.ready) == true }
                let id = try #require(await sim.injectInteraction(bot: "alpha", command: "help"))
                try await eventually(timeout: .seconds(10), "the answer") { await sim.snapshot().callbacks.contains { $0.interactionID == id } }
                // The same event again, as a resume from an older position would deliver it.
                #expect(await sim.replayInteraction(id: id))
                // A later interaction is answered, so the replay was processed before it.
                let later = try #require(await sim.injectInteraction(bot: "alpha", command: "help"))
                try await eventually(timeout: .seconds(10), "the later answer") { await sim.snapshot().callbacks.contains { $0.interactionID == later } }
                try await eventually(timeout: .seconds(10), "two records") { await supervisor.records.count >= 2 }
                #expect(await sim.snapshot().callbacks.filter { $0.interactionID == id }.count == 1)
                #expect(await supervisor.records.count == 2)
                await worker.stop()
                await c1.close()
                await sim.shutdown()
                group.cancelAll()
            }
        }
    }
}
