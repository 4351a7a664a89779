import Foundation
import Glibc
import HTTP
import IOCore
import JSON
import Testing
import TestSupport
@testable import API
@testable import Auth
@testable import Control
@testable import Fleet

/// Accounts, tokens and keys through a real botvisord, the real botvisorctl, real HTTP and the real PyJWT.
@Suite(.serialized, .heavy) struct AuthDaemonTests {
    static let pyjwt = PythonModule("jwt", pip: "pyjwt")
    static let password = "a long enough passphrase 42"

    static let client = HTTPClient()

    func http(_ h: DaemonHarness, _ method: HTTPMethod, _ path: String, token: String?, body: JSON? = nil) async throws -> (Int, JSON, HTTPHeaders) {
        var request = HTTPClientRequest(method: method, url: "http://127.0.0.1:\(h.httpPort)\(path)")
        if let token { request.headers.set("Authorization", "Bearer \(token)") }
        if let body {
            request.body = body.bytes
            request.headers.set("Content-Type", "application/json")
        }
        let response = try await Self.client.send(request, timeout: .seconds(30))
        return (response.status.code, response.body.isEmpty ? .null : ((try? JSON.parse(response.body)) ?? .null), response.headers)
    }

    /// `botvisorctl ARGS` with `stdin`.
    func ctl(_ h: DaemonHarness, _ args: [String], stdin: String? = nil) async throws -> ProcessResult {
        try await runProcess(productPath("botvisorctl"), ["--config", h.config] + args, stdin: stdin, timeout: .seconds(60))
    }

    /// Every process's command line, as `ps` would show them.
    func commandLines() -> String {
        var out = ""
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where entry.allSatisfy(\.isNumber) {
            if let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") {
                out += String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self) + "\n"
            }
        }
        return out
    }

    @Test(.enabled(pyjwt.missing) { await pyjwt.available() })
    func theCLIMakesAccountsAndTokensAndPyJWTInteroperatesWithTheDaemonBothWays() async throws {
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            // The first admin, over the control socket; the password on stdin, never argv.
            let added = try await ctl(h, ["user", "add", "root-admin", "--role", "admin"], stdin: Self.password + "\n")
            #expect(added.status == 0, "\(added.stderr)")
            #expect(!commandLines().contains(Self.password))
            let usage = try await ctl(h, ["user", "add", "x", "--role", "admin", "--password", "hunter2hunter2"])
            #expect(usage.status == 2 && usage.stderr.contains("never go on the command line"))
            let listed = try await ctl(h, ["user", "list"])
            #expect(listed.stdout.contains("root-admin") && listed.stdout.contains("admin") && !listed.stdout.contains("pbkdf2"))

            // Login over real HTTP.
            let (status, pair, _) = try await http(h, .post, "/api/v1/auth/login", token: nil,
                                                   body: ["username": "root-admin", "password": .string(Self.password)])
            #expect(status == 200)
            let access = try #require(pair["access_token"]?.string)
            #expect(try await http(h, .get, "/api/v1/bots", token: access).0 == 200)

            // PyJWT verifies botvisord's token with the key from the state directory (read by Python itself, so
            // the key never travels in argv), and mints one that botvisord accepts.
            let keyFile = "\(h.dir)/state/jwt.key"
            let verify = """
                import sys, json, jwt, base64
                line = [l.split() for l in open(sys.argv[1]) if l.startswith("current ")][0]
                key = base64.urlsafe_b64decode(line[2] + "=" * (-len(line[2]) % 4))
                token = sys.stdin.read().strip()
                assert jwt.get_unverified_header(token)["kid"] == line[1]
                claims = jwt.decode(token, key, algorithms=["HS256"], issuer="botvisord",
                                    options={"require": ["iss", "sub", "iat", "nbf", "exp", "jti"]})
                print(json.dumps(claims, sort_keys=True))
                """
            let verified = try await runProcess(Peer.python3.path!, ["-c", verify, keyFile], stdin: access, timeout: .seconds(30))
            #expect(verified.status == 0, "\(verified.stderr)")
            let claims = try JSON.parse(Array(verified.stdout.utf8))
            #expect(claims["sub"]?.string == "root-admin" && claims["role"]?.string == "admin" && claims["iss"]?.string == "botvisord")
            let mint = """
                import sys, json, jwt, base64, time, uuid
                line = [l.split() for l in open(sys.argv[1]) if l.startswith("current ")][0]
                key = base64.urlsafe_b64decode(line[2] + "=" * (-len(line[2]) % 4))
                now = int(time.time())
                claims = {"iss": "botvisord", "sub": "root-admin", "role": "viewer", "iat": now, "nbf": now, "exp": now + 300,
                          "jti": uuid.uuid4().hex}
                print(jwt.encode(claims, key, algorithm="HS256", headers={"kid": line[1]}))
                print(jwt.encode(claims, key, algorithm="HS512", headers={"kid": line[1]}))
                print(jwt.encode(claims, b"x" * 32, algorithm="HS256", headers={"kid": line[1]}))
                """
            let minted = try await runProcess(Peer.python3.path!, ["-c", mint, keyFile], timeout: .seconds(30))
            #expect(minted.status == 0, "\(minted.stderr)")
            let tokens = minted.stdout.split(separator: "\n").map(String.init)
            try #require(tokens.count == 3)
            let (meStatus, me, _) = try await http(h, .get, "/api/v1/auth/me", token: tokens[0])
            #expect(meStatus == 200 && me["subject"]?.string == "root-admin" && me["role"]?.string == "viewer")
            #expect(try await http(h, .post, "/api/v1/bots/x/stop", token: tokens[0]).0 == 403, "a viewer token from PyJWT is a viewer here")
            #expect(try await http(h, .get, "/api/v1/bots", token: tokens[1]).0 == 401, "PyJWT's HS512 is refused")
            #expect(try await http(h, .get, "/api/v1/bots", token: tokens[2]).0 == 401, "PyJWT's token under another key is refused")

            // API tokens through the CLI: printed once on stdout, listed without the secret, revoked for the next request.
            let created = try await ctl(h, ["token", "create", "--role", "viewer", "--name", "grafana", "--ttl", "90d"])
            #expect(created.status == 0, "\(created.stderr)")
            let apiToken = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(apiToken.hasPrefix("bva_") && apiToken.count == OpaqueToken.printedLength)
            #expect(try await http(h, .get, "/api/v1/bots", token: apiToken).0 == 200)
            let list = try await ctl(h, ["token", "list", "--json"])
            #expect(!list.stdout.contains(apiToken) && list.stdout.contains("grafana"))
            let id = try #require(try JSONDecoder().decode(ControlReply.self, from: Data(list.stdout.utf8)).tokens?.first { $0.name == "grafana" }?.id)
            #expect(try await ctl(h, ["token", "revoke", id]).status == 0)
            let (revokedStatus, revoked, _) = try await http(h, .get, "/api/v1/bots", token: apiToken)
            #expect(revokedStatus == 401 && revoked["error"]?["code"]?.string == "TOKEN_INVALID")

            // Key rotation: the old token keeps working, new tokens name the new key.
            let rotated = try await ctl(h, ["key", "rotate"])
            #expect(rotated.status == 0, "\(rotated.stderr)")
            #expect(try await http(h, .get, "/api/v1/bots", token: access).0 == 200)
            let (_, pair2, _) = try await http(h, .post, "/api/v1/auth/login", token: nil,
                                               body: ["username": "root-admin", "password": .string(Self.password)])
            let verifiedNew = try await runProcess(Peer.python3.path!, ["-c", verify, keyFile], stdin: pair2["access_token"]?.string ?? "",
                                                   timeout: .seconds(30))
            #expect(verifiedNew.status == 0, "PyJWT verifies a token of the rotated key: \(verifiedNew.stderr)")
            let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            // Password change over the CLI ends the account's tokens; disable and delete (with another admin
            // account beside it: the last enabled admin account cannot be disabled or deleted).
            #expect(try await ctl(h, ["user", "add", "spare-admin", "--role", "admin"], stdin: Self.password + "\n").status == 0)
            #expect(try await ctl(h, ["user", "passwd", "root-admin"], stdin: "another long passphrase\n").status == 0)
            #expect(try await http(h, .get, "/api/v1/bots", token: pair2["access_token"]?.string).0 == 401)
            #expect(try await ctl(h, ["user", "disable", "root-admin"]).status == 0)
            #expect(try await http(h, .post, "/api/v1/auth/login", token: nil,
                                   body: ["username": "root-admin", "password": "another long passphrase"]).0 == 401)
            #expect(try await ctl(h, ["user", "delete", "root-admin"]).status == 0)
            #expect(try await ctl(h, ["user", "delete", "root-admin"]).status == 1)

            // Nothing secret in the daemon's log: no password, no token, no key.
            _ = try await h.ctl(ControlRequest(command: .shutdown))
            let keyText = try String(contentsOfFile: keyFile, encoding: .utf8)
            let secrets = keyText.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: " ").dropFirst(2).first }.map(String.init)
            var log = ""
            while let line = try? await h.daemon.readLine(deadline: .now + .seconds(5)) { log += line + "\n" }
            #expect(log.contains("login"), "the log was read")
            for secret in [Self.password, "another long passphrase", access, apiToken, pair["refresh_token"]?.string ?? "bvr_"] + secrets {
                #expect(!log.contains(secret), "a secret reached the log")
            }
            #expect(!log.contains("bva_") && !log.contains("bvr_") && !log.contains("eyJ"))
        }
    }

    @Test func bruteForceLoginsHitTheLockoutWhileTheRestOfTheAPIStaysServed() async throws {
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            let admin = try await h.adminToken()
            #expect(try await ctl(h, ["user", "add", "target", "--role", "viewer"], stdin: Self.password + "\n").status == 0)
            // Guesses in parallel with reads: every read is served while the guesses are refused.
            let (lockedOut, reads) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                group.addTask {
                    var codes: [String] = []
                    for i in 0..<12 {
                        let (_, body, headers) = try await http(h, .post, "/api/v1/auth/login", token: nil,
                                                                body: ["username": "target", "password": .string("guess number \(i)")])
                        let code = body["error"]?["code"]?.string ?? "?"
                        codes.append(code)
                        if code == "LOGIN_LOCKED" {
                            #expect(Int(headers["Retry-After"] ?? "") ?? 0 >= 1)
                            return (i, 0)
                        }
                    }
                    Issue.record("no lockout after 12 guesses: \(codes)")
                    return (-1, 0)
                }
                group.addTask {
                    var served = 0
                    for _ in 0..<10 {
                        if try await http(h, .get, "/api/v1/bots", token: admin).0 == 200 { served += 1 }
                    }
                    return (-2, served)
                }
                var locked = -1, served = 0
                for try await (a, b) in group {
                    if a >= 0 { locked = a }
                    if a == -2 { served = b }
                }
                return (locked, served)
            }
            // 5 free failures, then the 6th locks: the 7th attempt (index 6) is refused unchecked.
            #expect(lockedOut == LoginThrottle.Policy.account.freeFailures + 1)
            #expect(reads == 10)
            // Even the right password is refused while locked; health and the API still answer.
            let (status, body, _) = try await http(h, .post, "/api/v1/auth/login", token: nil,
                                                   body: ["username": "target", "password": .string(Self.password)])
            #expect(status == 429 && body["error"]?["code"]?.string == "LOGIN_LOCKED")
            #expect(try await http(h, .get, "/api/v1/monitoring/health", token: nil).0 == 200)
        }
    }
}
