import Storage
import Testing

/// Thrown by test bodies to force a rollback.
struct Abandon: Error {}

@Suite struct TransactionTests {
    @Test func aThrowingTransactionLeavesNoRows() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(v)")
            #expect(throws: Abandon.self) {
                try db.transaction { db in
                    for v in 0..<10 { try db.execute("INSERT INTO t VALUES (?)", [v]) }
                    #expect(db.isInTransaction)
                    throw Abandon()
                }
            }
            #expect(!db.isInTransaction)
            #expect(try integer(db, "SELECT count(*) FROM t") == 0)
            // The connection is usable again and commits normally.
            try db.transaction { db in try db.execute("INSERT INTO t VALUES (?)", [1]) }
            #expect(try integer(db, "SELECT count(*) FROM t") == 1)
        }
    }

    @Test func aTransactionReturnsItsBodysValueAfterCommitting() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v)")
            let id = try db.transaction { db in
                try db.execute("INSERT INTO t(v) VALUES (?)", ["x"])
                return db.lastInsertRowID
            }
            #expect(id == 1)
            // A second connection sees it, so it was committed.
            let other = try Database(path: path)
            #expect(try integer(other, "SELECT count(*) FROM t") == 1)
        }
    }

    @Test func aNestedTransactionThatThrowsUndoesOnlyItsOwnWork() async throws {
        try await withDatabasePath { path in
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(v)")
            try db.transaction { db in
                try db.execute("INSERT INTO t VALUES (?)", ["outer"])
                #expect(throws: Abandon.self) {
                    try db.transaction { db in
                        try db.execute("INSERT INTO t VALUES (?)", ["inner"])
                        throw Abandon()
                    }
                }
                try db.transaction { db in
                    try db.execute("INSERT INTO t VALUES (?)", ["kept"])
                }
            }
            #expect(try db.query("SELECT v FROM t ORDER BY rowid").map { $0[0] } == [.text("outer"), .text("kept")])
        }
    }

    @Test func anImmediateTransactionMakesAnotherConnectionsWriteFailWithBusy() async throws {
        try await withDatabasePath { path in
            let holder = try Database(path: path)
            try holder.execute("CREATE TABLE t(v)")
            let queue = try await DatabaseQueue(path: path, busyTimeout: .milliseconds(200))
            // https://www.sqlite.org/lang_transaction.html: IMMEDIATE takes the write lock at BEGIN.
            try holder.execute("BEGIN IMMEDIATE")
            let error = await #expect(throws: DatabaseError.self) {
                try await queue.write { db in try db.execute("INSERT INTO t VALUES (?)", [1]) }
            }
            #expect(error?.resultCode == .busy)
            #expect(error?.isBusy == true)
            #expect(error?.sql == "BEGIN IMMEDIATE TRANSACTION")
            try holder.execute("COMMIT")
            // With the lock released the same write goes through.
            try await queue.write { db in try db.execute("INSERT INTO t VALUES (?)", [1]) }
            #expect(try integer(holder, "SELECT count(*) FROM t") == 1)
            await queue.close()
        }
    }
}
