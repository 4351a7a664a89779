import Testing
import Foundation
import Glibc
import IOCore
import TestSupport
@testable import Control
@testable import Fleet

/// The lifecycle findings of the reliability review (rows 1c, 4e, 4l, 7a, 7b), against a real botvisord.
@Suite(.serialized, .heavy) struct DaemonLifecycleTests {
    @Test func aMissingWorkerBinaryWithZeroBackoffLeavesTheDaemonAliveAndTheBotInAClearState() async throws {
        // Executable when botvisord starts (it checks), gone when the bot starts.
        let worker = "/tmp/botvisor-vanishing-worker-\(getpid())"
        try "#!/bin/sh\nexit 1\n".write(toFile: worker, atomically: true, encoding: .utf8)
        chmod(worker, 0o755)
        defer { unlink(worker) }
        try await DaemonHarness.run(budget: 1000, backoffInitial: .zero, workerPath: worker) { h in
            unlink(worker)
            try await h.addBot("alpha", token: "tok-missing")
            // Several retries (the review's build recursed 4,895 times into a SIGSEGV here).
            var retries = 0
            _ = try await h.daemon.waitForLine { line in
                if line.contains("cannot spawn the worker; retrying") { retries += 1 }
                return retries >= 4
            }
            #expect(try h.daemon.child.reap() == nil, "botvisord died")
            let status = try await h.status("alpha")
            #expect(status.state == .backoff)
            #expect(status.reason == "cannot spawn the worker at \(worker): No such file or directory")
            // Not a crash: no exit status, nothing spent from the restart budget, no process figures.
            #expect(status.lastExit == nil)
            #expect(status.restartsInWindow == 0 && status.restarts == 0)
            #expect(status.pid == nil && status.uptimeSeconds == nil && status.gatewayRTTMillis == nil)
            // A stop ends the retries and leaves a plainly stopped bot.
            #expect(try await h.ctl(ControlRequest(command: "stop", bots: ["alpha"])).ok)
            let stopped = try await h.status("alpha")
            #expect(stopped.state == .stopped && stopped.reason == nil)
        }
    }

    @Test func reloadAppliesANewRestartBudgetToTheNextCrash() async throws {
        try await DaemonHarness.run(budget: 1) { h in
            try await h.addBot("alpha", token: "tok-reload")
            try await h.waitFor("alpha", .ready)
            let config = try String(contentsOfFile: h.config, encoding: .utf8)
            try config.replacingOccurrences(of: "budget = 1\n", with: "budget = 5\n").write(toFile: h.config, atomically: true, encoding: .utf8)
            let reply = try await h.ctl(ControlRequest(command: "reload"))
            #expect(reply.ok && reply.message?.contains("restart policy") == true, "\(reply)")
            // With the old budget of 1 the second crash would leave the bot failed.
            for kill in 1...2 {
                let pid = try #require(try await h.status("alpha").pid)
                Glibc.kill(pid, SIGKILL)
                try await eventually(timeout: h.patience, "replacement \(kill)") {
                    let s = try await h.status("alpha")
                    return s.state == .ready && s.pid != pid
                }
            }
            let status = try await h.status("alpha")
            #expect(status.restarts == 2)
            #expect(status.reason == nil)
            #expect(status.lastExit == "killed by signal 9")
            #expect((status.uptimeSeconds ?? -1) >= 0)
        }
    }

    @Test func anEmptyConfigurationIsNotReloaded() async throws {
        try await DaemonHarness.run { h in
            try "\n# nothing\n".write(toFile: h.config, atomically: true, encoding: .utf8)
            let reply = try await h.ctl(ControlRequest(command: "reload"))
            #expect(!reply.ok)
            #expect(reply.error?.code == "CONFIG_INVALID")
        }
    }

    @Test func aDeletedBotLeavesNoSpoolBehind() async throws {
        try await DaemonHarness.run { h in
            try await h.addBot("alpha", token: "tok-spool")
            try await h.waitFor("alpha", .ready)
            let spool = "\(h.dir)/run/spool/alpha.records"
            try await eventually(timeout: h.patience, "the worker's spool") { FileManager.default.fileExists(atPath: spool) }
            #expect(try await h.ctl(ControlRequest(command: "bot.remove", bots: ["alpha"])).ok)
            #expect(!FileManager.default.fileExists(atPath: spool))
            #expect(!FileManager.default.fileExists(atPath: spool + ".lock"))
        }
    }

    @Test func aDaemonRestartRightAfterAnIdentifyKeepsDiscordsIdentifySpacing() async throws {
        try await DaemonHarness.run { h in
            try await h.addBot("alpha", token: "tok-spacing")
            try await h.waitFor("alpha", .ready)
            // A graceful stop ends the session, so the next daemon's worker identifies: within 5 s of the first,
            // unless the identify time outlived the daemon (reliability review, row 8).
            h.daemon.child.signal(SIGTERM)
            #expect(try await h.daemon.child.waitForExit(deadline: .now + .seconds(20)) == .exited(0))
            let second = try h.spawnDaemon()
            do {
                try await eventually(timeout: h.patience, "the second identify") { await h.sim.snapshot().identifies["alpha"] == 2 }
                try await h.waitFor("alpha", .ready)
                let stats = await h.sim.snapshot()
                #expect(stats.violations.isEmpty, "\(stats.violations)")
            } catch {
                await second.stop()
                throw error
            }
            await second.stop()
        }
    }
}
