import Foundation
import HTTP
import JSON
import Testing
import TestSupport
@testable import Control

/// The last enabled admin account through the real botvisorctl and real HTTP.
extension AuthDaemonTests {
    @Test func theLastEnabledAdminAccountCannotBeDisabledDemotedOrDeleted() async throws {
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            #expect(try await ctl(h, ["user", "add", "only-admin", "--role", "admin"], stdin: Self.password + "\n").status == 0)
            #expect(try await ctl(h, ["user", "add", "staff", "--role", "viewer"], stdin: Self.password + "\n").status == 0)
            for command in [["user", "disable", "only-admin"], ["user", "delete", "only-admin"]] {
                let refused = try await ctl(h, command)
                #expect(refused.status == 1, "\(command): \(refused.stdout) \(refused.stderr)")
                #expect(refused.stderr.contains("LAST_ADMIN") && refused.stderr.contains("only-admin is the last enabled admin account"),
                        "\(command): \(refused.stderr)")
            }
            // Over HTTP, as the admin itself: 409 LAST_ADMIN for a demotion, a disable and a delete; nothing changed.
            let (_, pair, _) = try await http(h, .post, "/api/v1/auth/login", token: nil,
                                              body: ["username": "only-admin", "password": .string(Self.password)])
            let access = try #require(pair["access_token"]?.string)
            let refused: [(HTTPMethod, JSON?)] = [(.patch, ["role": "operator"]), (.patch, ["enabled": false]), (.delete, nil)]
            for (method, body) in refused {
                let (status, answer, _) = try await http(h, method, "/api/v1/users/only-admin", token: access, body: body)
                #expect(status == 409 && answer["error"]?["code"]?.string == "LAST_ADMIN", "\(method) \(String(describing: body)): \(status) \(answer)")
            }
            #expect(try await http(h, .get, "/api/v1/bots", token: access).0 == 200, "the admin's token still works")
            // Other accounts are not concerned, and with a second admin the first may go.
            #expect(try await ctl(h, ["user", "disable", "staff"]).status == 0)
            #expect(try await ctl(h, ["user", "add", "second-admin", "--role", "admin"], stdin: Self.password + "\n").status == 0)
            #expect(try await ctl(h, ["user", "disable", "second-admin"]).status == 0)
            #expect(try await ctl(h, ["user", "delete", "only-admin"]).status == 1, "a disabled admin does not count")
            #expect(try await ctl(h, ["user", "enable", "second-admin"]).status == 0)
            let deleted = try await ctl(h, ["user", "delete", "only-admin"])
            #expect(deleted.status == 0, "\(deleted.stderr)")
        }
    }
}
