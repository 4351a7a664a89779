/// What a control request asks for: the word on the wire (`{"command":"status"}`), typed so the
/// daemon's dispatch is exhaustive and the CLI, the server and the tests cannot disagree on a name.
public enum ControlCommand: String, Sendable, Codable, CaseIterable {
    case status
    case start
    case stop
    case restart
    case reload
    case shutdown
    case botList = "bot.list"
    case botAdd = "bot.add"
    case botSet = "bot.set"
    case botEnable = "bot.enable"
    case botDisable = "bot.disable"
    case botRemove = "bot.remove"
    /// A consistent copy of the database and the token key (`botvisorctl backup FILE`).
    case backup
    /// A bot's recent worker output and command records after a cursor (`botvisorctl logs`).
    case logs
    /// Accounts for the HTTP API (`botvisorctl user ...`): the password travels in the request body, never argv.
    case userAdd = "user.add"
    case userList = "user.list"
    case userPasswd = "user.passwd"
    case userDisable = "user.disable"
    case userEnable = "user.enable"
    case userDelete = "user.delete"
    /// Long-lived API tokens (`botvisorctl token ...`); `token.create` answers the token once.
    case tokenCreate = "token.create"
    case tokenList = "token.list"
    case tokenRevoke = "token.revoke"
    /// A new JWT signing key; the previous one verifies until its tokens expire (`botvisorctl key rotate`).
    case keyRotate = "key.rotate"
    /// Walks the audit log's hash chain and names the first row altered or removed (`botvisorctl audit verify`).
    case auditVerify = "audit.verify"
    /// The newest audit rows, filtered (`botvisorctl audit list`).
    case auditList = "audit.list"
    /// Stock: list products, show or hide SKUs, set a quantity (`botvisorctl stock ...`).
    case stockList = "stock.list"
    case stockShow = "stock.show"
    case stockHide = "stock.hide"
    case stockSet = "stock.set"
    /// Stock displays: list them, re-render them (`botvisorctl display ...`).
    case displayList = "display.list"
    case displayRefresh = "display.refresh"

    /// Routine reads (a `watch botvisorctl status`, `logs -f` polling) that the daemon logs at debug, not info.
    public var isRoutine: Bool {
        switch self {
        case .status, .botList, .logs, .userList, .tokenList, .auditList, .stockList, .displayList: true
        default: false
        }
    }

    /// Commands that act on each named bot and answer one result per name.
    public var actsOnEachBot: Bool {
        switch self {
        case .start, .stop, .restart: true
        default: false
        }
    }
}
