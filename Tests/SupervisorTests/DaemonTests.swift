import Testing
import Foundation
import Glibc
import Discord
import DiscordSim
import IOCore
import IPC
import TestSupport
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store
@testable import Supervisor

/// A simulator in this process and a real `botvisord` process driving real workers against it.
struct DaemonHarness {
    let sim: DiscordSimulator
    let daemon: BackgroundProcess
    let dir: String
    let workerPath: String?
    var config: String { "\(dir)/botvisor.conf" }
    var controlSocket: String { "\(dir)/run/control.sock" }
    /// The running daemon writes its bound HTTP address here (it listens on port 0).
    var httpAddressFile: String { "\(dir)/run/http.addr" }
    /// The running daemon's HTTP port, read from `httpAddressFile` (0, which no client reaches, before it listens).
    var httpPort: Int { DaemonHarness.boundPort(httpAddressFile) ?? 0 }
    /// The admin API token `adminToken()` made (TestAuth.swift).
    let tokens = HarnessTokens()

    /// The restart back-off's ceiling: a restart that is going to happen has happened by twice this.
    static let backoffMax: Duration = .milliseconds(500)

    /// How long a test waits for something the daemon and a worker do within a few heartbeats and restarts.
    var patience: Duration { sim.configuration.heartbeatInterval * 5 + .seconds(30) }

    /// `workerHeartbeatTimeout` is the daemon's `[restart] heartbeat_timeout`: how long a silent worker lives.
    /// Generous unless a test is about it, so a worker starved of CPU on a loaded machine is not killed
    /// (an extra restart and resume that say nothing about the test). The simulator is as lenient, for the
    /// same reason (see `Harness.run` in the worker tests): it still zombies a worker that stops heartbeating.
    /// `heartbeatInterval` is the simulator's gateway interval. Long by default: a worker closes and resumes when
    /// no ACK comes before its next heartbeat (Discord's zombie rule), and on a loaded machine the simulator in
    /// this test process can be starved longer than 2 s, which gave extra resumes that say nothing about the test.
    static func run(budget: Int = 5, backoffInitial: Duration = .milliseconds(100), workerPath: String? = nil,
                    heartbeatInterval: Duration = .seconds(10),
                    workerHeartbeatTimeout: Duration = .seconds(30), extraConfig: String = "",
                    simulator: (inout DiscordSimulator.Configuration) -> Void = { _ in },
                    shell: String? = nil,
                    _ body: (DaemonHarness) async throws -> Void) async throws {
        try await withTemporaryDirectory { dir in
            var configuration = DiscordSimulator.Configuration()
            configuration.heartbeatInterval = heartbeatInterval
            configuration.heartbeatGrace = .seconds(30)
            configuration.interactionDeadline = .seconds(30)
            simulator(&configuration)
            let sim = try DiscordSimulator(configuration: configuration)
            try """
                [http]
                listen = 127.0.0.1:0
                [paths]
                state_dir = \(dir)/state
                runtime_dir = \(dir)/run
                [discord]
                api_base = \(sim.apiBase)
                [restart]
                backoff_initial = \(backoffInitial.milliseconds)ms
                backoff_max = \(backoffMax.milliseconds)ms
                budget = \(budget)
                budget_window = 60s
                heartbeat_interval = 500ms
                heartbeat_timeout = \(workerHeartbeatTimeout.milliseconds)ms
                stop_timeout = 3s
                [limits]
                # Tests poll reads every 20 ms (3000 a minute): above the default 600/1m, which they are not about.
                api = 100000/1m
                \(extraConfig)
                """.writeAtomically(to: "\(dir)/botvisor.conf")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await sim.run() }
                let daemon = try DaemonHarness.spawnDaemon(dir: dir, workerPath: workerPath, shell: shell)
                let harness = DaemonHarness(sim: sim, daemon: daemon, dir: dir, workerPath: workerPath)
                do {
                    try await eventually(timeout: .seconds(30), "the control socket") { FileManager.default.fileExists(atPath: harness.controlSocket) }
                    try await eventually(timeout: .seconds(30), "the bound HTTP address") { harness.httpPort != 0 }
                    try await body(harness)
                } catch {
                    await daemon.stop()
                    // Show what the daemon said: the test failed, its log is the evidence.
                    while let line = try? await daemon.readLine(deadline: .now + .seconds(2)) { print("botvisord: \(line)") }
                    await sim.shutdown()
                    throw error
                }
                await daemon.stop()
                await sim.shutdown()
                group.cancelAll()
            }
        }
    }

    /// `shell`: a `/bin/sh` prelude run before botvisord replaces the shell (`ulimit -n 2048`, `umask 000`).
    static func spawnDaemon(dir: String, workerPath: String?, shell: String? = nil) throws -> BackgroundProcess {
        // A killed daemon leaves its address behind; the next one writes its own once it listens.
        try? FileManager.default.removeItem(atPath: "\(dir)/run/http.addr")
        var args = ["--config", "\(dir)/botvisor.conf"]
        if let workerPath { args += ["--worker", workerPath] }
        if let shell {
            return try BackgroundProcess("/bin/sh", ["-c", "\(shell); exec \"$0\" \"$@\"", productPath("botvisord")] + args)
        }
        return try BackgroundProcess(productPath("botvisord"), args)
    }

    /// Another botvisord on the same configuration and state (after the first was killed).
    func spawnDaemon() throws -> BackgroundProcess {
        try DaemonHarness.spawnDaemon(dir: dir, workerPath: workerPath)
    }

    /// The port in an address file botvisord wrote (`127.0.0.1:41234`).
    static func boundPort(_ file: String) -> Int? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        return text.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    func ctl(_ request: ControlRequest) async throws -> ControlReply {
        try await ControlClient.send(request, socketPath: controlSocket)
    }

    /// Adds a bot through the real `botvisorctl` with a token file.
    func addBot(_ name: String, token: String, intents: UInt64 = 513, approved: GatewayIntents = .privileged) async throws {
        await sim.addBot(name: name, token: token, approvedIntents: approved)
        try token.writeAtomically(to: "\(dir)/\(name).token")
        let result = try await runProcess(productPath("botvisorctl"), ["--config", config, "bot", "add", name, "--token-file", "\(dir)/\(name).token",
                                                                        "--intents", String(intents)])
        #expect(result.status == 0, "\(result.stderr)")
    }

    func status(_ name: String) async throws -> BotStatus {
        try #require(try await ctl(ControlRequest(command: .status, bots: [name])).bots?.first)
    }

    func waitFor(_ name: String, _ state: WorkerState, timeout: Duration? = nil) async throws {
        try await eventually(timeout: timeout ?? patience, "\(name) \(state.rawValue)") { (try? await status(name).state) == state }
    }
}

@Suite(.serialized, .heavy) struct DaemonTests {
    @Test func onPortZeroTheDaemonReportsTheBoundAddressInItsLogItsStatusAndARuntimeFile() async throws {
        try await DaemonHarness.run { h in
            let file = try String(contentsOfFile: h.httpAddressFile, encoding: .utf8)
            #expect(h.httpPort != 0 && file == "127.0.0.1:\(h.httpPort)\n")
            let address = "127.0.0.1:\(h.httpPort)"
            let line = try await h.daemon.waitForLine { $0.contains("botvisord listening") }
            #expect(line.contains("http=\(address)"), "\(line)")
            let status = try await runProcess(productPath("botvisorctl"), ["--config", h.config, "status", "--json"])
            #expect(try JSONDecoder().decode(ControlReply.self, from: Data(status.stdout.utf8)).http == address, "\(status.stdout)")
            try await waitForPort(h.httpPort)
        }
    }

    @Test func aKilledWorkerIsReplacedAndResumesWithoutIdentifyingAgain() async throws {
        try await DaemonHarness.run { h in
            try await h.addBot("alpha", token: "tok-alpha-secret")
            try await h.waitFor("alpha", .ready)
            let first = try await h.status("alpha")
            let pid = try #require(first.pid)
            // The token is in neither the worker's argv nor its environment.
            let cmdline = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
            let environ = try String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8)
            #expect(!cmdline.contains("tok-alpha-secret") && !environ.contains("tok-alpha-secret"))
            kill(pid, SIGKILL)
            // A command sent while the worker is down is answered after the resume.
            let interaction = await h.sim.injectInteraction(bot: "alpha", command: "ping")
            #expect(interaction != nil)
            try await eventually(timeout: h.patience, "the resume") { await h.sim.snapshot().resumes["alpha"] == 1 }
            try await eventually(timeout: h.patience, "the answer") { await h.sim.snapshot().callbacks.contains { $0.interactionID == interaction } }
            let stats = await h.sim.snapshot()
            #expect(stats.identifies["alpha"] == 1)
            #expect(stats.resumesViaResumeURL["alpha"] == 1)
            #expect(stats.violations.isEmpty, "\(stats.violations)")
            let after = try await h.status("alpha")
            #expect(after.pid != pid && after.restarts == 1)
            // Nothing the daemon logged holds the token.
            await h.daemon.stop()
            var log: [String] = []
            while let line = try await h.daemon.readLine(deadline: .now + .seconds(5)) { log.append(line) }
            #expect(!log.isEmpty && !log.joined().contains("tok-alpha-secret"))
        }
    }

    @Test func aPlannedRestartHandsTheSessionOver() async throws {
        try await DaemonHarness.run { h in
            try await h.addBot("alpha", token: "tok-a")
            try await h.waitFor("alpha", .ready)
            let reply = try await h.ctl(ControlRequest(command: .restart, bots: ["alpha"]))
            #expect(reply.ok)
            try await eventually(timeout: h.patience, "the resume") { await h.sim.snapshot().resumes["alpha"] == 1 }
            try await h.waitFor("alpha", .ready)
            let stats = await h.sim.snapshot()
            #expect(stats.identifies["alpha"] == 1)
            // The old worker left without a 1000/1001 close.
            #expect(!(stats.closeCodesReceived["alpha"] ?? []).contains { $0 == 1000 || $0 == 1001 })
        }
    }

    @Test func aRejectedTokenIsAuthFailedAfterExactlyOneIdentify() async throws {
        try await DaemonHarness.run { h in
            try await h.addBot("alpha", token: "tok-revoked")
            await h.sim.forgetToken("tok-revoked")
            try await h.waitFor("alpha", .authFailed)
            let status = try await h.status("alpha")
            #expect(status.reason?.contains("4004") == true)
            // A restart, if one were coming, would have come within the back-off's ceiling.
            try await Reactor.shared.sleep(until: .now + DaemonHarness.backoffMax * 2)
            #expect(await h.sim.snapshot().identifies["alpha"] == 1)
            #expect(try await h.status("alpha").state == .authFailed)
        }
    }

    @Test func disallowedIntentsAreConfigFailedAndNotRestarted() async throws {
        try await DaemonHarness.run { h in
            // MESSAGE_CONTENT (1 << 15) is privileged and not approved for this bot: Discord closes with 4014.
            try await h.addBot("alpha", token: "tok-intents", intents: 513 | 1 << 15, approved: [])
            try await h.waitFor("alpha", .configFailed)
            // A restart, if one were coming, would have come within the back-off's ceiling.
            try await Reactor.shared.sleep(until: .now + DaemonHarness.backoffMax * 2)
            #expect(await h.sim.snapshot().identifies["alpha"] == 1)
            #expect(try await h.status("alpha").state == .configFailed)
            #expect(try await h.status("alpha").restarts == 0)
        }
    }

    @Test func aChattyWorkersOutputIsRateLimitedInTheLog() async throws {
        let script = "/tmp/botvisor-chatty-\(getpid()).sh"
        try "#!/bin/sh\nseq 1 5000 | sed 's/^/chatter /'\nsleep 30\n".writeAtomically(to: script)
        chmod(script, 0o755)
        defer { unlink(script) }
        try await DaemonHarness.run(workerPath: script) { h in
            try await h.addBot("alpha", token: "tok-chatty")
            var chatter = 0
            _ = try await h.daemon.waitForLine { line in
                if line.contains("stream=worker") && line.contains("chatter") { chatter += 1 }
                return line.contains("worker output rate-limited")
            }
            // The burst allowance passes, the rest is counted and suppressed.
            #expect(chatter >= 50 && chatter <= 200, "\(chatter) lines logged")
        }
    }

    @Test func aCrashLoopEndsInFailedAfterTheBudget() async throws {
        try await DaemonHarness.run(budget: 3, workerPath: "/bin/false") { h in
            try await h.addBot("alpha", token: "tok-crash")
            try await h.waitFor("alpha", .failed)
            let status = try await h.status("alpha")
            #expect(status.restarts == 3)
            #expect(status.reason?.contains("crash loop") == true)
        }
    }

    @Test func aStoppedWorkerIsKilledAndRestartedAfterTheHeartbeatTimeout() async throws {
        try await DaemonHarness.run(workerHeartbeatTimeout: .seconds(3)) { h in
            try await h.addBot("alpha", token: "tok-stop")
            try await h.waitFor("alpha", .ready)
            let pid = try #require(try await h.status("alpha").pid)
            kill(pid, SIGSTOP)
            try await eventually(timeout: h.patience, "a new worker") { (try? await h.status("alpha").pid).flatMap { $0 } != pid }
            try await h.waitFor("alpha", .ready)
            #expect(try await h.status("alpha").lastExit == "killed by signal 9")
        }
    }

    @Test func sigtermStopsEveryWorkerAndExitsZero() async throws {
        try await DaemonHarness.run { h in
            for name in ["a1", "a2"] { try await h.addBot(name, token: "tok-\(name)") }
            for name in ["a1", "a2"] { try await h.waitFor(name, .ready) }
            let pids = try await ["a1", "a2"].asyncMap { try #require(try await h.status($0).pid) }
            h.daemon.child.signal(SIGTERM)
            #expect(try await h.daemon.child.waitForExit(deadline: .now + testPatience) == .exited(0))
            for pid in pids {
                // Gone entirely: neither running nor a zombie.
                #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)"))
            }
        }
    }

    @Test func garbageOnTheIPCAndControlSocketsIsRejectedAndTheDaemonKeepsServing() async throws {
        try await DaemonHarness.run { h in
            try await h.addBot("alpha", token: "tok-g")
            try await h.waitFor("alpha", .ready)
            let ipc = try await SocketStream.connect(unixPath: "\(h.dir)/run/ipc.sock")
            // The daemon may already have hung up on us (peer credentials are checked first).
            try? await ipc.write(IPCFrame.encode(Array("{\"type\":\"hello\",\"body\":{\"version\":1,\"bot\":\"alpha\",\"pid\":1}}".utf8)))
            // Not a pid we spawned: closed without an answer (an end of stream, or a reset for our unread bytes).
            var sink: [UInt8] = []
            let n = try? await ipc.read(into: &sink, maxLength: 100, deadline: .now + testPatience)
            #expect(n == 0 || n == nil)
            #expect(sink.isEmpty)
            ipc.close()
            let control = try await SocketStream.connect(unixPath: h.controlSocket)
            try await control.write(Array("this is not json\n".utf8))
            var reply: [UInt8] = []
            while !reply.contains(10) { guard try await control.read(into: &reply, maxLength: 1000, deadline: .now + testPatience) > 0 else { break } }
            #expect(String(decoding: reply, as: UTF8.self).contains("BAD_REQUEST"))
            control.close()
            #expect(try await h.status("alpha").state == .ready)
        }
    }

    @Test func aBadFileOnReloadIsRejectedAndTheRunningConfigurationKept() async throws {
        try await DaemonHarness.run { h in
            try await h.addBot("alpha", token: "tok-r")
            try await h.waitFor("alpha", .ready)
            let good = try String(contentsOfFile: h.config, encoding: .utf8)
            #expect(try await h.ctl(ControlRequest(command: .reload)).ok)
            try (good + "\n[logs]\nretention = forever\n").writeAtomically(to: h.config)
            let reply = try await h.ctl(ControlRequest(command: .reload))
            #expect(!reply.ok)
            #expect(reply.error?.code == "CONFIG_INVALID")
            #expect(reply.error?.message.contains("botvisor.conf:") == true)
            // SIGHUP takes the same path; the daemon keeps serving either way.
            h.daemon.child.signal(SIGHUP)
            #expect(try await h.status("alpha").state == .ready)
        }
    }

    @Test func botSubcommandsListDisableEnableAndRemoveABot() async throws {
        try await DaemonHarness.run { h in
            try await h.addBot("alpha", token: "tok-sub")
            try await h.waitFor("alpha", .ready)
            let ctl = productPath("botvisorctl")
            let list = try await runProcess(ctl, ["--config", h.config, "bot", "list"])
            #expect(list.status == 0 && list.stdout.contains("alpha") && list.stdout.contains("ready"))
            #expect(try await runProcess(ctl, ["--config", h.config, "bot", "disable", "alpha"]).status == 0)
            try await h.waitFor("alpha", .stopped)
            #expect(try await h.status("alpha").enabled == false)
            #expect(try await runProcess(ctl, ["--config", h.config, "bot", "enable", "alpha"]).status == 0)
            try await h.waitFor("alpha", .ready)
            #expect(try await runProcess(ctl, ["--config", h.config, "bot", "remove", "alpha"]).status == 0)
            let missing = try await runProcess(ctl, ["--config", h.config, "status", "alpha"])
            #expect(missing.status == 1 && missing.stderr.contains("BOT_NOT_FOUND"))
            let usage = try await runProcess(ctl, ["--config", h.config, "bot", "add", "beta"])
            #expect(usage.status == 2 && usage.stderr.contains("--token-file"))
        }
    }

    @Test func demoModeBringsThreeBotsUpAndStopsCleanlyOnCtrlC() async throws {
        try await withTemporaryDirectory { dir in
            try "[http]\nlisten = 127.0.0.1:0\n".writeAtomically(to: "\(dir)/demo.conf")
            let demo = try BackgroundProcess(productPath("botvisord"), ["--demo", "--config", "\(dir)/demo.conf"])
            let line = try await demo.waitForLine { $0.contains("botvisorctl --socket") }
            let socket = String(line.split(separator: " ").first { $0.hasSuffix("control.sock") }!)
            try await eventually(timeout: .seconds(30), "three ready bots") {
                let bots = (try? await ControlClient.send(ControlRequest(command: .status), socketPath: socket))?.bots ?? []
                return bots.count == 3 && bots.allSatisfy { $0.state == .ready }
            }
            try await eventually(timeout: .seconds(30), "commands from simulated users") {
                let bots = (try? await ControlClient.send(ControlRequest(command: .status), socketPath: socket))?.bots ?? []
                return bots.reduce(0) { $0 + ($1.metrics?.commands ?? 0) } >= 2
            }
            demo.child.signal(SIGINT)
            #expect(try await demo.child.waitForExit(deadline: .now + testPatience) == .exited(0))
        }
    }

    @Test func aBadConfigurationFileIsRefusedWithFileAndLine() async throws {
        try await withTemporaryDirectory { dir in
            try "[http]\nlisten = 127.0.0.1:8750\n[restart]\nbudget = many\n".writeAtomically(to: "\(dir)/bad.conf")
            let result = try await runProcess(productPath("botvisord"), ["--config", "\(dir)/bad.conf"])
            #expect(result.status == 78)
            #expect(result.stderr.contains("\(dir)/bad.conf:4: [restart] budget: expected a positive integer"))
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
