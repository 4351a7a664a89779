import Testing
import Glibc
import Foundation
@testable import IOCore
import TestSupport

@Suite struct ReactorTests {
    @Test func aStreamPairCarriesBytesBothWays() async throws {
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        async let accepted = listener.accept()
        let client = try await SocketStream.connect(host: "127.0.0.1", port: listener.port, deadline: .after(testPatience))
        let server = try await accepted
        defer { client.close(); server.close() }
        try await client.write(Array("hello".utf8))
        var buffer: [UInt8] = []
        while buffer.count < 5 { _ = try await server.read(into: &buffer) }
        #expect(buffer == Array("hello".utf8))
        await server.shutdownWrite()
        var rest: [UInt8] = []
        #expect(try await client.read(into: &rest) == 0)
    }

    @Test func aReadPastItsDeadlineThrowsDeadlineExceeded() async throws {
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        async let accepted = listener.accept()
        let client = try await SocketStream.connect(host: "127.0.0.1", port: listener.port)
        let server = try await accepted
        defer { client.close(); server.close() }
        var buffer: [UInt8] = []
        await #expect(throws: DeadlineExceeded.self) {
            _ = try await server.read(into: &buffer, maxLength: 100, deadline: .after(.milliseconds(30)))
        }
        #expect(buffer.isEmpty)
    }

    @Test func cancellingAWaitingReadEndsIt() async throws {
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        async let accepted = listener.accept()
        let client = try await SocketStream.connect(host: "127.0.0.1", port: listener.port)
        let server = try await accepted
        defer { client.close(); server.close() }
        let task = Task {
            var buffer: [UInt8] = []
            return try await server.read(into: &buffer)
        }
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }

    @Test func closingAStreamWakesItsReaderWithStreamClosed() async throws {
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        async let accepted = listener.accept()
        let client = try await SocketStream.connect(host: "127.0.0.1", port: listener.port)
        let server = try await accepted
        defer { client.close() }
        let reader = Task {
            var buffer: [UInt8] = []
            return try await server.read(into: &buffer)
        }
        // Close only once the reader is parked on epoll: then only `deregister` can end its wait
        // (an earlier close would be caught by `read`'s own `isClosed` check, not the wake path).
        try await eventually("the reader to park") { server.reactor.hasParkedReader(server.fd) }
        server.close()
        await #expect(throws: StreamClosed.self) { _ = try await reader.value }
    }

    @Test func sleepersNeverWakeBeforeTheirDeadline() async throws {
        let reactor = Reactor.shared
        await withThrowingTaskGroup(of: Void.self) { group in
            for i in [3, 1, 2] {
                group.addTask {
                    let deadline = ContinuousClock.now + .milliseconds(20 * i)
                    try await reactor.sleep(until: deadline)
                    #expect(ContinuousClock.now >= deadline)
                }
            }
        }
    }

    @Test func connectingToAClosedPortFailsWithECONNREFUSED() async throws {
        let port: Int = try {
            let l = try SocketListener.tcp(host: "127.0.0.1", port: 0)
            defer { l.close() }
            return l.port
        }()
        await #expect(throws: SystemError(call: "connect", errno: ECONNREFUSED)) {
            _ = try await SocketStream.connect(host: "127.0.0.1", port: port, deadline: .after(testPatience))
        }
    }

    @Test func unixSocketsReportPeerCredentialsAndMode() async throws {
        let path = "/tmp/botvisor-reactor-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let listener = try SocketListener.unix(path: path, mode: 0o600)
        defer { listener.close(); unlink(path) }
        var st = stat()
        stat(path, &st)
        #expect(st.st_mode & 0o777 == 0o600)
        async let accepted = listener.accept()
        let client = try await SocketStream.connect(unixPath: path)
        let server = try await accepted
        defer { client.close(); server.close() }
        let cred = try server.peerCredentials()
        #expect(cred.pid == getpid())
        #expect(cred.uid == getuid())
    }

    @Test func aThreadExecutorRunsBlockingWorkOffThePool() async throws {
        let executor = ThreadExecutor()
        let id = try await executor.run { pthread_self() }
        let again = try await executor.run { pthread_self() }
        #expect(id == again)
    }

    @Test func namesResolveOffThePool() async throws {
        let addresses = try await SocketAddress.resolve(host: "localhost", port: 80)
        #expect(!addresses.isEmpty)
    }
}
