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

/// A command record as the API writes it (`started_at` in milliseconds, `options` as JSON), read
/// back under `CommandRecord`'s property names.
struct WireRecord: Decodable, Equatable {
    var id: String
    var bot: String
    var userID: String
    var command: String
    var outcome: String
    var startedAt: Int64
    var durationMicros: Int64
    var errorCode: String?
    var errorMessage: String?
    var options: JSON

    enum CodingKeys: String, CodingKey {
        case id, bot, command, outcome, options
        case userID = "user_id"
        case startedAt = "started_at"
        case durationMicros = "duration_us"
        case errorCode = "error_code"
        case errorMessage = "error_message"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        bot = try c.decode(String.self, forKey: .bot)
        userID = try c.decode(String.self, forKey: .userID)
        command = try c.decode(String.self, forKey: .command)
        outcome = try c.decode(String.self, forKey: .outcome)
        startedAt = try c.decode(Int64.self, forKey: .startedAt)
        durationMicros = try c.decode(Int64.self, forKey: .durationMicros)
        errorCode = try c.decodeIfPresent(String.self, forKey: .errorCode)
        errorMessage = try c.decodeIfPresent(String.self, forKey: .errorMessage)
        // Options are any JSON; the tests compare their serialized form.
        let raw = try c.decode(AnyJSON.self, forKey: .options)
        options = raw.value
    }
}

/// Decodes any JSON value into `JSON` (the module's own parser has no Decodable side).
struct AnyJSON: Decodable {
    var value: JSON
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { value = .null }
        else if let b = try? c.decode(Bool.self) { value = .bool(b) }
        else if let n = try? c.decode(Double.self) { value = .number(n) }
        else if let s = try? c.decode(String.self) { value = .string(s) }
        else if let a = try? c.decode([AnyJSON].self) { value = .array(a.map(\.value)) }
        else { value = .object(try c.decode([String: AnyJSON].self).mapValues(\.value)) }
    }
}

/// The log-search API over a real SQLite file filled with generated records.
@Suite struct LogsAPITests {
    func withAPI(_ body: (SignedInRouter, SupervisorStore) async throws -> Void) async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            let fleet = TestFleet.idle(store: store, dir: dir)
            try await body(try await TestAuth.router(fleet: fleet, store: store, dir: dir), store)
        }
    }

    /// 300 records over 3 bots and 5 users, one per millisecond, every 7th an error.
    func generate(_ store: SupervisorStore, count: Int = 300, base: Int64 = 1_700_000_000_000_000) async throws {
        var records: [CommandRecord] = []
        for i in 0..<count {
            records.append(CommandRecord(id: String(format: "id-%05d", i), bot: "bot\(i % 3)", guildID: "g\(i % 2)", channelID: "c\(i % 4)",
                                         userID: "u\(i % 5)", command: i % 7 == 0 ? "stock" : "ping", options: "{\"item\":\"widget \(i)\"}",
                                         startedAt: base + Int64(i) * 1000, durationMicros: Int64(i * 100),
                                         outcome: i % 7 == 0 ? .error : .ok, errorCode: i % 7 == 0 ? "OUT_OF_STOCK" : nil,
                                         errorMessage: i % 7 == 0 ? "widget sold out" : nil))
        }
        try await store.store(records)
    }

    struct Page: Decodable {
        var logs: [WireRecord]
        var next_cursor: String?
    }

    func get(_ router: SignedInRouter, _ target: String) async throws -> (HTTPResponse, Page?) {
        let response = await router.respond(to: HTTPRequest(method: .get, target: target))
        guard case .bytes(let body) = response.body else { return (response, nil) }
        return (response, try? JSONDecoder().decode(Page.self, from: Data(body)))
    }

    @Test func filtersCombineFreelyAndResultsAreNewestFirst() async throws {
        try await withAPI { router, store in
            try await generate(store)
            let (response, page) = try await get(router, "/api/v1/logs?bot=bot0&outcome=error&min_duration_ms=10&limit=500")
            #expect(response.status == .ok)
            let logs = try #require(page?.logs)
            #expect(!logs.isEmpty)
            #expect(logs.allSatisfy { $0.bot == "bot0" && $0.outcome == "error" && $0.durationMicros >= 10_000 })
            #expect(logs.map(\.startedAt) == logs.map(\.startedAt).sorted(by: >))
            // The same selection computed by hand.
            let expected = (0..<300).filter { $0 % 3 == 0 && $0 % 7 == 0 && $0 * 100 >= 10_000 }.count
            #expect(logs.count == expected)
            let (_, window) = try await get(router, "/api/v1/logs?from=1700000000010&to=1700000000019&limit=500")
            #expect(window?.logs.count == 10)
            // Timestamps on the wire are Unix milliseconds, like the filters; options are JSON, not a string of it.
            #expect(window?.logs.allSatisfy { (1_700_000_000_010...1_700_000_000_019).contains($0.startedAt) } == true)
            #expect(window?.logs.first?.options == ["item": "widget 19"])
            let (_, user) = try await get(router, "/api/v1/logs/user/u3?limit=500")
            #expect(user?.logs.count == 60 && user?.logs.allSatisfy { $0.userID == "u3" } == true)
            let (_, failed) = try await get(router, "/api/v1/logs/failed?limit=500")
            #expect(failed?.logs.count == 43 && failed?.logs.allSatisfy { $0.outcome == "error" } == true)
        }
    }

    @Test func theCursorWalkNeverSkipsOrRepeatsWhileNewRowsArrive() async throws {
        try await withAPI { router, store in
            try await generate(store)
            var seen: [String] = []
            var target = "/api/v1/logs?limit=37"
            var newer: Int64 = 1_800_000_000_000_000
            while true {
                let (_, page) = try await get(router, target)
                let p = try #require(page)
                seen += p.logs.map(\.id)
                // Newer rows land between pages; they are newer than the cursor, so the walk is unaffected.
                try await store.store([CommandRecord(id: "new-\(newer)", bot: "bot0", guildID: nil, channelID: nil, userID: "u0", command: "ping",
                                                     options: "{}", startedAt: newer, durationMicros: 1, outcome: .ok)])
                newer += 1
                guard let next = p.next_cursor else { break }
                target = "/api/v1/logs?limit=37&cursor=\(next)"
            }
            #expect(seen.count == 300)
            #expect(Set(seen).count == 300)
            #expect(seen.first == "id-00299" && seen.last == "id-00000")
        }
    }

    @Test func fullTextSearchMatchesAndTextFTS5CannotParseIsSearchedAsAPhrase() async throws {
        try await withAPI { router, store in
            try await generate(store)
            let (_, page) = try await get(router, "/api/v1/logs?q=sold&limit=500")
            #expect(page?.logs.count == 43)
            let (_, prefix) = try await get(router, "/api/v1/logs?q=OUT_OF_STOCK&bot=bot1&limit=500")
            #expect(prefix?.logs.allSatisfy { $0.bot == "bot1" && $0.errorCode == "OUT_OF_STOCK" } == true)
            // An unterminated quote is an FTS5 syntax error; as a phrase it is a search like any other.
            let (unterminated, none) = try await get(router, "/api/v1/logs?q=%22unterminated")
            #expect(unterminated.status == .ok && none?.logs.isEmpty == true)
            let (hyphen, sold) = try await get(router, "/api/v1/logs?q=widget%20sold-out&limit=500")
            #expect(hyphen.status == .ok && sold?.logs.count == 43)
            let (phrase, found) = try await get(router, "/api/v1/logs?q=%22sold%20out&limit=500")
            #expect(phrase.status == .ok && found?.logs.count == 43)
        }
    }

    @Test func badParametersAndUnknownRoutesUseTheErrorShape() async throws {
        try await withAPI { router, _ in
            for (target, code, status) in [("/api/v1/logs?limit=abc", "INVALID_PARAMETER", 400), ("/api/v1/logs?outcome=meh", "INVALID_PARAMETER", 400),
                                           ("/api/v1/logs?cursor=!!", "INVALID_CURSOR", 400), ("/api/v1/logs?cursor=12_a%20b", "INVALID_CURSOR", 400),
                                           ("/api/v1/logs?limit=501", "INVALID_PARAMETER", 400), ("/api/v1/logs?frm=1", "INVALID_PARAMETER", 400),
                                           ("/api/v1/jobs?limit=501", "INVALID_PARAMETER", 400), ("/api/v1/nothing", "NOT_FOUND", 404),
                                           ("/api/v1/bots/ghost", "BOT_NOT_FOUND", 404)] {
                let (response, _) = try await get(router, target)
                #expect(response.status.code == status, "\(target)")
                guard case .bytes(let body) = response.body else { continue }
                #expect(String(decoding: body, as: UTF8.self).contains("\"code\":\"\(code)\""), "\(target)")
                #expect(response.headers["X-Request-Id"] != nil)
            }
        }
    }
}
