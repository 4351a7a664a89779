import Testing
@testable import HTTP

@Suite struct RequestParserTests {
    func parseAll(_ text: String, limits: HTTPRequestParser.Limits = .init()) throws -> [HTTPRequest] {
        var parser = HTTPRequestParser(limits: limits)
        parser.feed(Array(text.utf8))
        var out: [HTTPRequest] = []
        while let r = try parser.next() { out.append(r) }
        return out
    }

    func error(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> HTTPParseError? {
        do { _ = try parseAll(text, limits: limits); return nil } catch { return error as? HTTPParseError }
    }

    @Test func aSimpleGetParsesWithQueryAndHeaders() throws {
        let r = try #require(try parseAll("GET /api/v1/logs?bot=a%20b&q=x+y&flag HTTP/1.1\r\nHost: x\r\nX-A:  v  \r\n\r\n").first)
        #expect(r.method == .get)
        #expect(r.path == "/api/v1/logs")
        #expect(r.query("bot") == "a b")
        #expect(r.query("q") == "x y")
        #expect(r.query("flag") == "")
        #expect(r.headers["x-a"] == "v")
        #expect(HTTPRequestParser.keepsAlive(r))
    }

    @Test func pipelinedRequestsComeOutInOrderWithBodies() throws {
        let rs = try parseAll("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(rs.map(\.path) == ["/a", "/b"])
        #expect(rs[0].body == Array("abc".utf8))
    }

    @Test func aChunkedBodyWithExtensionsAndTrailersIsReassembled() throws {
        let r = try #require(try parseAll("POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n").first)
        #expect(String(decoding: r.body, as: UTF8.self) == "Wikipedia")
        #expect(r.headers["X-Trailer"] == "t")
    }

    @Test func feedingOneByteAtATimeGivesTheSameRequests() throws {
        let text = "POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nPUT /v HTTP/1.1\r\nHost: y\r\nContent-Length: 2\r\n\r\nhi"
        var parser = HTTPRequestParser()
        var out: [HTTPRequest] = []
        for byte in text.utf8 {
            parser.feed([byte])
            while let r = try parser.next() { out.append(r) }
        }
        #expect(out.map(\.path) == ["/u", "/v"])
        #expect(out.map { String(decoding: $0.body, as: UTF8.self) } == ["abc", "hi"])
        #expect(parser.isIdle)
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() throws {
        let a = try #require(try parseAll("GET / HTTP/1.0\r\n\r\n").first)
        #expect(!HTTPRequestParser.keepsAlive(a))
        let b = try #require(try parseAll("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").first)
        #expect(HTTPRequestParser.keepsAlive(b))
        let c = try #require(try parseAll("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").first)
        #expect(!HTTPRequestParser.keepsAlive(c))
    }

    @Test(arguments: [
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", HTTPParseError.conflictingFraming),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", .conflictingFraming),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", .chunkedNotFinal),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferCoding("gzip")),
        ("GET / HTTP/1.1\r\n\r\n", .missingHost),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .duplicateHost),
        ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", .obsoleteLineFolding),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .invalidHeader("bad field name")),
        ("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", .bareLineFeed),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", .unsupportedVersion("HTTP/2.0")),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine),
        ("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine),
        ("GET / HTTP/1.1\r\nHost: a\u{1}\r\n\r\n", .invalidHeader("control character in value")),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformedChunk),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY", .malformedChunk),
    ])
    func malformedRequestsAreRejectedWithASpecificError(text: String, expected: HTTPParseError) {
        #expect(error(text) == expected)
    }

    @Test func limitsMapTo414And431And413() {
        var limits = HTTPRequestParser.Limits()
        limits.maximumRequestLine = 64
        limits.maximumHeaderBytes = 256
        limits.maximumBody = 10
        let longLine = "GET /" + String(repeating: "a", count: 100)
        #expect(error(longLine, limits: limits)?.status == .uriTooLong)
        let bigHeaders = "GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaa\r\n", count: 20)
        #expect(error(bigHeaders, limits: limits)?.status == .requestHeaderFieldsTooLarge)
        #expect(error("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", limits: limits)?.status == .payloadTooLarge)
        #expect(error("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\n", limits: limits)?.status == .payloadTooLarge)
    }

    @Test func emptyLinesBeforeARequestAreIgnored() throws {
        #expect(try parseAll("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n").count == 1)
    }
}
