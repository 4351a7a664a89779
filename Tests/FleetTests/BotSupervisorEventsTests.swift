import Testing
import IOCore
import IPC
import Logging
@testable import Fleet

/// The driver with real child processes (no worker protocol needed): what it publishes on the fleet event stream.
@Suite struct BotSupervisorEventsTests {
    struct NoStore: SessionStore, CommandRecordSink {
        func save(bot: String, session: SessionState?) async {}
        func store(_ records: [CommandRecord]) async throws {}
    }

    func environment(worker: String) -> BotSupervisor.Environment {
        BotSupervisor.Environment(workerPath: worker, ipcSocketPath: "/nonexistent/ipc.sock", apiBase: "http://127.0.0.1:1",
                                  heartbeatInterval: .milliseconds(200), heartbeatTimeout: .seconds(30), stopTimeout: .seconds(5),
                                  workerEnvironment: [:], records: NoStore(), sessions: NoStore())
    }

    /// Runs `supervisor`, starts it, and collects events until `last` says stop (or 30 s pass).
    func events(of supervisor: BotSupervisor, on stream: FleetEventStream,
                until last: @escaping @Sendable (FleetEvent) -> Bool) async -> [FleetEvent] {
        let subscription = stream.subscribe(bufferSize: 1000)
        return await withTaskGroup(of: [FleetEvent]?.self) { group in
            group.addTask { await supervisor.run(); return nil }
            group.addTask {
                var seen: [FleetEvent] = []
                for await element in subscription {
                    guard case .event(let event) = element else { continue }
                    seen.append(event)
                    if last(event) { break }
                }
                return seen
            }
            group.addTask {
                try? await Reactor.shared.sleep(until: .now + .seconds(30))
                return []
            }
            supervisor.start()
            var result: [FleetEvent] = []
            while let next = await group.next() {
                if let next { result = next; break }
            }
            await supervisor.stop()
            supervisor.finish()
            group.cancelAll()
            return result
        }
    }

    @Test func aCrashLoopIsPublishedExitByExitUntilFailed() async {
        var restart = RestartPolicy.Settings()
        restart.budget = 1
        restart.initialBackoff = .milliseconds(10)
        let env = environment(worker: "/bin/false")
        let supervisor = BotSupervisor(definition: BotDefinition(name: "b1", token: "t"), environment: env, restart: restart,
                                       session: nil, logger: Logger(label: "test"))
        let seen = await events(of: supervisor, on: env.events) {
            if case .botStateChanged(_, _, .failed, _, _) = $0 { true } else { false }
        }
        let exits = seen.filter { if case .workerExited(bot: "b1", _, .exited(1), _) = $0 { true } else { false } }
        // The first crash restarted at once; the second spent the budget of 1.
        #expect(exits.count == 2)
        #expect(seen.first == .botStateChanged(bot: "b1", from: .stopped, to: .starting, generation: 1, reason: nil))
        guard case .botStateChanged("b1", .starting, .failed, 2, let reason?) = seen.last else {
            Issue.record("no failed state: \(seen)"); return
        }
        #expect(reason.hasPrefix("crash loop: 1 restarts"))
        // No process: no uptime, pid or memory; the last exit is history.
        let status = await supervisor.status()
        #expect(status.state == .failed && status.pid == nil && status.uptimeSeconds == nil && status.memoryBytes == nil)
        #expect(status.lastExit == "exited with status 1")
    }

    @Test func aMissingBinaryIsPublishedAsBackoffWithTheReasonAndNoExit() async {
        let env = environment(worker: "/nonexistent/botvisor-worker")
        let supervisor = BotSupervisor(definition: BotDefinition(name: "b1", token: "t"), environment: env, restart: .init(),
                                       session: nil, logger: Logger(label: "test"))
        let seen = await events(of: supervisor, on: env.events) { _ in true }
        #expect(seen == [.botStateChanged(bot: "b1", from: .stopped, to: .backoff, generation: 1,
                                          reason: "cannot spawn the worker at /nonexistent/botvisor-worker: No such file or directory")])
        let status = await supervisor.status()
        #expect(status.lastExit == nil && status.pid == nil && status.uptimeSeconds == nil)
    }
}
