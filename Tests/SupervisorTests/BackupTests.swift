import Testing
import Foundation
import Glibc
import IPC
import TestSupport
@testable import Control
@testable import Fleet
@testable import Store

/// `botvisorctl backup`: SQLite's online backup of the live store, plus its token key.
@Suite struct BackupTests {
    static func record(_ n: Int) -> CommandRecord {
        CommandRecord(id: "r\(n)", bot: "alpha", guildID: "g", channelID: "c", userID: "u\(n % 7)", command: "ping",
                      options: "{}", startedAt: 1_795_000_000_000_000 + Int64(n), durationMicros: 1000, outcome: .ok)
    }

    func mode(_ path: String) -> mode_t {
        var st = stat()
        stat(path, &st)
        return st.st_mode & 0o777
    }

    @Test(.enabled(if: Peer.sqlite3.isAvailable, Peer.sqlite3.missing))
    func aBackupTakenWhileRecordsAreWrittenIsConsistentAndRestoresTheSealedTokens() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: "\(dir)/state")
            try await store.add(BotDefinition(name: "alpha", token: "alpha-secret-token"))
            try await store.add(BotDefinition(name: "beta", token: "beta-secret-token"))
            try await store.store((0..<500).map(BackupTests.record))
            // A writer that keeps committing batches for the whole backup.
            let writer = Task {
                var n = 500
                while !Task.isCancelled {
                    try await store.store((n..<n + 50).map(BackupTests.record))
                    n += 50
                }
                return n
            }
            try await eventually(timeout: .seconds(30), "more records") { (try? await store.commandCount()) ?? 0 > 1000 }
            let result = try await store.backup(to: "\(dir)/copy.db")
            writer.cancel()
            let written = try await writer.value
            await store.close()
            #expect(result.keyPath == "\(dir)/copy.db.key")
            #expect(mode("\(dir)/copy.db") == 0o600)
            #expect(mode("\(dir)/copy.db.key") == 0o600)
            // One file: switched to a rollback journal, so no -wal beside it.
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/copy.db-wal"))

            let sqlite3 = try #require(Peer.sqlite3.path)
            let check = try await runProcess(sqlite3, ["\(dir)/copy.db", "PRAGMA integrity_check; SELECT count(*) FROM command_logs;"])
            #expect(check.status == 0, "\(check.stderr)")
            let lines = check.stdout.split(separator: "\n")
            #expect(lines.first == "ok")
            let copied = try #require(Int(lines.last ?? ""))
            // A snapshot taken mid-stream: at least what was there before, whole batches only, and not
            // more than was ever written.
            #expect(copied >= 1000 && copied <= written && copied % 50 == 0, "\(copied) of \(written)")

            // Restore as the README says: the copy and its key into a state directory of their own.
            let restored = "\(dir)/restored"
            try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(dir)/copy.db", toPath: "\(restored)/botvisor.db")
            try FileManager.default.copyItem(atPath: "\(dir)/copy.db.key", toPath: "\(restored)/token.key")
            chmod("\(restored)/token.key", 0o600)
            let reopened = try await SupervisorStore(stateDirectory: restored)
            let bots = try await reopened.all()
            #expect(bots.map(\.token) == ["alpha-secret-token", "beta-secret-token"])
            #expect(try await reopened.commandCount() == copied)
            await reopened.close()
        }
    }

    @Test func aBackupNeverOverwritesAFile() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: "\(dir)/state")
            try "precious".writeAtomically(to: "\(dir)/copy.db")
            await #expect(throws: (any Error).self) { try await store.backup(to: "\(dir)/copy.db") }
            #expect(try String(contentsOfFile: "\(dir)/copy.db", encoding: .utf8) == "precious")
            // The key written first is taken away again when the copy fails.
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/copy.db.key"))
            await #expect(throws: BackupError.self) { try await store.backup(to: "relative.db") }
            await store.close()
        }
    }
}
