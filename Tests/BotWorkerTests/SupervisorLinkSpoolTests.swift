import Testing
import Glibc
import IOCore
import IPC
import TestSupport
@testable import BotWorker

/// The link's fallback when another worker of the bot still holds the spool.
@Suite struct SupervisorLinkSpoolTests {
    func record(_ id: String, outcome: CommandOutcome) -> CommandRecord {
        CommandRecord(id: id, bot: "alpha", guildID: nil, channelID: nil, userID: "u", command: "ping", options: "{}",
                      startedAt: 1, durationMicros: 1, outcome: outcome)
    }

    @Test func recordsKeptInMemoryWhileTheSpoolIsHeldGoToTheFileOnceItIsFree() async throws {
        try await withTemporaryDirectory { dir in
            let path = "\(dir)/spool/alpha.records"
            var holder = try await CommandSpool.open(path: path)
            let link = SupervisorLink(socketPath: "\(dir)/none.sock", bot: "alpha", spoolPath: path, spoolLockTimeout: .milliseconds(20),
                                      spoolRetryInterval: .zero, logger: .init(label: "test"))
            // The lock is held past the wait: the link keeps the command in memory.
            #expect(await link.begin(record("r1", outcome: .interrupted), event: "e1", position: nil))
            holder.close()
            // The next record finds the file free and writes out everything held in memory too.
            await link.record(record("r1", outcome: .ok))
            #expect(await link.begin(record("r2", outcome: .interrupted), event: "e1", position: nil) == false)
            await link.closeSpool()
            var reopened = try await CommandSpool.open(path: path)
            defer { reopened.close() }
            #expect(reopened.pending.map(\.outcome) == [.ok])
            #expect(reopened.hasHandled("e1"))
        }
    }
}
