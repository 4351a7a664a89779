#if canImport(Glibc)
import Glibc
#endif
import COpenSSL
import IOCore
import Synchronization

/// A TLS client session over a non-blocking socket: SNI, chain verification
/// against the configured roots, hostname (or IP) verification. OpenSSL's
/// WANT_READ/WANT_WRITE become waits on the reactor. A read and a write may
/// run concurrently: every SSL call holds a lock (never across an await).
public final class TLSStream: ByteStream, @unchecked Sendable {
    // because `ssl` is only touched with `lock` held, and `socket` is Sendable.
    public let socket: SocketStream
    private let ssl: OpaquePointer
    private let lock = Mutex<Void>(())
    private let closed = Atomic<Bool>(false)
    public let host: String

    /// Connects over TCP and completes the handshake.
    public static func connect(host: String, port: Int, serverName: String? = nil,
                               configuration: TLSConfiguration = .default, deadline: Deadline? = nil) async throws -> TLSStream {
        // A bad trust store fails before any network traffic.
        _ = try TLSContextCache.shared.context(for: configuration)
        let socket = try await SocketStream.connect(host: host, port: port, deadline: deadline)
        do {
            return try await TLSStream(wrapping: socket, serverName: serverName ?? host, configuration: configuration, deadline: deadline)
        } catch {
            socket.close()
            throw error
        }
    }

    /// Runs the server handshake over an accepted socket.
    public init(accepting socket: SocketStream, context: TLSServerContext, deadline: Deadline? = nil) async throws {
        guard let ssl = SSL_new(context.context) else { throw TLSError.handshakeFailed(TLSStream.openSSLErrors()) }
        self.ssl = ssl
        self.socket = socket
        self.host = "client"
        SSL_set_fd(ssl, socket.fd)
        try await handshake(deadline: deadline, accept: true)
    }

    /// Runs the client handshake over an already connected socket.
    public init(wrapping socket: SocketStream, serverName: String, configuration: TLSConfiguration = .default,
                deadline: Deadline? = nil) async throws {
        let context = try TLSContextCache.shared.context(for: configuration)
        guard let ssl = SSL_new(context) else { throw TLSError.handshakeFailed(TLSStream.openSSLErrors()) }
        self.ssl = ssl
        self.socket = socket
        self.host = serverName
        SSL_set_fd(ssl, socket.fd)
        let bareHost = serverName.hasPrefix("[") && serverName.hasSuffix("]") ? String(serverName.dropFirst().dropLast()) : serverName
        if SocketAddress(numericHost: bareHost, port: 0) != nil {
            // RFC 6066 §3: no SNI for IP literals; verify the IP against the certificate's SAN instead.
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), bareHost)
        } else {
            _ = botvisor_SSL_set_tlsext_host_name(ssl, bareHost)
            SSL_set1_host(ssl, bareHost)
        }
        SSL_set_verify(ssl, SSL_VERIFY_PEER, nil)
        try await handshake(deadline: deadline, accept: false)
    }

    deinit {
        SSL_free(ssl)
        socket.close()
    }

    private enum Step {
        case done(Int)
        case wantRead
        case wantWrite
        case eof
        case failed(Int32)
    }

    /// Runs one SSL call under the lock and classifies its outcome.
    private func step(_ call: (OpaquePointer) -> (Int32, Int)) -> Step {
        lock.withLock { _ in
            ERR_clear_error()
            let (rc, n) = call(ssl)
            if rc > 0 { return .done(n) }
            let error = SSL_get_error(ssl, rc)
            switch error {
            case SSL_ERROR_WANT_READ: return .wantRead
            case SSL_ERROR_WANT_WRITE: return .wantWrite
            case SSL_ERROR_ZERO_RETURN: return .eof
            default: return .failed(error)
            }
        }
    }

    private func handshake(deadline: Deadline?, accept: Bool) async throws {
        while true {
            switch step({ (accept ? SSL_accept($0) : SSL_connect($0), 0) }) {
            case .done: return
            case .wantRead: try await socket.reactor.waitReadable(socket.fd, deadline: deadline)
            case .wantWrite: try await socket.reactor.waitWritable(socket.fd, deadline: deadline)
            case .eof: throw TLSError.handshakeFailed("the server closed the connection")
            case .failed: throw handshakeError()
            }
        }
    }

    private func handshakeError() -> TLSError {
        let (result, details) = lock.withLock { _ in (SSL_get_verify_result(ssl), TLSStream.openSSLErrors()) }
        if result != X509_V_OK {
            // X509_V_ERR_HOSTNAME_MISMATCH / X509_V_ERR_IP_ADDRESS_MISMATCH
            if result == 62 || result == 64 { return .hostnameMismatch(host) }
            let reason = String(cString: X509_verify_cert_error_string(result))
            return .certificateVerificationFailed("\(reason) (X509 error \(result)) for \(host)")
        }
        return .handshakeFailed(details.isEmpty ? "connection reset during the handshake" : details)
    }

    public func read(into buffer: inout [UInt8], maxLength: Int, deadline: Deadline?) async throws -> Int {
        while true {
            if closed.load(ordering: .acquiring) { throw StreamClosed() }
            let outcome = buffer.appendBytes(maxLength: maxLength) { raw -> (count: Int, result: Step) in
                let outcome = step { ssl in
                    var n = 0
                    let rc = SSL_read_ex(ssl, raw.baseAddress!, maxLength, &n)
                    return (rc, n)
                }
                if case .done(let n) = outcome { return (n, outcome) }
                return (0, outcome)
            }
            switch outcome {
            case .done(let n):
                return n
            case .eof:
                return 0
            case .wantRead:
                try await socket.reactor.waitReadable(socket.fd, deadline: deadline)
            case .wantWrite:
                // A post-handshake message needs to go out; the writer side owns write waits, so poll briefly.
                try? await socket.reactor.sleep(until: .now + .milliseconds(1))
            case .failed(let code):
                // A peer that vanishes without close_notify: report the end of the stream (see SSL_OP_IGNORE_UNEXPECTED_EOF).
                if code == SSL_ERROR_SYSCALL { return 0 }
                throw TLSError.ioFailed(TLSStream.openSSLErrors())
            }
        }
    }

    public func write(_ bytes: [UInt8], deadline: Deadline?) async throws {
        var offset = 0
        while offset < bytes.count {
            if closed.load(ordering: .acquiring) { throw StreamClosed() }
            let outcome = bytes.withUnsafeBytes { raw in
                step { ssl in
                    var n = 0
                    let rc = SSL_write_ex(ssl, raw.baseAddress! + offset, raw.count - offset, &n)
                    return (rc, n)
                }
            }
            switch outcome {
            case .done(let n): offset += n
            case .wantWrite: try await socket.reactor.waitWritable(socket.fd, deadline: deadline)
            case .wantRead: try await socket.reactor.sleep(until: .now + .milliseconds(1))
            case .eof: throw TLSError.closed
            case .failed: throw TLSError.ioFailed(TLSStream.openSSLErrors())
            }
        }
    }

    /// Sends close_notify (best effort) and half-closes the socket.
    public func shutdownWrite() async {
        _ = step { (SSL_shutdown($0), 0) }
        await socket.shutdownWrite()
    }

    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        socket.close()
    }

    /// Drains OpenSSL's thread-local error queue into one string.
    static func openSSLErrors() -> String {
        var parts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buf, buf.count)
            parts.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return parts.joined(separator: "; ")
    }
}

/// A server certificate and key, loaded once, for accepting TLS connections.
public final class TLSServerContext: @unchecked Sendable {
    // because an SSL_CTX is thread-safe once configured and is never changed after init.
    let context: OpaquePointer

    /// Loads a PEM certificate chain and its private key.
    public init(certificateChainFile: String, privateKeyFile: String) throws {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw TLSError.handshakeFailed(TLSStream.openSSLErrors()) }
        _ = botvisor_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)
        _ = botvisor_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
        guard SSL_CTX_use_certificate_chain_file(ctx, certificateChainFile) == 1,
              SSL_CTX_use_PrivateKey_file(ctx, privateKeyFile, SSL_FILETYPE_PEM) == 1,
              SSL_CTX_check_private_key(ctx) == 1 else {
            let details = TLSStream.openSSLErrors()
            SSL_CTX_free(ctx)
            throw TLSError.trustRootsUnreadable("\(certificateChainFile): \(details)")
        }
        context = ctx
    }

    deinit { SSL_CTX_free(context) }
}

/// One `SSL_CTX` per configuration: loading a trust store is expensive, sessions are cheap.
final class TLSContextCache: @unchecked Sendable {
    // because `contexts` is only touched with `lock` held; SSL_CTX is thread-safe once configured.
    static let shared = TLSContextCache()
    private let lock = Mutex<[TLSConfiguration: OpaquePointer]>([:])

    func context(for configuration: TLSConfiguration) throws -> OpaquePointer {
        try lock.withLock { cache in
            if let ctx = cache[configuration] { return ctx }
            guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw TLSError.handshakeFailed(TLSStream.openSSLErrors()) }
            _ = botvisor_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)
            _ = botvisor_SSL_CTX_set_options(ctx, botvisor_SSL_OP_IGNORE_UNEXPECTED_EOF() | botvisor_SSL_OP_NO_RENEGOTIATION())
            // Partial writes are fine: our write loop continues where OpenSSL stopped.
            _ = botvisor_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
            if configuration.trustRootsFile != nil || configuration.trustRootsDirectory != nil {
                guard SSL_CTX_load_verify_locations(ctx, configuration.trustRootsFile, configuration.trustRootsDirectory) == 1 else {
                    let details = TLSStream.openSSLErrors()
                    SSL_CTX_free(ctx)
                    throw TLSError.trustRootsUnreadable("\(configuration.trustRootsFile ?? configuration.trustRootsDirectory ?? ""): \(details)")
                }
            } else {
                SSL_CTX_set_default_verify_paths(ctx)
            }
            if !configuration.applicationProtocols.isEmpty {
                var wire: [UInt8] = []
                for p in configuration.applicationProtocols {
                    wire.append(UInt8(p.utf8.count))
                    wire.append(contentsOf: p.utf8)
                }
                SSL_CTX_set_alpn_protos(ctx, wire, UInt32(wire.count))
            }
            cache[configuration] = ctx
            return ctx
        }
    }
}

