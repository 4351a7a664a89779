import Testing
import Foundation
import IPC
import Storage
import TestSupport
@testable import Control
@testable import Store

/// Retention by size, and the space it frees given back to the file system.
@Suite struct DatabaseSizeTests {
    static func records(_ range: Range<Int>) -> [CommandRecord] {
        range.map { n in
            CommandRecord(id: "r\(n)", bot: "alpha", guildID: "g", channelID: "c", userID: "u\(n % 13)", command: "ping",
                          options: "{\"pad\":\"\(String(repeating: "x", count: 200))\"}", startedAt: 1_795_000_000_000_000 + Int64(n),
                          durationMicros: 1000, outcome: .ok)
        }
    }

    @Test func overTheCapTheOldestRecordsGoAndTheFileShrinks() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            #expect(try await store.queue.read { db in try db.first("PRAGMA auto_vacuum")?.decode(0, as: Int.self) } == 2)
            for start in stride(from: 0, to: 20_000, by: 2000) { try await store.store(Self.records(start..<start + 2000)) }
            let live = try await store.liveDataBytes()
            let cap = live / 2
            let deleted = try await store.trimCommandLogs(toBytes: cap)
            #expect(deleted > 0 && deleted < 20_000)
            #expect(try await store.liveDataBytes() <= cap)
            // The newest records stay: what went is the oldest.
            #expect(try await store.queue.read { db in try db.first("SELECT count(*) FROM command_logs WHERE id = 'r19999'")?.decode(0, as: Int.self) } == 1)
            #expect(try await store.queue.read { db in try db.first("SELECT count(*) FROM command_logs WHERE id = 'r0'")?.decode(0, as: Int.self) } == 0)
            // Freed pages go back: the file (after a checkpoint) is smaller than before.
            try await store.queue.writeWithoutTransaction { db in _ = try db.query("PRAGMA wal_checkpoint(TRUNCATE)") }
            let before = try FileManager.default.attributesOfItem(atPath: "\(dir)/botvisor.db")[.size] as! Int
            let released = try await store.releaseFreePages(1_000_000)
            try await store.queue.writeWithoutTransaction { db in _ = try db.query("PRAGMA wal_checkpoint(TRUNCATE)") }
            let after = try FileManager.default.attributesOfItem(atPath: "\(dir)/botvisor.db")[.size] as! Int
            #expect(released > 0)
            #expect(after < before, "\(after) bytes after, \(before) before")
            #expect(try await store.trimCommandLogs(toBytes: cap) == 0)
            await store.close()
        }
    }

    @Test func aDatabaseMadeWithoutAutoVacuumIsConvertedAtStart() async throws {
        try await withTemporaryDirectory { dir in
            do {
                let db = try Database(path: "\(dir)/botvisor.db")
                try db.execute("CREATE TABLE leftover (x)")
                #expect(try db.first("PRAGMA auto_vacuum")?.decode(0, as: Int.self) == 0)
                db.close()
            }
            let store = try await SupervisorStore(stateDirectory: dir)
            #expect(try await store.queue.read { db in try db.first("PRAGMA auto_vacuum")?.decode(0, as: Int.self) } == 2)
            await store.close()
        }
    }

    @Test func maxDatabaseSizeTakesUnitsAndZeroAndRefusesTheRest() throws {
        #expect(Configuration(environment: [:]).maxDatabaseBytes == 1 << 30)
        #expect(try Configuration.parse("[logs]\nmax_db_size = 500M\n", environment: [:]).maxDatabaseBytes == 500 << 20)
        #expect(try Configuration.parse("[logs]\nmax_db_size = 0\n", environment: [:]).maxDatabaseBytes == 0)
        #expect(throws: ConfigurationError.self) { try Configuration.parse("[logs]\nmax_db_size = lots\n", environment: [:]) }
    }
}
