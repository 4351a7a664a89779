import Testing
import Foundation
import Glibc
import IOCore
import JSON
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
            // A bulk restart answers at once with the reason instead of waiting out its settle timeout.
            try await h.waitForHTTP()
            let (accepted, job) = try await h.api(.post, "/api/v1/bulk/restart", ["all": true])
            #expect(accepted == 202)
            let finished = try await h.finishedJob(try #require(job["id"]?.string), timeout: .seconds(20))
            let item = try #require(finished["items"]?.array?.first)
            #expect(item["error"]?["code"]?.string == "SPAWN_FAILED")
            #expect(item["error"]?["message"]?.string?.hasSuffix("No such file or directory") == true)
            // A stop ends the retries and leaves a plainly stopped bot.
            #expect(try await h.ctl(ControlRequest(command: .stop, bots: ["alpha"])).ok)
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
            let reply = try await h.ctl(ControlRequest(command: .reload))
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
            let reply = try await h.ctl(ControlRequest(command: .reload))
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
            #expect(try await h.ctl(ControlRequest(command: .botRemove, bots: ["alpha"])).ok)
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

    /// A worker that speaks the IPC protocol from Python and forges a record of another bot.
    static let forgingWorker = """
        #!/usr/bin/env python3
        import json, os, socket, struct, sys
        args = sys.argv[1:]
        ipc, bot = args[args.index("--ipc") + 1], args[args.index("--bot") + 1]
        s = socket.socket(socket.AF_UNIX)
        s.connect(ipc)
        def send(kind, body=None):
            envelope = {"type": kind} if body is None else {"type": kind, "body": body}
            data = json.dumps(envelope).encode()
            s.sendall(struct.pack(">I", len(data)) + data)
        def read(n):
            b = b""
            while len(b) < n:
                chunk = s.recv(n - len(b))
                if not chunk:
                    sys.exit(0)
                b += chunk
            return b
        def receive():
            return json.loads(read(struct.unpack(">I", read(4))[0]))
        def record(rid, owner):
            return {"id": rid, "bot": owner, "user_id": "u1", "command": "ping", "options": "", "outcome": "ok",
                    "started_at": 1780000000000000, "duration_us": 5}
        send("hello", {"version": 1, "bot": bot, "pid": os.getpid()})
        while receive()["type"] != "welcome":
            pass
        send("commands", {"records": [record(bot + "-own", bot), record(bot + "-forged", "victim")]})
        while True:
            m = receive()
            if m["type"] == "ack":
                print("ACK " + ",".join(m["body"]["ids"]), flush=True)
            elif m["type"] == "heartbeat":
                send("heartbeat")
            elif m["type"] == "stop":
                sys.exit(0)
        """

    @Test(.enabled(if: Peer.sqlite3.isAvailable && Peer.python3.isAvailable, "needs sqlite3 and python3"))
    func aWorkerStoresRecordsOnlyUnderItsOwnBotsName() async throws {
        let worker = "/tmp/botvisor-forging-worker-\(getpid()).py"
        try Self.forgingWorker.write(toFile: worker, atomically: true, encoding: .utf8)
        chmod(worker, 0o755)
        defer { unlink(worker) }
        try await DaemonHarness.run(workerPath: worker) { h in
            try await h.addBot("alpha", token: "tok-forger")
            var dropped = false
            // Both ids are acknowledged (the forged one is refused for good, a resend would not change that).
            _ = try await h.daemon.waitForLine { line in
                if line.contains("dropped command records that name another bot") { dropped = true }
                return line.contains("ACK alpha-own,alpha-forged")
            }
            #expect(dropped)
            let rows = try await runProcess(try #require(Peer.sqlite3.path),
                                            ["\(h.dir)/state/botvisor.db", "SELECT bot || ':' || id FROM command_logs ORDER BY id"])
            #expect(rows.stdout.split(separator: "\n") == ["alpha:alpha-own"], "\(rows)")
        }
    }
}
