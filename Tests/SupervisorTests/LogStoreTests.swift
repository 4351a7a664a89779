import Testing
#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import HTTP
import IPC
import Storage
import Synchronization
import TestSupport
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store
@testable import Supervisor

/// The command-log store: group commit, the `command_totals` rollup and the windowed full-text search.
@Suite struct LogStoreTests {
    func withStore(_ body: (SupervisorStore) async throws -> Void) async throws {
        try await withTemporaryDirectory { dir in try await body(try await SupervisorStore(stateDirectory: dir)) }
    }

    final class Gate: Sendable {
        let started = Atomic<Bool>(false)
        let released = Atomic<Bool>(false)
    }

    /// Searches read on their own connection: one completes while a write transaction is held open.
    @Test func aSearchDoesNotWaitForTheWriter() async throws {
        try await withStore { store in
            try await store.store([Self.record(1, startedAt: 1_700_000_000_000_000)])
            let gate = Gate()
            let writing = Task {
                try await store.queue.write { _ in
                    gate.started.store(true, ordering: .sequentiallyConsistent)
                    // Held until the test lets go (or 10 s pass, which fails the test below).
                    let deadline = ContinuousClock.now + .seconds(10)
                    while !gate.released.load(ordering: .sequentiallyConsistent) && ContinuousClock.now < deadline { usleep(1000) }
                    return gate.released.load(ordering: .sequentiallyConsistent)
                }
            }
            try await eventually(timeout: .seconds(10), "the write transaction to start") { gate.started.load(ordering: .sequentiallyConsistent) }
            let page = try await store.search(LogQuery())
            #expect(page.records.map(\.id) == ["r1"])
            gate.released.store(true, ordering: .sequentiallyConsistent)
            // True only if the search finished while the writer was still held.
            #expect(try await writing.value == true)
        }
    }

    static func record(_ i: Int, startedAt: Int64, bot: String? = nil, outcome: CommandOutcome? = nil) -> CommandRecord {
        let failed = outcome == .error || (outcome == nil && i % 11 == 0)
        return CommandRecord(id: "r\(i)", bot: bot ?? "bot\(i % 3)", guildID: "g\(i % 4)", channelID: "c\(i % 5)", userID: "u\(i % 13)",
                             command: ["ping", "stock", "help"][i % 3], options: i % 4 == 0 ? "{\"item\":\"sprocket \(i)\"}" : "{\"item\":\"gear\"}",
                             startedAt: startedAt, durationMicros: Int64(i % 40) * 7_000 + 300, outcome: outcome ?? (failed ? .error : .ok),
                             errorCode: failed ? "OUT_OF_STOCK" : nil, errorMessage: failed ? "sprocket sold out" : nil)
    }

    @Test func concurrentBatchesAreAllCommittedAndDuplicatesIgnored() async throws {
        try await withStore { store in
            let base: Int64 = 1_700_000_000_000_000
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for batch in 0..<10 {
                            let records = (0..<50).map { n in
                                LogStoreTests.record(worker * 10_000 + batch * 100 + n, startedAt: base + Int64(batch * 50 + n))
                            }
                            try await store.store(records)
                            // A worker resends after a reconnect: the second copy must change nothing.
                            if batch % 3 == 0 { try await store.store(records) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.commandCount() == 8 * 10 * 50)
        }
    }

    @Test func commandTotalsAgreeWithADirectCountOfTheLog() async throws {
        try await withStore { store in
            let base: Int64 = 1_700_000_000_000_000
            let records = (0..<900).map { LogStoreTests.record($0, startedAt: base + Int64($0) * 1000) }
            try await store.store(Array(records[0..<500]))
            try await store.store(Array(records[400..<900]))  // 100 duplicates
            let direct = try await store.queue.read { db in
                try db.query("""
                    SELECT bot, command, outcome, count(*), SUM(duration_us),
                           \(SupervisorStore.durationBucketsMicros.map { "SUM(duration_us <= \($0))" }.joined(separator: ", "))
                    FROM command_logs GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                    """).map { row in try (0..<row.count).map { i in i < 3 ? try row.decode(i, as: String.self) : String(try row.decode(i, as: Int64.self)) } }
            }
            let rollup = try await store.queue.read { db in
                try db.query("""
                    SELECT bot, command, outcome, count, duration_sum_us,
                           \(SupervisorStore.durationBucketsMicros.indices.map { "le_\($0)" }.joined(separator: ", "))
                    FROM command_totals ORDER BY 1, 2, 3
                    """).map { row in try (0..<row.count).map { i in i < 3 ? try row.decode(i, as: String.self) : String(try row.decode(i, as: Int64.self)) } }
            }
            #expect(!direct.isEmpty)
            #expect(rollup == direct)
            let (counts, histograms) = try await store.prometheusCommandFigures()
            #expect(counts.map(\.count).reduce(0, +) == 900)
            #expect(histograms.map(\.count).reduce(0, +) == 900)
            #expect(histograms.allSatisfy { $0.cumulative == $0.cumulative.sorted() && $0.cumulative.last! <= $0.count })
        }
    }

    /// The same search done the slow, obviously right way: every match sorted.
    func naive(_ store: SupervisorStore, _ query: LogQuery) async throws -> [String] {
        let (whereClause, values) = query.sql()
        return try await store.queue.read { db in
            try db.query("SELECT l.id FROM command_logs l \(whereClause) ORDER BY l.started_at DESC, l.id DESC LIMIT \(query.limit + 1)",
                         Bindings(values)).map { try $0.decode(0, as: String.self) }
        }
    }

    @Test func theWindowedFullTextSearchReturnsWhatSortingEveryMatchReturns() async throws {
        try await withStore { store in
            let base: Int64 = 1_700_000_000_000_000
            // 3000 records a second apart, inserted in time order, then late arrivals: records that started
            // long ago (and a few in the future of the rest) inserted last, so rowid order is not time order.
            var records = (0..<3000).map { LogStoreTests.record($0, startedAt: base + Int64($0) * 1_000_000) }
            try await store.store(records)
            records = (3000..<3100).map { LogStoreTests.record($0, startedAt: base + Int64(($0 * 7_919) % 3000) * 1_000_000 + 500) }
            records += (3100..<3110).map { LogStoreTests.record($0, startedAt: base + 4000 * 1_000_000 + Int64($0)) }
            try await store.store(records)
            var queries: [LogQuery] = []
            for text in ["sprocket", "gear", "OUT_OF_STOCK", "stock OR help", "nothingmatches"] {
                for limit in [1, 50, 500] {
                    var q = LogQuery()
                    q.text = text
                    q.limit = limit
                    queries.append(q)
                    var filtered = q
                    filtered.bot = "bot1"
                    filtered.to = base + 2_500 * 1_000_000
                    queries.append(filtered)
                    var late = q
                    late.from = base + 100 * 1_000_000
                    late.cursor = LogQuery.Cursor(startedAt: base + 1_200 * 1_000_000, id: "r1200")
                    queries.append(late)
                }
            }
            for q in queries {
                let page = try await store.search(q)
                let expected = try await naive(store, q)
                #expect(page.records.map(\.id) == Array(expected.prefix(q.limit)), "\(q)")
                #expect((page.nextCursor != nil) == (expected.count > q.limit), "\(q)")
            }
            // A whole cursor walk visits every match once, in order.
            var q = LogQuery()
            q.text = "sprocket"
            q.limit = 37
            var seen: [CommandRecord] = []
            while true {
                let page = try await store.search(q)
                seen += page.records
                guard let next = page.nextCursor else { break }
                q.cursor = LogQuery.Cursor(token: next)
            }
            var all = LogQuery()
            all.text = "sprocket"
            all.limit = 10_000
            #expect(seen.map(\.id) == Array(try await naive(store, all).prefix(10_000)))
            #expect(seen.count == (0..<3110).filter { $0 % 4 == 0 || $0 % 11 == 0 }.count)
        }
    }

    /// Rows stored before older ones (a clock ahead, a worker that sends late) are what the search window's
    /// rowid bound must not cut off; `command_log_blocks` stays an upper bound of every row's start through
    /// retention, and the migration's fill computes what the store keeps.
    @Test func theSearchWindowKeepsEarlyStoredNewRowsThroughRetention() async throws {
        try await withStore { store in
            let base: Int64 = 1_700_000_000_000_000
            // rowids 1-20 start after everything else; then 2000 records a second apart, in batches as workers send them.
            try await store.store((0..<20).map { LogStoreTests.record($0, startedAt: base + 9_000 * 1_000_000 + Int64($0)) })
            for batch in 0..<4 {
                try await store.store((0..<500).map { LogStoreTests.record(20 + batch * 500 + $0, startedAt: base + Int64(batch * 500 + $0) * 1_000_000) })
            }
            func check(_ label: String) async throws {
                for text in ["sprocket", "gear", "OUT_OF_STOCK"] {
                    for limit in [1, 10, 50] {
                        var q = LogQuery()
                        q.text = text
                        q.limit = limit
                        var before = q
                        before.to = base + 1_900 * 1_000_000
                        for query in [q, before] {
                            #expect(try await store.search(query).records.map(\.id) == Array(try await naive(store, query).prefix(limit)), "\(label) \(query)")
                        }
                    }
                }
                let wrong = try await store.queue.read { db in
                    try db.first("""
                        SELECT count(*) FROM command_logs l LEFT JOIN command_log_blocks b ON b.block = l.rowid >> 8
                        WHERE b.max_started_at IS NULL OR b.max_started_at < l.started_at
                        """)?.decode(0, as: Int.self)
                }
                #expect(wrong == 0, "\(label): a row's block must know a start at least as new")
                let below = try await store.queue.read { db in
                    try db.first("SELECT count(*) FROM command_log_blocks WHERE block < (SELECT min(rowid) FROM command_logs) >> 8")?.decode(0, as: Int.self)
                }
                #expect(below == 0, "\(label): blocks below the oldest row are forgotten")
            }
            try await check("stored")
            // The first query's page: the 20 early rows lead it.
            var newest = LogQuery()
            newest.text = "gear"
            #expect(try await store.search(newest).records.first?.startedAt ?? 0 >= base + 9_000 * 1_000_000)
            // What migration 11 computes from the rows is what the store kept.
            let (kept, filled) = try await store.queue.write { db in
                let kept = try db.query("SELECT block, max_started_at FROM command_log_blocks ORDER BY block")
                try db.execute("DELETE FROM command_log_blocks", [])
                try db.execute(SupervisorStore.searchBlocksFill)
                return (kept, try db.query("SELECT block, max_started_at FROM command_log_blocks ORDER BY block"))
            }
            #expect(kept.count > 5 && kept == filled)
            // Retention by time keeps the early rows (they are new), by size takes the oldest rowids.
            #expect(try await store.deleteCommandLogs(before: base + 700 * 1_000_000) == 700)
            try await check("after retention by time")
            #expect(try await store.trimCommandLogs(toBytes: 1, batch: 300) > 0)
            #expect(try await store.commandCount() == 0)
            try await check("after trimming everything")
            #expect(try await store.queue.read { db in try db.first("SELECT count(*) FROM command_log_blocks")?.decode(0, as: Int.self) } == 0)
        }
    }

    @Test func theHandWrittenLogPageIsByteForByteWhatJSONEncoderWrites() throws {
        let records = [
            CommandRecord(id: "1575437027062884414", bot: "shop/bot", guildID: nil, channelID: "c1", userID: "u\"quoted\"",
                          command: "stock", options: #"{"item":"back\\slash é 🎉","list":[1,2.5,true,null,{"k":"v"}],"n":3}"#,
                          startedAt: 1_795_750_000_123_456, durationMicros: 12_345, outcome: .error, errorCode: "OUT_OF_STOCK",
                          errorMessage: "tab\there\nnew line\r"),
            CommandRecord(id: "2", bot: "b", guildID: "g", channelID: nil, userID: "u", command: "ping", options: "{}",
                          startedAt: 0, durationMicros: 0, outcome: .ok),
            // Options that are not JSON (never written by botvisor) are shown as a string.
            CommandRecord(id: "3", bot: "b", guildID: nil, channelID: nil, userID: "u", command: "say", options: "not json",
                          startedAt: -1, durationMicros: 1, outcome: .ok),
        ]
        for next: String? in [nil, "MTc5NTc1MDAwMDAwMDAwMDox"] {
            let expected = try HTTPJSON.encode(APIRouter.Page(logs: records, next_cursor: next))
            #expect(LogPageJSON.encode(LogPage(records: records, nextCursor: next)) == expected)
        }
        // Milliseconds on the wire, options as JSON.
        let text = String(decoding: LogPageJSON.encode(LogPage(records: records, nextCursor: nil)), as: UTF8.self)
        #expect(text.contains(#""started_at":1795750000123,"#) && text.contains(#""options":{"item":"#) && text.contains(#""options":"not json""#))
        // Other control characters are \u escapes; whatever their hex case, they must decode back.
        var odd = records[1]
        odd.errorMessage = "bell\u{07} nul\u{00} esc\u{1B}"
        let bytes = LogPageJSON.encode(LogPage(records: [odd], nextCursor: nil))
        struct Record: Decodable, Equatable { var error_message: String? }
        struct Page: Decodable { var logs: [Record] }
        #expect(try JSONDecoder().decode(Page.self, from: Data(bytes)).logs == [Record(error_message: odd.errorMessage)])
    }
}
