import Testing
import Foundation
import IOCore
import TestSupport

/// What a person sees from the executables: versions and error messages, not Swift error dumps.
@Suite struct CommandLineTests {
    @Test(arguments: ["botvisord", "botvisor-worker", "botvisorctl", "botvisor-sim"])
    func everyBinaryPrintsItsVersion(program: String) async throws {
        let result = try await runProcess(productPath(program), ["--version"], environment: [:])
        #expect(result.status == 0)
        // `botvisord 0.1.0 (development build)` or `botvisord 0.1.0 (git abc1234, 2026-12-03)`
        let pattern = try Regex("^\(program) [0-9]+\\.[0-9]+\\.[0-9]+ \\((development build|git [0-9a-f]+(-dirty)?(, [0-9-]+)?)\\)\n$")
        #expect(result.stdout.wholeMatch(of: pattern) != nil, "\(result.stdout)")
    }

    @Test func checkConfigOfAMissingFileNamesThePathAndTheReason() async throws {
        let result = try await runProcess(productPath("botvisord"), ["--check-config", "/nonexistent.conf"])
        #expect(result.status == 78)
        #expect(result.stderr == "botvisord: /nonexistent.conf: cannot read: No such file or directory\n")
    }

    @Test func checkConfigWithoutAPathIsAUsageError() async throws {
        let result = try await runProcess(productPath("botvisord"), ["--check-config"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("botvisord: --check-config needs the PATH of a configuration file\n"))
    }

    @Test func checkConfigRejectsAGroupThatDoesNotExist() async throws {
        try await withTemporaryDirectory { dir in
            try "[control]\ngroup = no-such-group-botvisor\n".writeAtomically(to: "\(dir)/b.conf")
            let result = try await runProcess(productPath("botvisord"), ["--check-config", "\(dir)/b.conf"])
            #expect(result.status == 78)
            #expect(result.stderr.contains("no group named `no-such-group-botvisor`"))
        }
    }

    @Test func botvisorctlWithAMissingConfigSaysSo() async throws {
        let result = try await runProcess(productPath("botvisorctl"), ["--config", "/nonexistent.conf", "status"])
        #expect(result.status == 2)
        #expect(result.stderr == "botvisorctl: /nonexistent.conf: cannot read: No such file or directory\n")
    }

    @Test func botvisorctlThatFindsNoDaemonListsEveryPathItTriedAndHints() async throws {
        try await withTemporaryDirectory { dir in
            // Run in an empty directory so ./botvisor-data does not exist.
            let result = try await runProcess("/bin/sh", ["-c", "cd '\(dir)' && exec '\(productPath("botvisorctl"))' status"], environment: [:])
            #expect(result.status == 4)
            #expect(result.stderr.contains("/run/botvisor/control.sock"))
            #expect(result.stderr.contains("./botvisor-data/control.sock: does not exist"))
            #expect(result.stderr.contains("is botvisord running? try --socket PATH"))
        }
    }

    @Test func aTakenHTTPPortSaysHowToChooseAnother() async throws {
        let taken = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        defer { taken.close() }
        try await withTemporaryDirectory { dir in
            try "[http]\nlisten = 127.0.0.1:\(taken.port)\n[paths]\nstate_dir = \(dir)/state\nruntime_dir = \(dir)/run\n"
                .writeAtomically(to: "\(dir)/b.conf")
            let result = try await runProcess(productPath("botvisord"), ["--config", "\(dir)/b.conf"], timeout: .seconds(60))
            #expect(result.status == 1)
            #expect(result.stderr.contains("the port is taken"), "\(result.stderr)")
            #expect(result.stderr.contains("[http] listen = 127.0.0.1:PORT"))
        }
    }
}
