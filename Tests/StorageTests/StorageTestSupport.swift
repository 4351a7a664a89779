import Foundation
import Storage
import TestSupport

/// Runs `body` with the path of a database file in a fresh temporary directory.
func withDatabasePath<T>(_ body: (String) async throws -> T) async throws -> T {
    try await withTemporaryDirectory { directory in try await body(directory + "/botvisor.db") }
}

/// The single integer a query yields (`SELECT count(*) ...`).
func integer(_ db: Database, _ sql: String, _ bindings: Bindings = []) throws -> Int {
    guard let row = try db.first(sql, bindings) else { throw DatabaseError(.error, message: "no row", sql: sql) }
    return try row.decode(0)
}

/// A one-way gate between a test and closures blocked on database threads.
final class Gate: @unchecked Sendable {
    // because every access to `isOpen` and `arrivals` holds `condition`.
    private let condition = NSCondition()
    private var isOpen = false
    private var arrivals = 0

    /// Records that one more closure reached the gate.
    func arrive() {
        condition.lock()
        arrivals += 1
        condition.unlock()
    }

    var arrived: Int {
        condition.lock()
        defer { condition.unlock() }
        return arrivals
    }

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks the calling (database) thread until the gate opens; false if `timeout` passed first.
    func wait(timeout: TimeInterval = 30) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !isOpen {
            if !condition.wait(until: deadline) { return isOpen }
        }
        return true
    }
}
