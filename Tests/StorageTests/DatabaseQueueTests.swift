import Foundation
import Storage
import Testing
import TestSupport

@Suite struct DatabaseQueueTests {
    @Test func everyCallRunsOnTheQueuesOneThread() async throws {
        try await withDatabasePath { path in
            let queue = try await DatabaseQueue(path: path)
            let threads = try await withThrowingTaskGroup(of: pthread_t.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        i.isMultiple(of: 2)
                            ? try await queue.read { _ in pthread_self() }
                            : try await queue.write { _ in pthread_self() }
                    }
                }
                return try await group.reduce(into: Set<pthread_t>()) { $0.insert($1) }
            }
            #expect(threads.count == 1)
            await queue.close()
        }
    }

    @Test func blockedQueuesDoNotStarveTheCooperativePool() async throws {
        try await withTemporaryDirectory { directory in
            // More blocked queues than the cooperative pool has threads: if their
            // work ran on the pool, no task could run to open the gate.
            let count = ProcessInfo.processInfo.activeProcessorCount + 1
            var queues: [DatabaseQueue] = []
            for i in 0..<count { queues.append(try await DatabaseQueue(path: "\(directory)/\(i).db")) }
            let gate = Gate()
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for queue in queues {
                    group.addTask {
                        try await queue.writeWithoutTransaction { _ in
                            gate.arrive()
                            return gate.wait()
                        }
                    }
                }
                do {
                    try await eventually("every queue to block") { gate.arrived == count }
                } catch {
                    gate.open()
                    throw error
                }
                gate.open()
                for try await opened in group { #expect(opened) }
            }
            for queue in queues { await queue.close() }
        }
    }

    @Test func writesCommitAndReadsSeeThem() async throws {
        try await withDatabasePath { path in
            let queue = try await DatabaseQueue(path: path)
            var migrator = Migrator()
            migrator.register(version: 1, name: "bots", sql: "CREATE TABLE bots(id INTEGER PRIMARY KEY, name TEXT)")
            #expect(try await queue.migrate(migrator) == [1])
            let id = try await queue.write { db in
                try db.execute("INSERT INTO bots(name) VALUES (?)", ["shop"])
                return db.lastInsertRowID
            }
            let rows = try await queue.read { db in try db.query("SELECT id, name FROM bots") }
            #expect(rows == [Row(columnNames: ["id", "name"], values: [.integer(id), .text("shop")])])
            await queue.close()
        }
    }

    @Test func aReadCannotWrite() async throws {
        try await withDatabasePath { path in
            let queue = try await DatabaseQueue(path: path)
            try await queue.write { db in try db.execute("CREATE TABLE t(v)") }
            let error = await #expect(throws: DatabaseError.self) {
                try await queue.read { db in try db.execute("INSERT INTO t VALUES (?)", [1]) }
            }
            #expect(error?.resultCode == .readOnly)
            // Writes still work afterwards: query_only was switched back off.
            try await queue.write { db in try db.execute("INSERT INTO t VALUES (?)", [1]) }
            #expect(try await queue.read { db in try integer(db, "SELECT count(*) FROM t") } == 1)
            await queue.close()
        }
    }

    @Test func aClosedQueueRefusesWork() async throws {
        try await withDatabasePath { path in
            let queue = try await DatabaseQueue(path: path)
            await queue.close()
            let error = await #expect(throws: DatabaseError.self) { try await queue.read { _ in 1 } }
            #expect(error?.resultCode == .misuse)
        }
    }

    @Test func thePoolReaderReadsWhileTheWriterHoldsATransaction() async throws {
        try await withDatabasePath { path in
            let pool = try await DatabasePool(path: path)
            try await pool.write { db in try db.execute("CREATE TABLE t(v)") }
            let inserted = Gate()
            let readDone = Gate()
            async let writerSawReadFinish = pool.write { db in
                try db.execute("INSERT INTO t VALUES (?)", [1])
                inserted.arrive()
                return readDone.wait()
            }
            do {
                try await eventually("the writer to insert") { inserted.arrived == 1 }
            } catch {
                readDone.open()
                throw error
            }
            // WAL: the reader is not blocked by the open write and sees the last commit, not the insert.
            let during = try await pool.read { db in try integer(db, "SELECT count(*) FROM t") }
            readDone.open()
            #expect(during == 0)
            #expect(try await writerSawReadFinish)
            #expect(try await pool.read { db in try integer(db, "SELECT count(*) FROM t") } == 1)
            await pool.close()
        }
    }

    @Test func thePoolReaderConnectionIsReadOnly() async throws {
        try await withDatabasePath { path in
            let pool = try await DatabasePool(path: path)
            try await pool.write { db in try db.execute("CREATE TABLE t(v)") }
            let error = await #expect(throws: DatabaseError.self) {
                try await pool.reader.writeWithoutTransaction { db in try db.execute("INSERT INTO t VALUES (?)", [1]) }
            }
            #expect(error?.resultCode == .readOnly)
            await pool.close()
        }
    }

    /// A read on the read-only connection refuses writes without `PRAGMA query_only`, whose every change
    /// expires the connection's prepared statements: its cached SELECT is not compiled again per read.
    @Test func readsOnTheReaderKeepTheirCompiledStatements() async throws {
        try await withDatabasePath { path in
            let pool = try await DatabasePool(path: path)
            try await pool.write { db in try db.execute("CREATE TABLE t(v)") }
            for value in 1...3 {
                let recompiled = try await pool.read { db in
                    let statement = try db.cachedStatement("SELECT count(*) FROM t WHERE v = ?")
                    try statement.bind([value])
                    defer { statement.reset() }
                    _ = try statement.step()
                    return statement.reprepareCount
                }
                #expect(recompiled == 0, "read \(value)")
            }
            let error = await #expect(throws: DatabaseError.self) {
                try await pool.read { db in try db.execute("INSERT INTO t VALUES (?)", [1]) }
            }
            #expect(error?.resultCode == .readOnly)
            await pool.close()
        }
    }
}
