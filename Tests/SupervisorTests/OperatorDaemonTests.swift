import Testing
import Foundation
import Glibc
import HTTP
import IOCore
import TestSupport
@testable import Control
@testable import Fleet

/// An operator's daily use, against a real botvisord and real workers: one validation for the control
/// socket and the HTTP API, per-bot results, status' exit code, logs, backup and restore.
@Suite(.serialized, .heavy) struct OperatorDaemonTests {
    struct Field: Hashable, Decodable { var field: String; var message: String }

    func http(_ h: DaemonHarness, _ method: HTTPMethod, _ path: String, _ body: String) async throws -> (Int, [Field]) {
        let response = try await HTTPClient().send(HTTPClientRequest(method: method, url: "http://127.0.0.1:\(h.httpPort)\(path)",
                                                                     headers: ["Content-Type": "application/json",
                                                                               "Authorization": "Bearer \(try await h.adminToken())"],
                                                                     body: Array(body.utf8)),
                                                  timeout: .seconds(30))
        struct Body: Decodable { struct Inner: Decodable { var fields: [Field]? }; var error: Inner? }
        let decoded = try? JSONDecoder().decode(Body.self, from: Data(response.body))
        return (response.status.code, decoded?.error?.fields ?? [])
    }

    @Test func botAddAndSetRejectExactlyWhatTheHTTPAPIRejectsWithTheSameMessages() async throws {
        try await DaemonHarness.run { h in
            // The newcomer report's values, and `_system`, whose message must state the leading-character rule.
            let socket = try await h.ctl(ControlRequest(command: .botAdd, bots: ["_system"], token: "tok", intents: 99_999_999_999,
                                                        prefix: "a b c d e f g h i j", applicationID: "notanumber"))
            #expect(!socket.ok && socket.error?.code == "VALIDATION_FAILED")
            let socketFields = Set((socket.error?.fields ?? []).map { Field(field: $0.field, message: $0.message) })
            let (status, httpFields) = try await http(h, .post, "/api/v1/bots", """
                {"name":"_system","token":"tok","intents":99999999999,"prefix":"a b c d e f g h i j","application_id":"notanumber"}
                """)
            #expect(status == 422)
            #expect(socketFields == Set(httpFields))
            #expect(socketFields.map(\.field).sorted() == ["application_id", "intents", "name", "prefix"])
            #expect(socketFields.contains(Field(field: "name", message: "1-32 characters of a-z, 0-9, - and _, starting with a letter or digit")))

            // The CLI says the same and adds nothing.
            try "tok-x".writeAtomically(to: "\(h.dir)/x.token")
            let ctl = productPath("botvisorctl")
            let cli = try await runProcess(ctl, ["--config", h.config, "bot", "add", "x-bot", "--token-file", "\(h.dir)/x.token",
                                                 "--prefix", "a b c d e f g h i j", "--application-id", "notanumber", "--intents", "99999999999"])
            #expect(cli.status == 1)
            for field in httpFields where field.field != "name" { #expect(cli.stderr.contains("\(field.field): \(field.message)"), "\(cli.stderr)") }
            #expect(try await h.ctl(ControlRequest(command: .status)).bots?.isEmpty == true)

            // bot set against PATCH, on a bot that exists.
            try await h.addBot("alpha", token: "tok-alpha")
            let set = try await h.ctl(ControlRequest(command: .botSet, bots: ["alpha"], prefix: "no spaces please"))
            let (patchStatus, patchFields) = try await http(h, .patch, "/api/v1/bots/alpha", #"{"prefix":"no spaces please"}"#)
            #expect(patchStatus == 422)
            #expect(Set((set.error?.fields ?? []).map { Field(field: $0.field, message: $0.message) }) == Set(patchFields))
            // A good change goes through, and is what the API reads back.
            let good = try await runProcess(ctl, ["--config", h.config, "bot", "set", "alpha", "--prefix", "?", "--application-id", "123"])
            #expect(good.status == 0, "\(good.stderr)")
            let config = try #require(try await h.status("alpha").config)
            #expect(config.prefix == "?" && config.application_id == "123")
            // Custom commands from a file, checked as the API's custom_commands are.
            try #"[{"name":"ping","response":"x"}]"#.writeAtomically(to: "\(h.dir)/bad.json")
            let bad = try await runProcess(ctl, ["--config", h.config, "bot", "set", "alpha", "--commands-file", "\(h.dir)/bad.json"])
            #expect(bad.status == 1 && bad.stderr.contains("custom_commands[0].name: `ping` is a built-in command"), "\(bad.stderr)")
            try #"[{"name":"stock","response":"{user}: 3 left"}]"#.writeAtomically(to: "\(h.dir)/good.json")
            let commands = try await runProcess(ctl, ["--config", h.config, "bot", "set", "alpha", "--commands-file", "\(h.dir)/good.json"])
            #expect(commands.status == 0, "\(commands.stderr)")
            #expect(try await h.status("alpha").config?.custom_commands.map(\.name) == ["stock"])
        }
    }

    @Test func stopOfTwoNamesReportsBothAndStatusExitsThreeForABotThatNeedsAnOperator() async throws {
        try await DaemonHarness.run { h in
            try await h.addBot("alpha", token: "tok-alpha2")
            try await h.waitFor("alpha", .ready)
            let ctl = productPath("botvisorctl")
            let stop = try await runProcess(ctl, ["--config", h.config, "stop", "alpha", "nope"])
            #expect(stop.status == 1)
            #expect(stop.stdout.contains("alpha: stop (stopped)"), "\(stop.stdout)")
            #expect(stop.stderr.contains("nope: ERROR BOT_NOT_FOUND"), "\(stop.stderr)")
            #expect(try await runProcess(ctl, ["--config", h.config, "status"]).status == 0)
            let typo = try await runProcess(ctl, ["--config", h.config, "restat", "alpha"])
            #expect(typo.status == 2 && typo.stderr.contains("did you mean restart?"))
            // An unknown command word on the socket (socat, an older CLI) is named as such.
            let raw = try await SocketStream.connect(unixPath: h.controlSocket, deadline: .now + testPatience)
            try await raw.write(Array(#"{"command":"frobnicate"}"#.utf8) + [10], deadline: .now + testPatience)
            var buffer: [UInt8] = []
            while !buffer.contains(10) { if try await raw.read(into: &buffer, maxLength: 4096, deadline: .now + testPatience) == 0 { break } }
            raw.close()
            let reply = try JSONDecoder().decode(ControlReply.self, from: Data(buffer.prefix { $0 != 10 }))
            #expect(reply.error?.code == "UNKNOWN_COMMAND", "\(String(decoding: buffer, as: UTF8.self))")

            // A token Discord refuses: auth_failed, which a health script must see in the exit status.
            await h.sim.addBot(name: "beta", token: "tok-beta-real")
            try "tok-beta-wrong".writeAtomically(to: "\(h.dir)/beta.token")
            #expect(try await runProcess(ctl, ["--config", h.config, "bot", "add", "beta", "--token-file", "\(h.dir)/beta.token"]).status == 0)
            try await h.waitFor("beta", .authFailed)
            let status = try await runProcess(ctl, ["--config", h.config, "status"])
            #expect(status.status == 3, "\(status.stdout)\(status.stderr)")
            #expect(try await runProcess(ctl, ["--config", h.config, "status", "alpha"]).status == 0)

            // Token rotation from the CLI: the right token, then a start by hand (auth_failed waits for one).
            try "tok-beta-real".writeAtomically(to: "\(h.dir)/beta.token")
            let rotate = try await runProcess(ctl, ["--config", h.config, "bot", "set", "beta", "--token-file", "\(h.dir)/beta.token"])
            #expect(rotate.status == 0, "\(rotate.stderr)")
            #expect(try await runProcess(ctl, ["--config", h.config, "start", "beta"]).status == 0)
            try await h.waitFor("beta", .ready)
            #expect(try await runProcess(ctl, ["--config", h.config, "status"]).status == 0)
        }
    }

    @Test func logsShowsTheWorkersOutputAndCommandRecordsAndFollowsWithACursor() async throws {
        try await DaemonHarness.run { h in
            try await h.addBot("alpha", token: "tok-logs")
            try await h.waitFor("alpha", .ready)
            _ = await h.sim.injectInteraction(bot: "alpha", command: "ping")
            _ = await h.sim.injectInteraction(bot: "alpha", command: "nosuch")
            var page = LogsPage(lines: [], records: [], cursor: LogCursor(output: 0, record: 0))
            try await eventually(timeout: h.patience, "two command records") {
                page = (try? await h.ctl(ControlRequest(command: .logs, bots: ["alpha"])).logs) ?? page
                return page.records.count == 2
            }
            #expect(!page.lines.isEmpty, "the worker's output lines")
            // Worker lines arrive without the worker's own timestamp.
            #expect(page.lines.allSatisfy { !($0.text.first?.isNumber ?? false) })
            // Nothing new after the cursor; a new record is seen once.
            let next = try #require(try await h.ctl(ControlRequest(command: .logs, bots: ["alpha"], cursor: page.cursor)).logs)
            #expect(next.records.isEmpty)
            _ = await h.sim.injectInteraction(bot: "alpha", command: "ping")
            var after: [String] = []
            try await eventually(timeout: h.patience, "the third record after the cursor") {
                after = (try? await h.ctl(ControlRequest(command: .logs, bots: ["alpha"], cursor: page.cursor)).logs?.records.map(\.command)) ?? []
                return !after.isEmpty
            }
            #expect(after == ["ping"])
            // The CLI follows like tail -f: a record made after it started shows up on its own.
            let follower = try BackgroundProcess(productPath("botvisorctl"), ["--config", h.config, "logs", "-f", "alpha"])
            do {
                _ = try await follower.waitForLine(deadline: .now + h.patience) { $0.contains("/ping ok") }
                _ = await h.sim.injectInteraction(bot: "alpha", command: "help")
                let line = try await follower.waitForLine(deadline: .now + h.patience) { $0.contains("/help") }
                #expect(line.contains("alpha /help ok"), "\(line)")
            } catch {
                await follower.stop()
                throw error
            }
            await follower.stop()
            let failed = try await runProcess(productPath("botvisorctl"), ["--config", h.config, "logs", "--commands", "--failed"])
            #expect(failed.status == 0)
            #expect(failed.stdout.contains("/nosuch error") && !failed.stdout.contains("/ping"), "\(failed.stdout)")
        }
    }

    @Test(.enabled(if: Peer.sqlite3.isAvailable, Peer.sqlite3.missing))
    func aBackupRestoredIntoAnotherDaemonRunsTheBotsWithTheirSealedTokens() async throws {
        try await DaemonHarness.run { h in
            try await h.addBot("alpha", token: "tok-backup")
            try await h.waitFor("alpha", .ready)
            for _ in 0..<5 { _ = await h.sim.injectInteraction(bot: "alpha", command: "ping") }
            let backup = try await runProcess(productPath("botvisorctl"), ["--config", h.config, "backup", "\(h.dir)/b.db"])
            #expect(backup.status == 0, "\(backup.stderr)")
            var st = stat()
            stat("\(h.dir)/b.db", &st)
            #expect(st.st_mode & 0o777 == 0o600)
            let check = try await runProcess(Peer.sqlite3.path!, ["\(h.dir)/b.db", "PRAGMA integrity_check"])
            #expect(check.stdout == "ok\n")

            // Restore (README, "Backup and restore") into a second state directory and run a daemon on it.
            let restored = "\(h.dir)/restored"
            try FileManager.default.createDirectory(atPath: "\(restored)/state", withIntermediateDirectories: true)
            #expect(try await runProcess("/usr/bin/install", ["-m", "0600", "\(h.dir)/b.db", "\(restored)/state/botvisor.db"]).status == 0)
            #expect(try await runProcess("/usr/bin/install", ["-m", "0600", "\(h.dir)/b.db.key", "\(restored)/state/token.key"]).status == 0)
            let config = try String(contentsOfFile: h.config, encoding: .utf8)
                .replacingOccurrences(of: "\(h.dir)/state", with: "\(restored)/state")
                .replacingOccurrences(of: "\(h.dir)/run", with: "\(restored)/run")
                .replacingOccurrences(of: "127.0.0.1:\(h.httpPort)", with: "127.0.0.1:\(try freePort())")
            try config.writeAtomically(to: "\(restored)/botvisor.conf")
            await h.daemon.stop()
            let second = try BackgroundProcess(productPath("botvisord"), ["--config", "\(restored)/botvisor.conf"] + (h.workerPath.map { ["--worker", $0] } ?? []))
            do {
                try await eventually(timeout: .seconds(30), "the restored daemon's socket") { FileManager.default.fileExists(atPath: "\(restored)/run/control.sock") }
                // Ready means the worker identified with the token the restored key opened.
                try await eventually(timeout: h.patience, "alpha ready on the restored daemon") {
                    (try? await ControlClient.send(ControlRequest(command: .status, bots: ["alpha"]), socketPath: "\(restored)/run/control.sock"))?.bots?.first?.state == .ready
                }
            } catch {
                await second.stop()
                throw error
            }
            await second.stop()
        }
    }

    @Test func underJournaldAWorkersCriticalLineKeepsItsPriorityWithOneLevelAndNoTimestamp() async throws {
        try await withTemporaryDirectory { dir in
            // A worker that writes one critical line the way the worker's Logger does, then idles.
            let worker = "\(dir)/worker.sh"
            try "#!/bin/sh\necho '2026-12-03T23:41:06.123Z critical botvisor-worker gateway closed 4004'\nsleep 30\n"
                .writeAtomically(to: worker)
            chmod(worker, 0o755)
            try "[http]\nlisten = 127.0.0.1:\(try freePort())\n[paths]\nstate_dir = \(dir)/state\nruntime_dir = \(dir)/run\n"
                .writeAtomically(to: "\(dir)/b.conf")
            // stderr is a file whose device and inode JOURNAL_STREAM names, as systemd sets them for the journal.
            let log = "\(dir)/journal.txt"
            FileManager.default.createFile(atPath: log, contents: nil)
            var st = stat()
            stat(log, &st)
            var environment = ProcessInfo.processInfo.environment
            environment["JOURNAL_STREAM"] = "\(st.st_dev):\(st.st_ino)"
            let daemon = try BackgroundProcess("/bin/sh", ["-c", "exec '\(productPath("botvisord"))' --config '\(dir)/b.conf' --worker '\(worker)' 2>>'\(log)'"],
                                               environment: environment)
            do {
                let socket = "\(dir)/run/control.sock"
                try await eventually(timeout: .seconds(30), "the control socket") { FileManager.default.fileExists(atPath: socket) }
                #expect(try await ControlClient.send(ControlRequest(command: .botAdd, bots: ["alpha"], token: "tok"), socketPath: socket).ok)
                for _ in 0..<3 { _ = try await ControlClient.send(ControlRequest(command: .status), socketPath: socket) }
                var text = ""
                try await eventually(timeout: .seconds(60), "the worker's line in the journal") {
                    text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                    return text.contains("gateway closed 4004")
                }
                let lines = text.split(separator: "\n")
                let forwarded = try #require(lines.first { $0.contains("gateway closed 4004") })
                #expect(forwarded.hasPrefix("<2>critical botvisord bot=alpha "), "\(forwarded)")
                #expect(forwarded.hasSuffix("stream=worker botvisor-worker gateway closed 4004"), "\(forwarded)")
                // Every line has a priority and no timestamp; status calls are not at info.
                #expect(lines.allSatisfy { $0.hasPrefix("<") && !$0.contains("2026-12-03T23:41:06") }, "\(text)")
                #expect(lines.contains { $0.hasPrefix("<6>info botvisord") && $0.contains("command=bot.add") })
                #expect(!text.contains("command=status"))
            } catch {
                await daemon.stop()
                throw error
            }
            await daemon.stop()
        }
    }
}
