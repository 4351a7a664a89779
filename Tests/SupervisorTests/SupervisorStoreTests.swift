import Testing
import Foundation
import Glibc
import IOCore
import IPC
import TestSupport
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store
@testable import Supervisor

@Suite struct SupervisorStoreTests {
    @Test func recordsSentTwiceAreStoredOnceAndTokensAreSealedAtRest() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            try await store.add(BotDefinition(name: "alpha", token: "very-secret-token", prefix: "!"))
            let record = CommandRecord(id: "same-id", bot: "alpha", guildID: "g", channelID: "c", userID: "u", command: "ping",
                                       options: "{}", startedAt: 1, durationMicros: 2, outcome: .ok)
            try await store.store([record])
            try await store.store([record])
            #expect(try await store.commandCount() == 1)
            #expect(try await store.all().first?.token == "very-secret-token")
            // Neither the database nor its write-ahead log holds the token in the clear.
            for file in ["botvisor.db", "botvisor.db-wal"] {
                let raw = (try? Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(file)"))) ?? Data()
                #expect(raw.range(of: Data("very-secret-token".utf8)) == nil)
            }
            var st = stat()
            stat("\(dir)/token.key", &st)
            #expect(st.st_mode & 0o777 == 0o600)
        }
    }
}
