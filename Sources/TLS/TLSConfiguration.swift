#if canImport(Glibc)
import Glibc
#endif

/// How a TLS client verifies servers. There is deliberately no switch to turn
/// verification off: tests use a throwaway CA instead.
public struct TLSConfiguration: Sendable, Hashable {
    /// A PEM file of trusted roots; nil uses OpenSSL's default locations (the system trust store).
    public var trustRootsFile: String?
    /// A directory of hashed trusted roots (`c_rehash` layout).
    public var trustRootsDirectory: String?
    /// ALPN protocols to offer, e.g. `["http/1.1"]`.
    public var applicationProtocols: [String] = []

    public init(trustRootsFile: String? = nil, trustRootsDirectory: String? = nil, applicationProtocols: [String] = []) {
        self.trustRootsFile = trustRootsFile
        self.trustRootsDirectory = trustRootsDirectory
        self.applicationProtocols = applicationProtocols
    }

    /// The system trust store, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set (as OpenSSL's own tools honour them).
    public static func `default`(environment: [String: String]? = nil) -> TLSConfiguration {
        func value(_ name: String) -> String? {
            if let environment { return environment[name] }
            return getenv(name).map { String(cString: $0) }
        }
        return TLSConfiguration(trustRootsFile: value("SSL_CERT_FILE").flatMap { $0.isEmpty ? nil : $0 },
                                trustRootsDirectory: value("SSL_CERT_DIR").flatMap { $0.isEmpty ? nil : $0 })
    }

    public static var `default`: TLSConfiguration { .default(environment: nil) }
}

/// Why a TLS connection failed, worded for a log line.
public enum TLSError: Error, Equatable, CustomStringConvertible {
    /// The server's chain does not lead to a trusted root (or is expired, revoked ...).
    case certificateVerificationFailed(String)
    /// The certificate is valid but not for the name we connected to.
    case hostnameMismatch(String)
    case handshakeFailed(String)
    case trustRootsUnreadable(String)
    case closed
    case ioFailed(String)

    public var description: String {
        switch self {
        case .certificateVerificationFailed(let why): "TLS certificate verification failed: \(why)"
        case .hostnameMismatch(let host): "TLS certificate does not match host \(host)"
        case .handshakeFailed(let why): "TLS handshake failed: \(why)"
        case .trustRootsUnreadable(let why): "cannot load trusted roots: \(why)"
        case .closed: "TLS connection closed"
        case .ioFailed(let why): "TLS I/O failed: \(why)"
        }
    }
}
