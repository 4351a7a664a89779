import Testing
import Logging
@testable import Fleet

/// The daemon's view of a worker's output lines: their level, and the ring `botvisorctl logs` reads.
@Suite struct WorkerOutputLogTests {
    @Test func aWorkerLogLineLosesItsTimestampAndKeepsItsLevel() throws {
        let (level, text) = WorkerOutputLine.parse("2026-12-03T23:41:06.123Z critical botvisor-worker bot=a gateway closed 4004")
        #expect(level == .critical)
        #expect(text == "botvisor-worker bot=a gateway closed 4004")
        let journal = WorkerOutputLine.parse("<3>error botvisor-worker lost")
        #expect(journal.level == .error && journal.text == "botvisor-worker lost")
        // Forwarded in journald mode: the worker's priority, one level word, no timestamp at all.
        let forwarded = Logger.format(time: WallClock.now(), level: try #require(level), label: "botvisord",
                                      pairs: [("bot", "a"), ("stream", "worker")], message: String(text), journald: true)
        #expect(forwarded == "<2>critical botvisord bot=a stream=worker botvisor-worker bot=a gateway closed 4004\n")
        let plain = WorkerOutputLine.parse("Fatal error: index out of range")
        #expect(plain.level == nil && plain.text == "Fatal error: index out of range")
    }

    @Test func theRingKeepsTheLastLinesAndReadsAfterACursor() {
        let logs = WorkerOutputLogs(capacity: 3)
        for i in 1...5 { logs.append(bot: "a", level: .info, text: "line \(i)") }
        logs.append(bot: "b", level: nil, text: "other")
        #expect(logs.lines(bot: "a", after: nil, limit: 10).map(\.text) == ["line 3", "line 4", "line 5"])
        #expect(logs.lines(bot: "a", after: 4, limit: 10).map(\.seq) == [5])
        // After a cursor, the oldest newer lines first: a follower skips nothing.
        #expect(logs.lines(bot: "a", after: 2, limit: 2).map(\.seq) == [3, 4])
        #expect(logs.lines(bot: "a", after: nil, limit: 2).map(\.text) == ["line 4", "line 5"])
        #expect(logs.lastSeq(bot: "a") == 5 && logs.lastSeq(bot: "none") == 0)
        logs.remove(bot: "a")
        #expect(logs.lines(bot: "a", after: nil, limit: 10).isEmpty)
    }
}
