import Foundation
import Glibc
import JSON
import Testing
import TestSupport
@testable import API
@testable import Control
@testable import Supervisor

/// The abuse and audit protections on a real botvisord, driven with curl, botvisorctl and the sqlite3 CLI.
@Suite(.serialized, .heavy) struct GuardDaemonTests {
    static let peers = Peer.curl.isAvailable && Peer.sqlite3.isAvailable

    /// curl, with `token` as a bearer header read from stdin (`-H @-`), never from argv.
    func curl(_ arguments: [String], as token: String? = nil) async throws -> ProcessResult {
        guard let token else { return try await runProcess(Peer.curl.path!, ["-s", "--max-time", testPatienceSeconds] + arguments) }
        return try await runProcess(Peer.curl.path!, ["-s", "--max-time", testPatienceSeconds, "-H", "@-"] + arguments,
                                    stdin: "Authorization: Bearer \(token)\n")
    }

    /// `curl -si`: the status code and the header block (lowercased names) of one exchange.
    func head(_ arguments: [String], as token: String? = nil) async throws -> (Int, String) {
        let result = try await curl(["-i"] + arguments, as: token)
        let status = result.stdout.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        let header = result.stdout.components(separatedBy: "\r\n\r\n").first ?? ""
        return (status, header.lowercased())
    }

    func ctl(_ h: DaemonHarness, _ arguments: [String]) async throws -> ProcessResult {
        try await runProcess(productPath("botvisorctl"), ["--config", h.config] + arguments)
    }

    func sqlite(_ h: DaemonHarness, _ sql: String) async throws -> String {
        let result = try await runProcess(Peer.sqlite3.path!, ["\(h.dir)/state/botvisor.db", sql])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.enabled(if: peers, "needs curl and sqlite3"))
    func crossSiteRequestsAreRefusedLifecycleCallsAreLimitedAndAuditedAndTamperingIsNamed() async throws {
        let config = """
            # (in the harness's [limits] section)
            # Refills one request per 15 minutes: however slow the machine, no token comes back during the test.
            lifecycle = 4/1h
            [http]
            cors_origins = https://dash.example.com
            """
        try await DaemonHarness.run(extraConfig: config) { h in
            try await h.waitForHTTP()
            let base = "http://127.0.0.1:\(h.httpPort)"
            let admin = try await h.adminToken()
            // A bot whose token must never show up in the audit log (lifecycle request 1 of 4).
            try await h.createBot("shop", token: "tok-shop-secret-4711")

            // Cross-site: a text/plain POST (a "simple" request a web page can send) and a foreign Host are refused.
            let text = try await curl(["-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Content-Type: text/plain",
                                       "--data", "{}", "\(base)/api/v1/bots/shop/stop"])
            #expect(text.stdout == "415")
            let rebinding = try await curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: attacker.example", "\(base)/api/v1/bots"])
            #expect(rebinding.stdout == "421")
            let foreign = try await curl(["-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Origin: https://evil.example",
                                          "\(base)/api/v1/bots/shop/stop"])
            #expect(foreign.stdout == "403")
            // ... and the daemon keeps serving.
            #expect(try await h.api(.get, "/api/v1/bots").0 == 200)

            // CORS only for the listed origin; its preflight is answered.
            let (_, listed) = try await head(["-H", "Origin: https://dash.example.com", "\(base)/api/v1/bots"])
            #expect(listed.contains("access-control-allow-origin: https://dash.example.com"))
            let (_, unlisted) = try await head(["-H", "Origin: https://evil.example", "\(base)/api/v1/bots"])
            #expect(!unlisted.contains("access-control-"))
            let (preflightStatus, preflight) = try await head(["-X", "OPTIONS", "-H", "Origin: https://dash.example.com",
                                                               "-H", "Access-Control-Request-Method: POST", "\(base)/api/v1/bots/shop/stop"])
            #expect(preflightStatus == 204)
            #expect(preflight.contains("access-control-allow-methods:"))

            // Lifecycle calls 2 to 4 pass; the fifth is 429 with Retry-After and the RateLimit fields.
            for action in ["stop", "start", "restart"] {
                let (status, _) = try await head(["-X", "POST", "\(base)/api/v1/bots/shop/\(action)"], as: admin)
                #expect((200..<300).contains(status), "\(action)")
            }
            let (limitedStatus, limited) = try await head(["-X", "POST", "\(base)/api/v1/bots/shop/stop"], as: admin)
            #expect(limitedStatus == 429)
            #expect(limited.contains("retry-after: "))
            #expect(limited.contains("ratelimit-policy: \"lifecycle\";q=4;w=3600"))
            #expect(limited.contains("ratelimit: \"lifecycle\";r=0;t="))
            let (_, limits) = try await h.api(.get, "/api/v1/limits")
            #expect(limits["limited"]?.array?.contains { $0["key"]?.string == "127.0.0.1" && $0["policy"]?.string == "lifecycle" } == true)

            // A viewer asking for the audit log is refused, and the refusal names the viewer's token.
            let viewer = try await h.newToken(role: "viewer")
            let (viewerStatus, _) = try await head(["\(base)/api/v1/audit"], as: viewer)
            #expect(viewerStatus == 403)

            // One audit row per lifecycle call, naming the principal the auth layer authenticated.
            let (_, stops) = try await h.api(.get, "/api/v1/audit?action=bot.stop&outcome=success")
            let stopEvents = stops["events"]?.array ?? []
            #expect(stopEvents.count == 1)
            #expect(stopEvents.first?["target"]?.string == "shop")
            #expect(stopEvents.first?["actor"]?.string == "token:e2e-admin")
            #expect(stopEvents.first?["address"]?.string == "127.0.0.1")
            let (_, creates) = try await h.api(.get, "/api/v1/audit?action=bot.create")
            #expect(creates["events"]?[0]?["target"]?.string == "shop")
            let (_, denied) = try await h.api(.get, "/api/v1/audit?action=access.denied")
            let deniedActors = (denied["events"]?.array ?? []).compactMap { $0["actor"]?.string }.sorted()
            // The foreign-origin POST was refused before authentication; the viewer by its role.
            #expect(deniedActors == ["anonymous", "token:e2e-viewer"], "\(denied)")

            // A change over the control socket is recorded as control:<uid>.
            #expect(try await ctl(h, ["stop", "shop"]).status == 0)
            let (_, control) = try await h.api(.get, "/api/v1/audit?actor=control:\(getuid())")
            #expect(control["events"]?[0]?["action"]?.string == "bot.stop")
            #expect(control["events"]?[0]?["target"]?.string == "shop")

            // Pagination follows the logs' conventions.
            let (_, first) = try await h.api(.get, "/api/v1/audit?limit=2")
            #expect(first["events"]?.array?.count == 2)
            let cursor = try #require(first["next_cursor"]?.string)
            let (_, second) = try await h.api(.get, "/api/v1/audit?limit=2&cursor=\(cursor)")
            #expect((second["events"]?[0]?["seq"]?.int ?? 0) < (first["events"]?[1]?["seq"]?.int ?? 0))
            #expect(try await h.api(.get, "/api/v1/audit?limit=501").0 == 400)

            // No secret anywhere in the log.
            let everything = try await curl(["\(base)/api/v1/audit?limit=500"], as: admin)
            #expect(!everything.stdout.contains("tok-shop-secret-4711"))
            #expect(!(try await sqlite(h, "SELECT * FROM audit_log")).contains("tok-shop-secret-4711"))

            // The chain verifies; an edit with the sqlite3 CLI is named; so is a deleted row.
            let intact = try await ctl(h, ["audit", "verify"])
            #expect(intact.status == 0 && intact.stdout.contains("intact"), "\(intact.stdout)\(intact.stderr)")
            let original = try await sqlite(h, "SELECT outcome FROM audit_log WHERE id = 2")
            let originalActor = try await sqlite(h, "SELECT actor FROM audit_log WHERE id = 2")
            _ = try await sqlite(h, "UPDATE audit_log SET outcome = 'success', actor = 'nobody' WHERE id = 2")
            let edited = try await ctl(h, ["audit", "verify"])
            #expect(edited.status == 1)
            #expect(edited.stdout.contains("BROKEN at row 2") && edited.stdout.contains("altered"), "\(edited.stdout)")
            _ = try await sqlite(h, "UPDATE audit_log SET outcome = '\(original)', actor = '\(originalActor)' WHERE id = 2")
            #expect(try await ctl(h, ["audit", "verify"]).status == 0)
            _ = try await sqlite(h, "DELETE FROM audit_log WHERE id = 3")
            let removed = try await ctl(h, ["audit", "verify", "--json"])
            #expect(removed.status == 1)
            let reply = try JSON.parse(removed.stdout)
            #expect(reply["verification"]?["first_bad_row"]?.int == 3)
            #expect(reply["error"]?["code"]?.string == "AUDIT_CHAIN_BROKEN")
            let listing = try await ctl(h, ["audit", "list", "--action", "bot.stop"])
            #expect(listing.status == 0 && listing.stdout.contains("control:\(getuid()) bot.stop shop"), "\(listing.stdout)")
            #expect(try await h.api(.get, "/api/v1/bots").0 == 200)
        }
    }

    @Test(.enabled(if: Peer.curl.isAvailable && Peer.openssl.isAvailable, "needs curl and openssl"))
    func theAPIServesHTTPSWithTheConfiguredCertificate() async throws {
        try await withTemporaryDirectory { pkiDir in
            let pki = try await TestPKI.make(in: pkiDir)
            let config = """
                [http]
                tls_certificate = \(pki.serverCertificate)
                tls_key = \(pki.serverKey)
                """
            try await DaemonHarness.run(extraConfig: config) { h in
                try await h.waitForHTTP()
                let admin = try await h.adminToken()
                let secure = try await curl(["-w", "\n%{http_code}", "--cacert", pki.caCertificate,
                                             "https://127.0.0.1:\(h.httpPort)/api/v1/bots"], as: admin)
                #expect(secure.status == 0, "\(secure.stderr)")
                #expect(secure.stdout.hasSuffix("\n200") && secure.stdout.hasPrefix("["), "\(secure.stdout)")
                // The name in the certificate works too (and localhost is an allowed Host).
                let byName = try await curl(["-o", "/dev/null", "-w", "%{http_code}", "--cacert", pki.caCertificate,
                                             "https://localhost:\(h.httpPort)/api/v1/bots"], as: admin)
                #expect(byName.stdout == "200")
                // Plain HTTP on the TLS port gets no answer, and a client that does not trust the CA refuses.
                let plain = try await curl(["-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(h.httpPort)/api/v1/bots"])
                #expect(plain.stdout != "200")
                let untrusted = try await curl(["-o", "/dev/null", "https://127.0.0.1:\(h.httpPort)/api/v1/bots"])
                #expect(untrusted.status != 0)
                // Still serving after both.
                let again = try await curl(["-o", "/dev/null", "-w", "%{http_code}", "--cacert", pki.caCertificate,
                                            "https://127.0.0.1:\(h.httpPort)/api/v1/bots"], as: admin)
                #expect(again.stdout == "200")
            }
        }
    }
}
