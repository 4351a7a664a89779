/// What an audit row records, by the names `GET /api/v1/audit?action=` filters on. Vocabulary, not
/// free text: the API's audit middleware and the daemon's control socket pick from these.
public struct AuditAction: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let authLogin = AuditAction("auth.login")
    public static let authLoginFailed = AuditAction("auth.login_failed")
    public static let authRefreshReused = AuditAction("auth.refresh_reused")
    public static let authLogout = AuditAction("auth.logout")
    public static let tokenCreate = AuditAction("token.create")
    public static let tokenRevoke = AuditAction("token.revoke")
    public static let keyRotate = AuditAction("key.rotate")
    /// `user.create`, `user.update`, `user.delete`, `user.passwd` ...
    public static func user(_ verb: String) -> AuditAction { AuditAction("user.\(verb)") }
    public static let botCreate = AuditAction("bot.create")
    public static let botUpdate = AuditAction("bot.update")
    public static let botDelete = AuditAction("bot.delete")
    public static let botStart = AuditAction("bot.start")
    public static let botStop = AuditAction("bot.stop")
    public static let botRestart = AuditAction("bot.restart")
    public static let botEnable = AuditAction("bot.enable")
    public static let botDisable = AuditAction("bot.disable")
    /// `bulk.start`, `bulk.stop`, `bulk.restart`, `bulk.messages`, `bulk.product_visibility`, `bulk.display_refresh`.
    public static func bulk(_ verb: String) -> AuditAction { AuditAction("bulk.\(verb)") }
    public static let jobCancel = AuditAction("job.cancel")
    /// Stock: `catalog.create|update|delete`.
    public static func catalog(_ verb: String) -> AuditAction { AuditAction("catalog.\(verb)") }
    /// `product.create|update|delete`, and `product.show|hide` for a change of visibility alone.
    public static func product(_ verb: String) -> AuditAction { AuditAction("product.\(verb)") }
    /// Quantities set: one product's alone, or many at once (`PUT .../stock`, `botvisorctl stock set`).
    public static let stockSet = AuditAction("stock.set")
    /// `display.create|update|delete|refresh`.
    public static func display(_ verb: String) -> AuditAction { AuditAction("display.\(verb)") }
    public static let configReload = AuditAction("config.reload")
    public static let backup = AuditAction("backup")
    public static let shutdown = AuditAction("shutdown")
    public static let accessDenied = AuditAction("access.denied")
    public static let rateLimited = AuditAction("rate.limited")
    /// Retention removed a prefix of the log (the row names where the chain now starts).
    public static let auditPruned = AuditAction("audit.pruned")

    /// Events a reviewer wants to see at warning priority in the journal.
    public var isWarning: Bool {
        [.authLoginFailed, .authRefreshReused, .accessDenied, .rateLimited].contains(self)
    }
}

/// How an audited action ended.
public enum AuditOutcome: String, Sendable, CaseIterable {
    case success
    case failure
    /// Refused by a rule (role, rate limit, origin), not by an error.
    case denied
}
