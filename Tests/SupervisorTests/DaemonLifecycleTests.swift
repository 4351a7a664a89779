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
        try "#!/bin/sh\nexit 1\n".writeAtomically(to: worker)
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
            try config.replacingOccurrences(of: "budget = 1\n", with: "budget = 5\n").writeAtomically(to: h.config)
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
            try "\n# nothing\n".writeAtomically(to: h.config)
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
            // A stop by hand ends the session, so the next start identifies: within 5 s of the first across a
            // daemon restart, unless the identify time outlived the daemon (reliability review, row 8).
            #expect(try await h.ctl(ControlRequest(command: .stop, bots: ["alpha"])).ok)
            h.daemon.child.signal(SIGTERM)
            #expect(try await h.daemon.child.waitForExit(deadline: .now + testPatience) == .exited(0))
            let second = try h.spawnDaemon()
            do {
                // Answering at all is not enough: until the store and fleet are loaded the answer is NOT_READY.
                try await eventually(timeout: .seconds(30), "the daemon ready") { (try? await h.ctl(ControlRequest(command: .status)))?.ok == true }
                #expect(try await h.ctl(ControlRequest(command: .start, bots: ["alpha"])).ok)
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

    /// `systemctl restart botvisor` (issue 13): the daemon's stop hands every session over and writes its position,
    /// so the next daemon's workers resume, with no identify and no dispatch lost.
    /// Twenty bots: the new daemon starts twenty workers at once, which was a start-up storm (issue 13: under load,
    /// hellos answered after the workers' deadline, each give-up spent the restart budget until bots were `failed`).
    @Test func aDaemonRestartWithTwentyBotsSpendsNoIdentifyAndNoRestart() async throws {
        let names = (0..<20).map { "r\($0)" }
        try await DaemonHarness.run { h in
            for name in names { try await h.addBot(name, token: "tok-\(name)") }
            for name in names { try await h.waitFor(name, .ready) }
            let before = await h.sim.snapshot()
            #expect(names.allSatisfy { before.identifies[$0] == 1 })
            h.daemon.child.signal(SIGTERM)
            #expect(try await h.daemon.child.waitForExit(deadline: .now + testPatience) == .exited(0))
            // Sent while no daemon runs: the resume replays them to the new workers.
            var injected: [String: String] = [:]
            for name in names {
                if let id = await h.sim.injectInteraction(bot: name, command: "ping", userID: "9\(name.dropFirst())") { injected[name] = id }
            }
            let second = try h.spawnDaemon()
            do {
                // Answering at all is not enough: until the store and fleet are loaded the answer is NOT_READY.
                try await eventually(timeout: .seconds(30), "the daemon ready") { (try? await h.ctl(ControlRequest(command: .status)))?.ok == true }
                for name in names { try await h.waitFor(name, .ready) }
                try await eventually(timeout: h.patience, "every resume") {
                    let stats = await h.sim.snapshot()
                    return names.allSatisfy { stats.resumes[$0] == 1 }
                }
                // Every dispatch sent during the downtime reached its bot: one record each (answered, or `expired`
                // when the restart took longer than Discord's 3 s to answer in).
                try await h.waitForHTTP()
                var rows: [JSON] = []
                try await eventually(timeout: h.patience, "a record of every interaction") {
                    guard let (status, page) = try? await h.api(.get, "/api/v1/logs?command=ping&limit=100"), status == 200 else { return false }
                    rows = page["logs"]?.array ?? []
                    return rows.count >= names.count
                }
                let stats = await h.sim.snapshot()
                #expect(injected.count == names.count)
                #expect(Set(rows.compactMap { $0["user_id"]?.string }) == Set(names.map { "9\($0.dropFirst())" }), "\(rows)")
                #expect(rows.allSatisfy { ["ok", "expired"].contains($0["outcome"]?.string) }, "\(rows)")
                #expect(names.allSatisfy { stats.identifies[$0] == 1 }, "\(stats.identifies)")
                // Not one worker of the new daemon counted as a crash: the start-up was not a storm.
                for name in names {
                    let status = try await h.status(name)
                    #expect(status.restarts == 0 && status.state == .ready, "\(name): \(status.restarts) restarts, \(status.state)")
                }
                // The old workers left their sessions open: no 1000/1001 close ended one.
                #expect(names.allSatisfy { !(stats.closeCodesReceived[$0] ?? []).contains { $0 == 1000 || $0 == 1001 } })
                #expect(stats.violations.isEmpty, "\(stats.violations)")
            } catch {
                await second.stop()
                while let line = try? await second.readLine(deadline: .now + .seconds(2)) { print("botvisord (2): \(line)") }
                throw error
            }
            await second.stop()
        }
    }

    @Test func theStateDirectoryIs0700AndTheDatabase0600UnderUmask000AndALooserOneIsTightened() async throws {
        try await withTemporaryDirectory { dir in
            try """
                [http]
                listen = 127.0.0.1:0
                [paths]
                state_dir = \(dir)/state
                runtime_dir = \(dir)/run
                """.writeAtomically(to: "\(dir)/botvisor.conf")
            func mode(_ path: String) -> mode_t {
                var st = stat()
                return stat(path, &st) == 0 ? st.st_mode & 0o777 : 0
            }
            func runDaemon(_ body: (BackgroundProcess) async throws -> Void) async throws {
                // umask 000: every mode below is the daemon's own doing.
                let daemon = try BackgroundProcess("/bin/sh", ["-c", "umask 000; exec \"$0\" \"$@\"", productPath("botvisord"),
                                                               "--config", "\(dir)/botvisor.conf"])
                do {
                    try await eventually(timeout: .seconds(30), "the control socket") { FileManager.default.fileExists(atPath: "\(dir)/run/control.sock") }
                    try await body(daemon)
                } catch {
                    await daemon.stop()
                    throw error
                }
                daemon.child.signal(SIGTERM)
                #expect(try await daemon.child.waitForExit(deadline: .now + testPatience) == .exited(0))
            }
            try await runDaemon { _ in
                #expect(mode("\(dir)/state") == 0o700)
                for file in ["botvisor.db", "botvisor.db-wal", "botvisor.db-shm", "token.key"] {
                    #expect(mode("\(dir)/state/\(file)") == 0o600, "\(file) is \(String(mode("\(dir)/state/\(file)"), radix: 8))")
                }
            }
            // An operator (or an old build) left them open to everyone: the next start closes them and says so.
            chmod("\(dir)/state", 0o777)
            chmod("\(dir)/state/botvisor.db", 0o666)
            try await runDaemon { daemon in
                let line = try await daemon.waitForLine { $0.contains("tightened a state file") && $0.contains("botvisor.db") }
                #expect(line.contains("from=666") && line.contains("to=600"), "\(line)")
                #expect(mode("\(dir)/state") == 0o700)
                #expect(mode("\(dir)/state/botvisor.db") == 0o600)
            }
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
        try Self.forgingWorker.writeAtomically(to: worker)
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
