import Testing
import Glibc
import IOCore
import IPC
import TestSupport
@testable import BotWorker

/// The per-bot command spool on a temporary directory: what a worker that dies leaves for the next one.
@Suite struct CommandSpoolTests {
    func record(_ id: String, outcome: CommandOutcome = .ok) -> CommandRecord {
        CommandRecord(id: id, bot: "alpha", guildID: nil, channelID: nil, userID: "u", command: "ping", options: "{}",
                      startedAt: 1, durationMicros: 1, outcome: outcome)
    }

    @Test func finishedButUnackedRecordsAndUnfinishedCommandsAreThereForTheNextWorker() async throws {
        try await withTemporaryDirectory { dir in
            let path = "\(dir)/spool/alpha.records"
            var first = try await CommandSpool.open(path: path)
            let position = SessionState(sessionID: "s1", resumeURL: "ws://r", sequence: 7)
            #expect(try first.begin(record("r1", outcome: .interrupted), event: "i1", position: position))
            try first.finish(record("r1"))
            #expect(try first.begin(record("r2", outcome: .interrupted), event: "i2", position: SessionState(sessionID: "s1", resumeURL: "ws://r", sequence: 9)))
            #expect(try first.begin(record("r3", outcome: .interrupted), event: "i3", position: nil))
            try first.finish(record("r3"))
            try first.acknowledged(["r3"])
            // The worker dies here: r1 finished but not acked, r2 never finished, r3 acked.
            first.close()

            var second = try await CommandSpool.open(path: path)
            defer { second.close() }
            #expect(second.pending.map(\.id).sorted() == ["r1", "r2"])
            #expect(second.pending.first { $0.id == "r1" }?.outcome == .ok)
            #expect(second.pending.first { $0.id == "r2" }?.outcome == .interrupted)
            #expect(second.position?.sequence == 9)
            // Handled events are refused, and nothing is written for them.
            #expect(try second.begin(record("r4"), event: "i2", position: nil) == false)
            #expect(try second.begin(record("r5"), event: "i9", position: nil))
            var mode = stat()
            stat(path, &mode)
            #expect(mode.st_mode & 0o777 == 0o600)
        }
    }

    @Test func aSecondWorkerWaitsForTheFirstToLetGoOfTheSpool() async throws {
        try await withTemporaryDirectory { dir in
            let path = "\(dir)/spool/alpha.records"
            var first = try await CommandSpool.open(path: path)
            await #expect(throws: SystemError.self) { _ = try await CommandSpool.open(path: path, lockTimeout: .milliseconds(50)) }
            first.close()
            var second = try await CommandSpool.open(path: path, lockTimeout: .milliseconds(50))
            second.close()
        }
    }

    @Test func compactionKeepsOnlyWhatIsStillNeeded() async throws {
        try await withTemporaryDirectory { dir in
            let path = "\(dir)/spool/alpha.records"
            var spool = try await CommandSpool.open(path: path)
            for i in 0..<3000 {
                _ = try spool.begin(record("r\(i)"), event: "e\(i)", position: SessionState(sessionID: "s", resumeURL: "ws://r", sequence: i))
                try spool.finish(record("r\(i)"))
                if i != 5 { try spool.acknowledged(["r\(i)"]) }
            }
            spool.close()
            var size = stat()
            stat(path, &size)
            #expect(size.st_size < Int(CommandSpool.compactAfterBytes))
            var again = try await CommandSpool.open(path: path)
            defer { again.close() }
            #expect(again.pending.map(\.id) == ["r5"])
            #expect(again.position?.sequence == 2999)
            #expect(again.hasHandled("e0") && again.hasHandled("e2999"))
        }
    }
}
