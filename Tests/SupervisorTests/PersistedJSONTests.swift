import Foundation
import JSON
import Testing
import TestSupport
@testable import Control
import Fleet
@testable import IPC
@testable import Store

/// JSON the daemon keeps in SQLite (custom commands, audit details, stock sync answers) and sends over the control
/// socket was written by Foundation's `JSONEncoder` until the daemon dropped Foundation: rows written then must
/// still read back, and what is written now must read back with Foundation's decoder too (a downgrade).
@Suite struct PersistedJSONTests {
    static let commands = [
        CustomCommand(name: "links", description: "Où / and \"quotes\"", response: "see https://example.com/a?b=c\n\t{user} 😀", ephemeral: true,
                      delayMilliseconds: 1500),
        CustomCommand(name: "plain", description: "", response: "\u{1} control", ephemeral: false),
    ]

    @Test func customCommandsWrittenByFoundationsEncoderStillLoad() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            try await store.add(BotDefinition(name: "alpha", token: "t", prefix: "!"))
            // What `add` stored before: JSONEncoder's defaults (keys in any order, `/` escaped as `\/`).
            let old = String(decoding: try JSONEncoder().encode(Self.commands), as: UTF8.self)
            #expect(old.contains("\\/"))
            try await store.queue.write { db in try db.execute("UPDATE bots SET custom_commands = ? WHERE name = 'alpha'", [old]) }
            #expect(try await store.all().first?.customCommands == Self.commands)
            await store.close()
        }
    }

    @Test func customCommandsWrittenNowLoadWithFoundationsDecoder() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            try await store.add(BotDefinition(name: "alpha", token: "t", prefix: "!", customCommands: Self.commands))
            let stored = try await store.queue.read { db in
                try db.first("SELECT custom_commands FROM bots WHERE name = 'alpha'")!.decode(0, as: String.self)
            }
            #expect(try JSONDecoder().decode([CustomCommand].self, from: Data(stored.utf8)) == Self.commands)
            #expect(try await store.all().first?.customCommands == Self.commands)
            await store.close()
        }
    }

    @Test func auditDetailsAreTheBytesFoundationWroteAndOldRowsDecode() throws {
        let details = ["path": "/api/v1/bots/a", "note": "é \"q\" \\ \n", "": "empty key", "z": "😀"]
        let foundation = JSONEncoder()
        foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(SupervisorStore.detailsJSON(details) == String(decoding: try foundation.encode(details), as: UTF8.self))
        // Rows are only decoded: Foundation's default (escaped slashes) reads back the same.
        let escaped = try JSONEncoder().encode(details)
        #expect(try JSONValueDecoder().decode([String: String].self, from: Array(escaped)) == details)
    }

    @Test func aStockSyncAnswerStoredByFoundationsEncoderIsReplayed() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            let first = SupervisorStore.StockSyncResult(catalog_id: 7, updated: 2, unchanged: 1, changed_skus: ["a/b", "ü"], replayed: false)
            let old = String(decoding: try JSONEncoder().encode(first), as: UTF8.self)
            try await store.queue.write { db in
                try db.execute("INSERT INTO stock_syncs (idempotency_key, catalog_id, request, response, created_at) VALUES ('k', 7, 'r', ?, 1)", [old])
            }
            var replay = first
            replay.replayed = true
            #expect(try await store.syncStock(catalog: 7, lines: [], idempotencyKey: "k", request: "r") == replay)
            await store.close()
        }
    }

    @Test func controlRequestsAndRepliesCrossBetweenFoundationAndTheJSONCoders() throws {
        let request = ControlRequest(command: .botAdd, bots: ["a/b"], token: "t", intents: 513, prefix: "!", customCommands: Self.commands)
        #expect(try JSONValueDecoder().decode(ControlRequest.self, from: Array(try JSONEncoder().encode(request))) == request)
        #expect(try JSONDecoder().decode(ControlRequest.self, from: Data(try JSONValueEncoder().encodeBytes(request))) == request)
        let reply = ControlReply.failure("BAD_REQUEST", "expected one JSON object per line with a `command` field")
        #expect(try JSONValueDecoder().decode(ControlReply.self, from: Array(try JSONEncoder().encode(reply))) == reply)
        #expect(try JSONDecoder().decode(ControlReply.self, from: Data(try JSONValueEncoder().encodeBytes(reply))) == reply)
    }

    struct Layout: Codable {
        var empty: [Int] = []
        var none: [String: Int] = [:]
        var list = [1, -2, 3]
        var nested = ["x": ["y": 1.5, "z": 0.25]]
        var text = "é \"q\" \\ \n"
        var flag = true
        var records = [CustomCommand(name: "a", description: "b", response: "c")]
    }

    @Test func botvisorctlsJSONIsLaidOutAsFoundationsPrettyPrintingEncoderLaidItOut() throws {
        let foundation = JSONEncoder()
        foundation.outputFormatting = [.prettyPrinted, .sortedKeys]
        let expected = String(decoding: try foundation.encode(Layout()), as: UTF8.self)
        #expect(try JSONValueEncoder().encode(Layout()).prettySerialized() == expected)
        #expect(try JSONValueEncoder().encode([Layout]()).prettySerialized() == "[\n\n]")
    }
}
