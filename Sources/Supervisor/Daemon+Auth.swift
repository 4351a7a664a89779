import API
import Control
import IPC

extension Daemon {
    /// The control socket's account, token and key commands. The socket is the local root of trust
    /// (file mode and SO_PEERCRED decide who reaches it): it makes the first admin account and the first
    /// tokens. Each goes through the same `Authenticator` functions as the admin HTTP routes, so both
    /// check the same rules with the same messages.
    func handleAuth(_ request: ControlRequest, authenticator auth: Authenticator, peer uid: UInt32) async -> ControlReply {
        func named() throws(APIError) -> String {
            guard let name = request.name, !name.isEmpty else { throw APIError.validation([.init("name", "required")]) }
            return name
        }
        func password() throws(APIError) -> String {
            guard let password = request.password else { throw APIError.validation([.init("password", "required")]) }
            return password
        }
        do {
            switch request.command {
            case .userAdd:
                let account = try await auth.createAccount(name: try named(), role: request.role ?? "", password: try password())
                return reply(users: [account], message: "account \(account.name) added (\(account.role))")
            case .userList:
                return reply(users: try await auth.listAccounts(), message: nil)
            case .userPasswd:
                let account = try await auth.updateAccount(name: try named(), password: try password())
                return reply(users: [account], message: "password of \(account.name) changed; its tokens issued before no longer work")
            case .userDisable, .userEnable:
                let enable = request.command == .userEnable
                let account = try await auth.updateAccount(name: try named(), enabled: enable)
                return reply(users: [account], message: "account \(account.name) \(enable ? "enabled" : "disabled")")
            case .userDelete:
                let name = try named()
                try await auth.deleteAccount(name: name)
                return .success(message: "account \(name) deleted")
            case .tokenCreate:
                let token = try await auth.createToken(name: try named(), role: request.role ?? "", lifetimeSeconds: request.ttlSeconds,
                                                       createdBy: "control:\(uid)")
                var out = ControlReply(ok: true, message: "API token \(token.id) (\(token.name), \(token.role)) created")
                out.tokens = [summary(token)]
                return out
            case .tokenList:
                var out = ControlReply(ok: true)
                out.tokens = try await auth.listTokens().map(summary)
                return out
            case .tokenRevoke:
                let token = try await auth.revokeToken(id: try named())
                return .success(message: "API token \(token.id) (\(token.name)) revoked")
            case .keyRotate:
                let kid = try auth.rotateKey()
                return .success(message: "signing key \(kid) is current; the previous key verifies the tokens it signed until they expire")
            default:
                return .failure(.unknownCommand, "not an account, token or key command")
            }
        } catch let error as APIError {
            var failure = ControlReply.failure(error.code, error.message)
            if !error.fields.isEmpty {
                failure.error?.fields = error.fields.map { .init($0.field, $0.message) }
            }
            return failure
        } catch {
            return .failure(.internal, "\(error)")
        }
    }

    private func reply(users: [Authenticator.AccountView], message: String?) -> ControlReply {
        var out = ControlReply(ok: true, message: message)
        out.users = users.map { AccountSummary(name: $0.name, role: $0.role, enabled: $0.enabled, createdAt: $0.created_at, lastLoginAt: $0.last_login_at) }
        return out
    }

    private func summary(_ t: Authenticator.TokenView) -> APITokenSummary {
        APITokenSummary(id: t.id, name: t.name, role: t.role, createdAt: t.created_at, expiresAt: t.expires_at, revokedAt: t.revoked_at,
                        createdBy: t.created_by, token: t.token)
    }
}
