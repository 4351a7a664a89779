import Testing
import Glibc
import IOCore
import IPC
import Logging
import TestSupport
@testable import BotWorker

/// The worker's IPC link against a stand-in supervisor on a real Unix socket.
@Suite struct SupervisorLinkTests {
    func welcome(_ connection: IPCConnection) async throws -> Hello {
        let envelope = try await connection.receive(deadline: .now + testPatience)
        guard case .hello(let hello) = envelope.message else { throw IPCError.unexpectedMessage(envelope.message.type) }
        try await connection.send(.welcome(Welcome(config: WorkerConfig(bot: hello.bot, token: "secret", apiBase: "http://127.0.0.1:1"))))
        return hello
    }

    /// Records as they arrive (each goes as soon as it is recorded, so they may come in several batches).
    func nextRecords(_ connection: IPCConnection, count: Int) async throws -> [CommandRecord] {
        var records: [CommandRecord] = []
        while records.count < count {
            let envelope = try await connection.receive(deadline: .now + testPatience)
            if case .commands(let batch) = envelope.message { records += batch.records }
        }
        return records
    }

    @Test func unacknowledgedRecordsAreSentAgainAfterAReconnect() async throws {
        let path = "/tmp/botvisor-link-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let listener = try SocketListener.unix(path: path, mode: 0o600)
        defer { listener.close(); unlink(path) }
        let spool = "/tmp/botvisor-link-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).records"
        defer { unlink(spool); unlink(spool + ".lock") }
        let link = SupervisorLink(socketPath: path, bot: "alpha", spoolPath: spool, logger: Logger(label: "test"))
        async let firstAccept = listener.accept()
        async let config = link.connect(timeout: testPatience)
        let first = IPCConnection(stream: try await firstAccept)
        let hello = try await welcome(first)
        #expect(hello.bot == "alpha" && hello.pid == getpid())
        #expect(try await config.token == "secret")

        let records = (1...3).map { CommandRecord(id: "r\($0)", bot: "alpha", guildID: nil, channelID: nil, userID: "u", command: "ping",
                                                  options: "{}", startedAt: 1, durationMicros: 1, outcome: .ok) }
        for r in records { await link.record(r) }
        try await link.flush()
        #expect(try await nextRecords(first, count: 3).map(\.id) == ["r1", "r2", "r3"])
        // The supervisor goes away before committing: nothing was acknowledged.
        await first.close()
        await #expect(throws: IPCError.self) { _ = try await link.receive() }
        #expect(await link.pendingRecordCount == 3)

        async let secondAccept = listener.accept()
        async let again = link.connect(timeout: testPatience)
        let second = IPCConnection(stream: try await secondAccept)
        _ = try await welcome(second)
        _ = try await again
        let resent = try await nextRecords(second, count: 3)
        #expect(resent.map(\.id) == ["r1", "r2", "r3"])
        try await second.send(.ack(Ack(ids: resent.map(\.id))))
        // The ack is applied by the link's receive loop.
        let receiving = Task { try? await link.receive() }
        try await eventually("the ack") { await link.pendingRecordCount == 0 }
        receiving.cancel()
        await second.close()
        await link.close()
    }

    /// Issue 13's start-up storm: botvisord starting many workers at once answered some hellos after the worker's
    /// connect deadline, and the workers gave up. A connected supervisor that is slow to welcome is waited for.
    @Test func aWelcomeThatComesAfterTheConnectTimeoutIsWaitedFor() async throws {
        let path = "/tmp/botvisor-link-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let listener = try SocketListener.unix(path: path, mode: 0o600)
        defer { listener.close(); unlink(path) }
        let spool = "/tmp/botvisor-link-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).records"
        defer { unlink(spool); unlink(spool + ".lock") }
        let link = SupervisorLink(socketPath: path, bot: "alpha", spoolPath: spool, logger: Logger(label: "test"))
        async let accepted = listener.accept()
        async let config = link.connect(timeout: .milliseconds(200))
        let connection = IPCConnection(stream: try await accepted)
        let envelope = try await connection.receive(deadline: .now + testPatience)
        guard case .hello = envelope.message else { throw IPCError.unexpectedMessage(envelope.message.type) }
        // Busy: the welcome goes five connect timeouts after the hello.
        try await Reactor.shared.sleep(until: .now + .seconds(1))
        try await connection.send(.welcome(Welcome(config: WorkerConfig(bot: "alpha", token: "secret", apiBase: "http://127.0.0.1:1"))))
        #expect(try await config.token == "secret")
        await connection.close()
        await link.close()
        await link.closeSpool()
    }

    @Test func aSupervisorThatClosesInsteadOfWelcomingEndsTheConnectAtOnce() async throws {
        let path = "/tmp/botvisor-link-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let listener = try SocketListener.unix(path: path, mode: 0o600)
        defer { listener.close(); unlink(path) }
        let spool = "/tmp/botvisor-link-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).records"
        defer { unlink(spool); unlink(spool + ".lock") }
        let link = SupervisorLink(socketPath: path, bot: "alpha", spoolPath: spool, logger: Logger(label: "test"))
        async let accepted = listener.accept()
        // The close ends it (`closed`), not the welcome deadline (`timedOut`).
        async let config = link.connect(timeout: testPatience, welcomeTimeout: testPatience * 2)
        let connection = IPCConnection(stream: try await accepted)
        _ = try await connection.receive(deadline: .now + testPatience)
        await connection.close()
        do {
            _ = try await config
            Issue.record("connected without a welcome")
        } catch {
            #expect(error as? IPCError == .closed, "\(error)")
        }
        await link.closeSpool()
    }
}
