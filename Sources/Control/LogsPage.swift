import Fleet
import IPC

/// Where `botvisorctl logs -f` has read up to: the last worker output line's sequence number and the
/// last command record's rowid (records get increasing rowids as they are committed, whatever their
/// `started_at`, so a record committed late is still seen once).
public struct LogCursor: Codable, Sendable, Equatable {
    public var output: UInt64
    public var record: Int64
    public init(output: UInt64, record: Int64) {
        self.output = output
        self.record = record
    }
}

/// One `logs` reply: worker output lines and command records after the request's cursor, oldest first.
public struct LogsPage: Codable, Sendable, Equatable {
    public var lines: [WorkerOutputLine]
    public var records: [CommandRecord]
    public var cursor: LogCursor
    public init(lines: [WorkerOutputLine], records: [CommandRecord], cursor: LogCursor) {
        self.lines = lines
        self.records = records
        self.cursor = cursor
    }
}
