import Testing
import Foundation
import TestSupport

/// scripts/install.sh into a scratch root with the debug binaries (the static release build and its
/// checks are scripts/test-install.sh: minutes on two cores, so not part of `swift test`).
@Suite struct InstallScriptTests {
    static let analyze = Peer("systemd-analyze", install: "apt-get install systemd")

    func install(into root: String) async throws -> ProcessResult {
        let binDir = URL(fileURLWithPath: productPath("botvisord")).deletingLastPathComponent().path
        return try await runProcess("\(repositoryRoot())/scripts/install.sh",
                                    ["--root", root, "--no-build", "--bin-dir", binDir, "--allow-dynamic"], timeout: .seconds(60))
    }

    @Test func theScriptInstallsBinariesConfigUnitAndDocsUnderTheRoot() async throws {
        try await withTemporaryDirectory { root in
            let result = try await install(into: root)
            #expect(result.status == 0, "\(result.stderr)")
            for program in ["botvisord", "botvisor-worker", "botvisorctl"] {
                #expect(FileManager.default.isExecutableFile(atPath: "\(root)/usr/local/bin/\(program)"), "\(program)")
            }
            for file in ["etc/botvisor/botvisor.conf", "etc/systemd/system/botvisor.service",
                         "usr/local/share/doc/botvisor/README.md"] {
                #expect(FileManager.default.fileExists(atPath: "\(root)/\(file)"), "\(file)")
            }
            let check = try await runProcess("\(root)/usr/local/bin/botvisord",
                                             ["--check-config", "\(root)/etc/botvisor/botvisor.conf"])
            #expect(check.status == 0, "\(check.stderr)")
        }
    }

    @Test func anUpgradeKeepsTheOperatorsConfig() async throws {
        try await withTemporaryDirectory { root in
            #expect(try await install(into: root).status == 0)
            let edited = "[http]\nlisten = 127.0.0.1:9999\n"
            try edited.writeAtomically(to: "\(root)/etc/botvisor/botvisor.conf")
            #expect(try await install(into: root).status == 0)
            #expect(try String(contentsOfFile: "\(root)/etc/botvisor/botvisor.conf", encoding: .utf8) == edited)
            #expect(FileManager.default.fileExists(atPath: "\(root)/etc/botvisor/botvisor.conf.dist"))
        }
    }

    @Test(.enabled(if: analyze.isAvailable, analyze.missing))
    func theInstalledUnitVerifiesAgainstTheInstalledBinaries() async throws {
        try await withTemporaryDirectory { root in
            #expect(try await install(into: root).status == 0)
            // verify needs the host's units (sysinit.target ...), so the unit is checked in place with its
            // paths moved under the scratch root: every ExecStart*= must name an installed executable.
            let unit = try String(contentsOfFile: "\(root)/etc/systemd/system/botvisor.service", encoding: .utf8)
            try FileManager.default.createDirectory(atPath: "\(root)/verify", withIntermediateDirectories: true)
            try unit.replacingOccurrences(of: "/usr/local/", with: "\(root)/usr/local/")
                .writeAtomically(to: "\(root)/verify/botvisor.service")
            let result = try await runProcess(Self.analyze.path!, ["verify", "\(root)/verify/botvisor.service"], timeout: .seconds(60))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(!result.stderr.contains("botvisor.service:"), "\(result.stderr)")
        }
    }

    @Test func uninstallRemovesBinariesAndUnitButKeepsTheConfig() async throws {
        try await withTemporaryDirectory { root in
            #expect(try await install(into: root).status == 0)
            let result = try await runProcess("\(repositoryRoot())/scripts/install.sh", ["--root", root, "--uninstall"])
            #expect(result.status == 0)
            #expect(!FileManager.default.fileExists(atPath: "\(root)/usr/local/bin/botvisord"))
            #expect(!FileManager.default.fileExists(atPath: "\(root)/etc/systemd/system/botvisor.service"))
            #expect(FileManager.default.fileExists(atPath: "\(root)/etc/botvisor/botvisor.conf"))
        }
    }
}
