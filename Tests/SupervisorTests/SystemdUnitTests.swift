import Testing
import Foundation
import TestSupport

@Suite struct SystemdUnitTests {
    static let analyze = Peer("systemd-analyze", install: "apt-get install systemd")
    /// `systemd-analyze security --offline=yes` exposure of the shipped unit; lower is better. It was 1.8
    /// before ProtectProc=invisible, ProcSubset=pid, PrivateMounts=yes and RemoveIPC=yes.
    static let maximumExposure = 1.5

    static func unitText() throws -> String {
        try String(contentsOfFile: "\(repositoryRoot())/systemd/botvisor.service", encoding: .utf8)
    }

    @Test(.enabled(if: analyze.isAvailable, analyze.missing))
    func theUnitPassesSystemdAnalyzeVerify() async throws {
        try await withTemporaryDirectory { dir in
            // verify checks that ExecStartPre= and ExecStart= exist: point them at the binary we built.
            let local = try Self.unitText().replacingOccurrences(of: "/usr/local/bin/botvisord", with: productPath("botvisord"))
            try local.writeAtomically(to: "\(dir)/botvisor.service")
            let result = try await runProcess(Self.analyze.path!, ["verify", "\(dir)/botvisor.service"], timeout: .seconds(60))
            #expect(result.status == 0, "systemd-analyze verify: \(result.stderr)")
            #expect(!result.stderr.contains("botvisor.service:"), "warnings: \(result.stderr)")
        }
    }

    @Test(.enabled(if: analyze.isAvailable, analyze.missing))
    func theUnitsSecurityExposureIsAtMostOnePointFive() async throws {
        let result = try await runProcess(Self.analyze.path!,
                                          ["security", "--offline=yes", "--no-pager", "\(repositoryRoot())/systemd/botvisor.service"],
                                          timeout: .seconds(60))
        let output = result.stdout + result.stderr
        // "→ Overall exposure level for botvisor.service: 1.5 OK 🙂"
        let line = output.split(separator: "\n").first { $0.contains("Overall exposure level") }
        let score = line.flatMap { $0.split(separator: ":").last?.split(separator: " ").first }.flatMap { Double($0) }
        #expect(score != nil, "no exposure level in: \(output)")
        if let score { #expect(score <= Self.maximumExposure, "exposure \(score): \(output)") }
    }

    @Test func theUnitDeclaresNotifyWatchdogReloadAndHardening() throws {
        let unit = try Self.unitText()
        for line in ["Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID", "StateDirectory=botvisor",
                     "RuntimeDirectory=botvisor", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                     "PrivateTmp=yes", "User=botvisor", "ProtectProc=invisible", "ProcSubset=pid"] {
            #expect(unit.contains(line), "missing \(line)")
        }
    }

    @Test func aBadConfigurationIsCheckedBeforeStartAndNotRestarted() throws {
        let unit = try Self.unitText()
        #expect(unit.contains("\nRestartPreventExitStatus=78\n"))
        #expect(unit.contains("\nExecStartPre=/usr/local/bin/botvisord --check-config /etc/botvisor/botvisor.conf\n"))
    }

    @Test func anAdminGroupCanReachTheControlSocket() throws {
        let unit = try Self.unitText()
        // The runtime directory must be searchable by others for a `[control] group` member to connect.
        let mode = unit.split(separator: "\n").first { $0.hasPrefix("RuntimeDirectoryMode=") }.map { $0.dropFirst("RuntimeDirectoryMode=".count) }
        let bits = mode.flatMap { Int($0, radix: 8) }
        #expect(bits != nil && bits! & 0o001 != 0, "RuntimeDirectoryMode=\(mode ?? "none")")
        #expect(unit.contains("SupplementaryGroups="))
    }

    @Test func theDocumentationLinkIsAFileTheInstallScriptCreates() throws {
        let unit = try Self.unitText()
        let script = try String(contentsOfFile: "\(repositoryRoot())/scripts/install.sh", encoding: .utf8)
        #expect(unit.contains("Documentation=file:///usr/local/share/doc/botvisor/README.md"))
        #expect(script.contains("share/doc/botvisor"))
    }
}
