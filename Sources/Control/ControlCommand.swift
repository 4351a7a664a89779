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
        case .status, .botList, .logs, .stockList, .displayList: true
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
