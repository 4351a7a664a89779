import Testing
import Foundation
import IOCore
import TLS
import TestSupport
@testable import HTTP

@Suite struct HTTPClientInteropTests {
    func exercise(_ client: HTTPClient, base: String) async throws {
        let a = try await client.send(HTTPClientRequest(url: "\(base)/len"))
        #expect(a.status.code == 200 && a.bodyText == "fixed length body")
        let b = try await client.send(HTTPClientRequest(url: "\(base)/chunked"))
        #expect(b.bodyText == "alpha beta gamma")
        let c = try await client.send(HTTPClientRequest(method: .post, url: "\(base)/echo", body: Array("payload".utf8)))
        #expect(c.bodyText == "echo:payload ua:DiscordBot (https://example.invalid, 1.0)")
        let d = try await client.send(HTTPClientRequest(url: "\(base)/missing"))
        #expect(d.status.code == 404)
        let stats = try await client.send(HTTPClientRequest(url: "\(base)/stats"))
        // Five requests, one keep-alive connection.
        #expect(stats.bodyText == "1")
        #expect(client.connectionsOpened == 1)
        await #expect(throws: HTTPClientError.timedOut) {
            _ = try await client.send(HTTPClientRequest(url: "\(base)/sleep"), timeout: .milliseconds(300))
        }
    }

    func client(tls: TLSConfiguration = .default) -> HTTPClient {
        var config = HTTPClient.Configuration()
        config.tls = tls
        config.defaultHeaders = ["User-Agent": "DiscordBot (https://example.invalid, 1.0)"]
        return HTTPClient(configuration: config)
    }

    @Test(.enabled(if: Peer.python3.isAvailable, Peer.python3.missing))
    func plainRequestsReuseOneConnection() async throws {
        try await withTemporaryDirectory { dir in
            try await withPythonServer(in: dir) { port in
                let c = client()
                defer { c.shutdown() }
                try await exercise(c, base: "http://127.0.0.1:\(port)")
            }
        }
    }

    @Test(.enabled(if: Peer.python3.isAvailable && Peer.openssl.isAvailable, Peer.openssl.missing))
    func tlsRequestsReuseOneConnection() async throws {
        try await withTemporaryDirectory { dir in
            let pki = try await TestPKI.make(in: dir)
            try await withPythonServer(tls: pki, in: dir) { port in
                let c = client(tls: TLSConfiguration(trustRootsFile: pki.caCertificate))
                defer { c.shutdown() }
                try await exercise(c, base: "https://localhost:\(port)")
            }
        }
    }

    @Test func aServerThatClosesAnIdleConnectionIsRetriedOnANewOne() async throws {
        // Our own server closes idle keep-alive connections after 50 ms.
        var config = HTTPServer.Configuration()
        config.idleTimeout = .milliseconds(50)
        try await withServer(configuration: config, responder: testRouter()) { server in
            let c = HTTPClient()
            defer { c.shutdown() }
            let first = try await c.send(HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/hello"))
            #expect(first.bodyText == "hello\n")
            // Wait for the server to have closed the idle connection, not for a time that hopes it has.
            try await eventually(timeout: .seconds(30), "the server to close the idle connection") { server.connectionCount == 0 }
            let second = try await c.send(HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/hello"))
            #expect(second.bodyText == "hello\n")
            #expect(c.connectionsOpened == 2)
        }
    }
}
