import Testing
import Foundation
import Glibc
import IOCore
import TestSupport
@testable import HTTP

@Suite struct CurlInteropTests {
    func curl(_ args: [String]) async throws -> ProcessResult {
        try await runProcess(Peer.curl.path!, ["-sS", "--max-time", testPatienceSeconds] + args, timeout: .seconds(30))
    }

    @Test(.enabled(if: Peer.curl.isAvailable, Peer.curl.missing))
    func curlReusesOneKeepAliveConnectionForTwoRequests() async throws {
        try await withServer(responder: testRouter()) { server in
            let url = "http://127.0.0.1:\(server.port)/hello"
            let result = try await curl(["-v", url, url])
            #expect(result.stdout == "hello\nhello\n")
            #expect(result.stderr.contains("Re-using existing connection") || result.stderr.contains("Reusing existing connection"))
            #expect(server.acceptedCount == 1)
        }
    }

    @Test(.enabled(if: Peer.curl.isAvailable, Peer.curl.missing))
    func curlUploadsAChunkedBody() async throws {
        try await withTemporaryDirectory { dir in
            let payload = String(repeating: "botvisor chunked upload\n", count: 5000)
            try payload.writeAtomically(to: "\(dir)/body")
            try await withServer(responder: testRouter()) { server in
                let result = try await curl(["-H", "Transfer-Encoding: chunked", "--data-binary", "@\(dir)/body",
                                       "http://127.0.0.1:\(server.port)/echo"])
                #expect(result.stdout == payload)
            }
        }
    }

    @Test(.enabled(if: Peer.curl.isAvailable, Peer.curl.missing))
    func curlHeadGetsHeadersWithoutABody() async throws {
        try await withServer(responder: testRouter()) { server in
            let result = try await curl(["-I", "http://127.0.0.1:\(server.port)/hello"])
            #expect(result.stdout.hasPrefix("HTTP/1.1 200 OK"))
            #expect(result.stdout.contains("Content-Length: 6"))
            #expect(!result.stdout.contains("hello"))
        }
    }

    @Test(.enabled(if: Peer.curl.isAvailable, Peer.curl.missing))
    func curlGets431ForAnOversizedHeaderAnd413ForAnOversizedBody() async throws {
        var config = HTTPServer.Configuration()
        config.limits.maximumBody = 1024
        try await withServer(configuration: config, responder: testRouter()) { server in
            let big = String(repeating: "x", count: 20_000)
            let header = try await curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Big: \(big)", "http://127.0.0.1:\(server.port)/hello"])
            #expect(header.stdout == "431")
            let body = try await curl(["-o", "/dev/null", "-w", "%{http_code}", "--data-binary", String(repeating: "y", count: 5000),
                                 "http://127.0.0.1:\(server.port)/echo"])
            #expect(body.stdout == "413")
        }
    }
}
