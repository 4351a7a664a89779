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
    /// `bulk.start`, `bulk.stop`, `bulk.restart`, `bulk.messages`.
    public static func bulk(_ verb: String) -> AuditAction { AuditAction("bulk.\(verb)") }
    public static let jobCancel = AuditAction("job.cancel")
    /// Stock (issue 14): a product's quantity or visibility changed, displays re-rendered.
    public static let stockChange = AuditAction("stock.change")
    public static let displayRefresh = AuditAction("display.refresh")
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
