import HTTP
import JSON
import Testing
@testable import API
@testable import Store

/// The last enabled admin account over HTTP: it cannot be deleted, disabled or demoted, whoever asks.
extension AuthAPITests {
    @Test func deletingDisablingOrDemotingTheLastEnabledAdminAccountIs409LastAdmin() async throws {
        try await withAPI { api in
            let token = try await TestAuth.token(api.auth)
            _ = try await api.auth.createAccount(name: "root", role: "admin", password: Self.password)
            _ = try await api.auth.createAccount(name: "staff", role: "operator", password: Self.password)
            let refused: [(HTTPMethod, JSON?)] = [(.patch, ["role": "operator"]), (.patch, ["enabled": false]),
                                                  (.patch, ["role": "viewer", "enabled": false]), (.delete, nil)]
            for (method, body) in refused {
                let r = await api.send(method, "/api/v1/users/root", token: token, body: body)
                #expect(r.status == 409 && api.code(r) == "LAST_ADMIN", "\(method) \(String(describing: body)): \(r.status) \(r.json)")
                #expect(r.json["error"]?["message"]?.string?.contains("root is the last enabled admin account") == true)
            }
            let root = try #require(try await api.store.account(named: "root"))
            #expect(root.role == "admin" && root.enabled, "nothing changed")
            // What keeps it an enabled admin is allowed: a password change, enabled = true, role admin.
            #expect(await api.send(.patch, "/api/v1/users/root", token: token, body: ["role": "admin", "enabled": true]).status == 200)
            // Other accounts are not concerned.
            #expect(await api.send(.patch, "/api/v1/users/staff", token: token, body: ["enabled": false]).status == 200)
            #expect(await api.send(.delete, "/api/v1/users/staff", token: token).status == 204)
            // A disabled admin does not count; an enabled second admin does.
            _ = try await api.auth.createAccount(name: "second", role: "admin", password: Self.password)
            #expect(await api.send(.patch, "/api/v1/users/second", token: token, body: ["enabled": false]).status == 200)
            #expect(api.code(await api.send(.delete, "/api/v1/users/root", token: token)) == "LAST_ADMIN")
            #expect(await api.send(.patch, "/api/v1/users/second", token: token, body: ["enabled": true]).status == 200)
            #expect(await api.send(.patch, "/api/v1/users/root", token: token, body: ["role": "viewer"]).status == 200)
            #expect(api.code(await api.send(.delete, "/api/v1/users/second", token: token)) == "LAST_ADMIN")
        }
    }

    @Test func twoAdminsRemovingEachOtherAtOnceCannotBothSucceed() async throws {
        try await withAPI { api in
            _ = try await api.auth.createAccount(name: "a1", role: "admin", password: Self.password)
            _ = try await api.auth.createAccount(name: "a2", role: "admin", password: Self.password)
            let token = try await TestAuth.token(api.auth)
            async let first = api.send(.delete, "/api/v1/users/a1", token: token)
            async let second = api.send(.patch, "/api/v1/users/a2", token: token, body: ["enabled": false])
            let statuses = [await first.status, await second.status].sorted()
            #expect(statuses == [200, 409] || statuses == [204, 409], "\(statuses)")
            let admins = try await api.store.accounts().filter { $0.role == "admin" && $0.enabled }
            #expect(admins.count == 1)
        }
    }
}
