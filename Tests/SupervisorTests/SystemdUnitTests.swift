import Testing
import Foundation
import TestSupport

@Suite struct SystemdUnitTests {
    static let analyze = Peer("systemd-analyze", install: "apt-get install systemd")

    @Test(.enabled(if: analyze.isAvailable, analyze.missing))
    func theUnitPassesSystemdAnalyzeVerify() async throws {
        try await withTemporaryDirectory { dir in
            let unit = try String(contentsOfFile: "\(repositoryRoot())/systemd/botvisor.service", encoding: .utf8)
            // verify checks that ExecStart exists: point it at the binary we built.
            let local = unit.replacingOccurrences(of: "/usr/local/bin/botvisord", with: productPath("botvisord"))
            try local.write(toFile: "\(dir)/botvisor.service", atomically: true, encoding: .utf8)
            let result = try await runProcess(Self.analyze.path!, ["verify", "\(dir)/botvisor.service"], timeout: .seconds(60))
            #expect(result.status == 0, "systemd-analyze verify: \(result.stderr)")
            #expect(!result.stderr.contains("botvisor.service:"), "warnings: \(result.stderr)")
        }
    }

    @Test func theUnitDeclaresNotifyWatchdogReloadAndHardening() throws {
        let unit = try String(contentsOfFile: "\(repositoryRoot())/systemd/botvisor.service", encoding: .utf8)
        for line in ["Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID", "StateDirectory=botvisor",
                     "RuntimeDirectory=botvisor", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                     "PrivateTmp=yes", "User=botvisor"] {
            #expect(unit.contains(line), "missing \(line)")
        }
    }
}
