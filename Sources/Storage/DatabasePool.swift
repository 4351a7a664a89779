/// One writer connection and one read-only reader connection on the same WAL
/// database, each on its own thread, so reads (API requests) proceed while a
/// long write (a log batch) holds the write lock
/// (https://www.sqlite.org/wal.html §2.2: "readers do not block writers and a
/// writer does not block readers").
public struct DatabasePool: Sendable {
    public let writer: DatabaseQueue
    public let reader: DatabaseQueue

    /// Opens the writer first, which creates the file and switches it to WAL,
    /// then the reader read-only.
    public init(path: String, busyTimeout: Duration = .seconds(5)) async throws {
        writer = try await DatabaseQueue(path: path, flags: .readWriteCreate, busyTimeout: busyTimeout)
        do {
            reader = try await DatabaseQueue(path: path, flags: .readOnly, busyTimeout: busyTimeout)
        } catch {
            await writer.close()
            throw error
        }
    }

    /// Runs `body` on the reader, in a snapshot of the last committed state.
    public func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        try await reader.read(body)
    }

    /// Runs `body` on the writer in an IMMEDIATE transaction.
    public func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        try await writer.write(body)
    }

    @discardableResult
    public func migrate(_ migrator: Migrator) async throws -> [Int] {
        try await writer.migrate(migrator)
    }

    /// Closes the reader, then the writer (the last to close checkpoints the WAL).
    public func close() async {
        await reader.close()
        await writer.close()
    }
}
