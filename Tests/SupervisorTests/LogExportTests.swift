import Discord
import FoundationEssentials
import HTTP
import IOCore
import IPC
import JSON
import Logging
import Testing
import TestSupport
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store
@testable import Supervisor

/// `GET /api/v1/logs/export` through a real HTTP server, read by curl and parsed by Python's csv module.
@Suite struct LogExportTests {
    @Test(.enabled(if: Peer.curl.isAvailable && Peer.python3.isAvailable, "needs curl and python3"))
    func exportsStreamTheWholeSelectionAsNDJSONAndCSV() async throws {
        try await LogsAPITests().withAPI { router, store in
            // 1,200 records: more than two pages of 500, so the stream crosses pages.
            try await LogsAPITests().generate(store, count: 1200)
            try await store.store([CommandRecord(id: "tricky", bot: "bot0", guildID: nil, channelID: "c1", userID: "u1", command: "say",
                                                 options: "{\"text\":\"a, \\\"quoted\\\"\\nline\"}", startedAt: 1_600_000_000_000_000,
                                                 durationMicros: 5, outcome: .ok, errorCode: nil, errorMessage: "comma, \"quote\"\r\nbreak")])
            let server = try HTTPServer(port: 0, responder: router)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await server.run() }
                let base = "http://127.0.0.1:\(server.port)/api/v1/logs/export"
                let ndjson = try await runProcess(Peer.curl.path!, ["-sS", "-D", "-", "\(base)?bot=bot0&format=ndjson"])
                #expect(ndjson.stdout.lowercased().contains("transfer-encoding: chunked"))
                let lines = ndjson.stdout.split(separator: "\r\n\r\n", maxSplits: 1).last!.split(separator: "\n")
                let records = try lines.map { try JSONDecoder().decode(WireRecord.self, from: Data($0.utf8)) }
                #expect(records.count == 400 + 1)
                #expect(Set(records.map(\.id)).count == records.count && records.allSatisfy { $0.bot == "bot0" })
                #expect(records.map(\.startedAt) == records.map(\.startedAt).sorted(by: >))

                try await withTemporaryDirectory { dir in
                    let csv = try await runProcess(Peer.curl.path!, ["-sS", "-o", "\(dir)/logs.csv", "\(base)?format=csv&outcome=ok"])
                    #expect(csv.status == 0)
                    let parsed = try await runProcess(Peer.python3.path!, ["-c", """
                        import csv, json
                        rows = list(csv.DictReader(open("\(dir)/logs.csv", newline="")))
                        tricky = [r for r in rows if r["id"] == "tricky"][0]
                        print(json.dumps({"n": len(rows), "options": tricky["options"], "message": tricky["error_message"],
                                          "guild": tricky["guild_id"], "outcomes": sorted(set(r["outcome"] for r in rows))}))
                        """])
                    let result = try JSON.parse(parsed.stdout)
                    let expectedOK = (0..<1200).filter { $0 % 7 != 0 }.count + 1
                    #expect(result["n"]?.int == expectedOK, "\(parsed.stderr)")
                    #expect(result["options"]?.string == "{\"text\":\"a, \\\"quoted\\\"\\nline\"}")
                    #expect(result["message"]?.string == "comma, \"quote\"\r\nbreak")
                    #expect(result["outcomes"]?.array == ["ok"])
                }
                // A bad format or filter is a 400 in the one error shape, before any streaming.
                let bad = try await runProcess(Peer.curl.path!, ["-s", "-w", "\n%{http_code}", "\(base)?format=xml"])
                #expect(bad.stdout.hasSuffix("\n400") && bad.stdout.contains("INVALID_PARAMETER"))
                let badCursor = try await runProcess(Peer.curl.path!, ["-s", "-w", "\n%{http_code}", "\(base)?cursor=nope"])
                #expect(badCursor.stdout.hasSuffix("\n400") && badCursor.stdout.contains("INVALID_CURSOR"))
                await server.shutdown()
                group.cancelAll()
            }
        }
    }
}
