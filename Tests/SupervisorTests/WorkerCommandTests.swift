import Testing
import Foundation
import Glibc
import DiscordSim
import TestSupport
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store
@testable import Supervisor

/// How botvisord finds the program it spawns for each bot.
@Suite struct WorkerCommandTests {
    @Test func aWorkerBinaryBesideTheDaemonIsPreferred() async throws {
        try await withTemporaryDirectory { dir in
            _ = FileManager.default.createFile(atPath: "\(dir)/botvisor-worker", contents: Data("#!/bin/sh\n".utf8),
                                           attributes: [.posixPermissions: 0o755])
            let command = try WorkerCommand.resolve(explicit: nil, daemonExecutable: "\(dir)/botvisord")
            #expect(command == WorkerCommand(path: "\(dir)/botvisor-worker"))
        }
    }

    @Test func withoutAWorkerBinaryTheDaemonRunsItselfInWorkerMode() async throws {
        try await withTemporaryDirectory { dir in
            let command = try WorkerCommand.resolve(explicit: nil, daemonExecutable: "\(dir)/botvisord")
            #expect(command == WorkerCommand(path: "\(dir)/botvisord", leadingArguments: ["worker"]))
        }
    }

    @Test func anExplicitWorkerThatDoesNotExistIsAnErrorNamingThePath() async throws {
        #expect(throws: WorkerCommand.NotFound.self) { try WorkerCommand.resolve(explicit: "/nonexistent/worker", daemonExecutable: "/x/botvisord") }
        let result = try await runProcess(productPath("botvisord"), ["--worker", "/nonexistent/worker"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("/nonexistent/worker") && result.stderr.contains("No such file or directory"), "\(result.stderr)")
    }

    /// `swift run botvisord --demo` on a fresh clone builds botvisord alone: a
    /// daemon with no botvisor-worker beside it must still bring its bots up.
    @Test(.heavy) func aDaemonAloneInItsDirectoryBringsABotToReadyByRunningItselfAsTheWorker() async throws {
        try await withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: "\(dir)/bin", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: productPath("botvisord"), toPath: "\(dir)/bin/botvisord")
            let sim = try DiscordSimulator(configuration: DiscordSimulator.Configuration())
            try """
                [http]
                listen = 127.0.0.1:0
                [paths]
                state_dir = \(dir)/state
                runtime_dir = \(dir)/run
                [discord]
                api_base = \(sim.apiBase)
                """.writeAtomically(to: "\(dir)/botvisor.conf")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await sim.run() }
                let daemon = try BackgroundProcess("\(dir)/bin/botvisord", ["--config", "\(dir)/botvisor.conf"])
                defer { group.cancelAll() }
                do {
                    let control = "\(dir)/run/control.sock"
                    try await eventually(timeout: .seconds(30), "the control socket") { FileManager.default.fileExists(atPath: control) }
                    await sim.addBot(name: "lone", token: "tok-lone")
                    // The first command right after start must work (the daemon may still be loading its bots).
                    let added = try await ControlClient.send(ControlRequest(command: .botAdd, bots: ["lone"], token: "tok-lone"), socketPath: control)
                    #expect(added.ok, "\(added)")
                    var pid: Int32?
                    try await eventually(timeout: .seconds(60), "lone ready") {
                        let status = try? await ControlClient.send(ControlRequest(command: .status, bots: ["lone"]), socketPath: control).bots?.first
                        pid = status?.pid
                        return status?.state == .ready
                    }
                    let cmdline = try String(contentsOfFile: "/proc/\(try #require(pid))/cmdline", encoding: .utf8).split(separator: "\0")
                    #expect(cmdline.prefix(2) == ["\(dir)/bin/botvisord", "worker"])
                } catch {
                    await daemon.stop()
                    await sim.shutdown()
                    throw error
                }
                await daemon.stop()
                await sim.shutdown()
            }
        }
    }
}
