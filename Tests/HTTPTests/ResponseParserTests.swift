import Testing
import Foundation
import IOCore
import TLS
import TestSupport
@testable import HTTP

@Suite struct ResponseParserTests {
    func parse(_ text: String, method: HTTPMethod = .get, closeAtEnd: Bool = false, byteByByte: Bool = false) throws -> HTTPClientResponse? {
        var parser = HTTPResponseParser()
        if byteByByte {
            for b in text.utf8 {
                parser.feed([b])
                if let r = try parser.next(requestMethod: method) { return r }
            }
        } else {
            parser.feed(Array(text.utf8))
            if let r = try parser.next(requestMethod: method) { return r }
        }
        return closeAtEnd ? try parser.finish() : nil
    }

    @Test func contentLengthAndChunkedBodiesParseEvenByteByByte() throws {
        for byByte in [false, true] {
            let a = try #require(try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", byteByByte: byByte))
            #expect(a.status.code == 200 && a.bodyText == "hello")
            let b = try #require(try parse("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", byteByByte: byByte))
            #expect(b.status == HTTPStatus(code: 201, reason: "Created") && b.bodyText == "abcde")
        }
    }

    @Test func headAnd204And304HaveNoBody() throws {
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", method: .head)?.body == [])
        #expect(try parse("HTTP/1.1 204 No Content\r\n\r\n")?.status.code == 204)
        #expect(try parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n")?.body == [])
    }

    @Test func aBodyWithoutLengthRunsUntilClose() throws {
        #expect(try parse("HTTP/1.0 200 OK\r\n\r\nuntil the end", closeAtEnd: true)?.bodyText == "until the end")
    }

    @Test func interimResponsesAreSkipped() throws {
        #expect(try parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")?.bodyText == "ok")
    }

    @Test func aGarbageStatusLineIsRejected() {
        #expect(throws: HTTPParseError.self) { try parse("HTTX/1.1 200 OK\r\n\r\n") }
        #expect(throws: HTTPParseError.invalidContentLength) { try parse("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n") }
    }

    @Test func urlsSplitIntoHostPortAndTarget() throws {
        #expect(try HTTPURL("https://discord.com/api/v10/gateway/bot") == HTTPURL(secure: true, host: "discord.com", port: 443, target: "/api/v10/gateway/bot"))
        let v6 = try HTTPURL("http://[::1]:8080?x=1")
        #expect(v6.host == "::1" && v6.port == 8080 && v6.target == "/?x=1" && v6.hostHeader == "[::1]:8080")
        #expect(throws: HTTPClientError.invalidURL("ftp://x")) { try HTTPURL("ftp://x") }
        #expect(throws: HTTPClientError.self) { try HTTPURL("http://host:99999/") }
    }
}

extension HTTPURL {
    init(secure: Bool, host: String, port: Int, target: String) {
        try! self.init("\(secure ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)\(target)")
    }
}

/// A Python http.server with keep-alive, chunked and slow routes, optionally over TLS.
let pythonServerScript = """
    import http.server, socketserver, ssl, sys, time, threading
    connections = 0
    lock = threading.Lock()
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *args): pass
        def setup(self):
            global connections
            with lock: connections += 1
            super().setup()
        def send_body(self, body, status=200):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def do_GET(self):
            if self.path == "/len":
                self.send_body(b"fixed length body")
            elif self.path == "/chunked":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for part in [b"alpha ", b"beta ", b"gamma"]:
                    self.wfile.write(b"%x\\r\\n%s\\r\\n" % (len(part), part))
                self.wfile.write(b"0\\r\\n\\r\\n")
            elif self.path == "/sleep":
                time.sleep(3)
                self.send_body(b"late")
            elif self.path == "/stats":
                self.send_body(str(connections).encode())
            else:
                self.send_body(b"not found", 404)
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_body(b"echo:" + body + b" ua:" + self.headers.get("User-Agent", "").encode())
    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
    server = Server(("127.0.0.1", 0), Handler)
    if len(sys.argv) > 2:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[1], sys.argv[2])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("port", server.server_address[1], flush=True)
    server.serve_forever()
    """

func withPythonServer<T>(tls pki: TestPKI? = nil, in dir: String, _ body: (Int) async throws -> T) async throws -> T {
    try pythonServerScript.writeAtomically(to: "\(dir)/server.py")
    var args = ["\(dir)/server.py"]
    if let pki { args += [pki.serverCertificate, pki.serverKey] }
    let server = try BackgroundProcess(Peer.python3.path!, args)
    do {
        let line = try await server.waitForLine { $0.hasPrefix("port ") }
        let result = try await body(Int(line.dropFirst(5))!)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
