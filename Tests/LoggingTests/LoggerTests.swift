import Testing
import Glibc
@testable import Logging

@Suite struct LoggerTests {
    @Test func aLineHasTimeLevelLabelFieldsAndMessage() {
        let line = Logger.format(time: .init(seconds: 0, nanoseconds: 5_000_000), level: .info, label: "http",
                                 pairs: [("conn", "3"), ("peer", "a b")], message: "accepted", journald: false)
        #expect(line == "1970-01-01T00:00:00.005Z info http conn=3 peer=\"a b\" accepted\n")
    }

    @Test func journaldLinesCarryThePriorityPrefixAndNoTimestamp() {
        let line = Logger.format(time: .init(seconds: 0, nanoseconds: 0), level: .error, label: "ipc",
                                 pairs: [], message: "bad frame", journald: true)
        // journald stamps each entry itself.
        #expect(line == "<3>error ipc bad frame\n")
        let debug = Logger.format(time: .init(seconds: 0, nanoseconds: 0), level: .debug, label: "x",
                                  pairs: [], message: "m", journald: true)
        #expect(debug.hasPrefix("<7>"))
    }

    @Test func aMessageWithNewlinesStaysOneLine() {
        let line = Logger.format(time: .init(seconds: 0, nanoseconds: 0), level: .warning, label: "x",
                                 pairs: [("k", "v\nw")], message: "two\nlines", journald: false)
        #expect(line.filter { $0 == "\n" }.count == 1)
        #expect(line.contains("k=\"v\\nw\""))
    }

    @Test func levelsBelowTheThresholdAreDropped() {
        let sink = MemorySink()
        LoggingSystem.bootstrap(sink: sink, level: .warning, journald: false)
        defer { LoggingSystem.bootstrap(journald: false) }
        let log = Logger(label: "t").with("bot", "alpha")
        log.info("hidden")
        log.error("shown", ["code": 7])
        #expect(sink.lines.count == 1)
        #expect(sink.lines.first?.contains("error t bot=alpha code=7 shown") == true)
    }

    @Test func journalStreamIsTrustedOnlyWhenItIsStderrsDeviceAndInode() throws {
        var pipeFDs: [Int32] = [0, 0]
        #expect(pipe(&pipeFDs) == 0)
        defer { close(pipeFDs[0]); close(pipeFDs[1]) }
        var st = stat()
        #expect(fstat(pipeFDs[1], &st) == 0)
        #expect(LoggingSystem.stderrIsJournal("\(st.st_dev):\(st.st_ino)", fd: pipeFDs[1]))
        // Inherited by a process whose stderr now goes elsewhere: not the journal.
        #expect(!LoggingSystem.stderrIsJournal("\(st.st_dev):\(st.st_ino + 1)", fd: pipeFDs[1]))
        #expect(!LoggingSystem.stderrIsJournal("garbage", fd: pipeFDs[1]))
        #expect(!LoggingSystem.stderrIsJournal(nil, fd: pipeFDs[1]))
    }
}
