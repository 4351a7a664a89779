import IPC

/// Receives command records from workers; returns once they are durable.
public protocol CommandRecordSink: Sendable {
    func store(_ records: [CommandRecord]) async throws
}
