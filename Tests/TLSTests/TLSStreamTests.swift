import Testing
import Foundation
import IOCore
import TestSupport
@testable import TLS

/// Starts `openssl s_server -www` on a free port with the test PKI's server certificate.
func withOpenSSLServer<T>(_ pki: TestPKI, _ body: (Int) async throws -> T) async throws -> T {
    let port = try freePort()
    let server = try BackgroundProcess(Peer.openssl.path!, ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", pki.serverCertificate,
                                                            "-key", pki.serverKey, "-www", "-quiet"])
    do {
        try await waitForPort(port)
        let result = try await body(port)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// Sends a minimal HTTP/1.0 request over `stream` and returns everything until the server closes.
func fetch(_ stream: TLSStream) async throws -> String {
    try await stream.write(Array("GET / HTTP/1.0\r\n\r\n".utf8), deadline: .after(testPatience))
    var out: [UInt8] = []
    while try await stream.read(into: &out, maxLength: 16_384, deadline: .after(testPatience)) > 0 {}
    return String(decoding: out, as: UTF8.self)
}

@Suite struct TLSStreamTests {
    @Test(.enabled(if: Peer.openssl.isAvailable, Peer.openssl.missing))
    func aHandshakeSucceedsWithTheCAInSSLCertFile() async throws {
        try await withTemporaryDirectory { dir in
            let pki = try await TestPKI.make(in: dir)
            try await withOpenSSLServer(pki) { port in
                let config = TLSConfiguration.default(environment: ["SSL_CERT_FILE": pki.caCertificate])
                #expect(config.trustRootsFile == pki.caCertificate)
                let stream = try await TLSStream.connect(host: "127.0.0.1", port: port, serverName: "localhost",
                                                         configuration: config, deadline: .after(testPatience))
                defer { stream.close() }
                let page = try await fetch(stream)
                #expect(page.hasPrefix("HTTP/1.0 200 ok"))
            }
        }
    }

    @Test(.enabled(if: Peer.openssl.isAvailable, Peer.openssl.missing))
    func anIPAddressIsVerifiedAgainstTheCertificate() async throws {
        try await withTemporaryDirectory { dir in
            let pki = try await TestPKI.make(in: dir)
            try await withOpenSSLServer(pki) { port in
                let stream = try await TLSStream.connect(host: "127.0.0.1", port: port,
                                                         configuration: TLSConfiguration(trustRootsFile: pki.caCertificate))
                defer { stream.close() }
                #expect(try await fetch(stream).hasPrefix("HTTP/1.0 200 ok"))
            }
        }
    }

    @Test(.enabled(if: Peer.openssl.isAvailable, Peer.openssl.missing))
    func withoutTheCAVerificationFailsWithAClearError() async throws {
        try await withTemporaryDirectory { dir in
            let pki = try await TestPKI.make(in: dir)
            try await withOpenSSLServer(pki) { port in
                do {
                    _ = try await TLSStream.connect(host: "127.0.0.1", port: port, serverName: "localhost",
                                                    configuration: .default(environment: [:]), deadline: .after(testPatience))
                    Issue.record("connected to an untrusted server")
                } catch let error as TLSError {
                    guard case .certificateVerificationFailed(let why) = error else { Issue.record("wrong error \(error)"); return }
                    #expect(why.contains("unable to get local issuer certificate"))
                    #expect(error.description.hasPrefix("TLS certificate verification failed"))
                }
            }
        }
    }

    @Test(.enabled(if: Peer.openssl.isAvailable, Peer.openssl.missing))
    func aCertificateForAnotherNameIsAHostnameMismatch() async throws {
        try await withTemporaryDirectory { dir in
            let pki = try await TestPKI.make(in: dir)
            try await withOpenSSLServer(pki) { port in
                await #expect(throws: TLSError.hostnameMismatch("discord.com")) {
                    _ = try await TLSStream.connect(host: "127.0.0.1", port: port, serverName: "discord.com",
                                                    configuration: TLSConfiguration(trustRootsFile: pki.caCertificate),
                                                    deadline: .after(testPatience))
                }
            }
        }
    }

    @Test func anUnreadableTrustFileIsReported() async throws {
        do {
            _ = try await TLSStream.connect(host: "127.0.0.1", port: 1, configuration: TLSConfiguration(trustRootsFile: "/nonexistent.pem"))
            Issue.record("connected without trust roots")
        } catch let error as TLSError {
            guard case .trustRootsUnreadable(let why) = error else { Issue.record("wrong error \(error)"); return }
            #expect(why.contains("No such file"))
        }
    }

    @Test(.enabled(if: Peer.python3.isAvailable, Peer.python3.missing))
    func ourClientTalksToAPythonSSLServer() async throws {
        try await withTemporaryDirectory { dir in
            let pki = try await TestPKI.make(in: dir)
            let port = try freePort()
            let script = """
                import socket, ssl
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain("\(pki.serverCertificate)", "\(pki.serverKey)")
                srv = socket.create_server(("127.0.0.1", \(port)))
                print("ready", flush=True)
                conn, _ = srv.accept()
                with ctx.wrap_socket(conn, server_side=True) as s:
                    data = b""
                    while not data.endswith(b"\\n"):
                        data += s.recv(1024)
                    s.sendall(b"echo:" + data.upper())
                """
            try script.writeAtomically(to: "\(dir)/server.py")
            let server = try BackgroundProcess(Peer.python3.path!, ["\(dir)/server.py"])
            _ = try await server.waitForLine { $0 == "ready" }
            let stream = try await TLSStream.connect(host: "localhost", port: port,
                                                     configuration: TLSConfiguration(trustRootsFile: pki.caCertificate),
                                                     deadline: .after(testPatience))
            defer { stream.close() }
            try await stream.write(Array("hello tls\n".utf8))
            var out: [UInt8] = []
            while try await stream.read(into: &out, maxLength: 1024, deadline: .after(testPatience)) > 0 {}
            #expect(String(decoding: out, as: UTF8.self) == "echo:HELLO TLS\n")
            await server.stop()
        }
    }
}
