import IPC
import Storage

/// Stored as its raw value in `command_logs.outcome` and `command_totals.outcome`.
extension CommandOutcome: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .text(rawValue) }
    public init?(databaseValue: DatabaseValue) {
        guard case .text(let text) = databaseValue, let outcome = CommandOutcome(rawValue: text) else { return nil }
        self = outcome
    }
}
