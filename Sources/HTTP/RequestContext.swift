import Synchronization

/// What the server and the middleware know about one request, handed to every handler beside the
/// request itself: its id, who sent it, which route matched, and who is authenticated.
public struct RequestContext: Sendable {
    /// The id in `X-Request-Id` and in every error body: the client's when it sends a sane one, else 16 hex digits unique in this process.
    public var requestID: String
    /// The peer's address (`127.0.0.1:53412`), nil when the server did not know it (a request built in a test).
    public var clientAddress: String?
    /// The pattern of the route that matches (`/api/v1/bots/{name}`), set by the router before the middleware
    /// runs; nil when no route matches (a 404 or 405 is coming).
    public var route: String?
    /// Who the request is authenticated as; nil until an authentication middleware fills it.
    ///
    /// One per request, shared by every copy of that request's context: a middleware that runs outside
    /// the authentication (the audit log, which must also see requests that authentication refused with
    /// 403) reads, after `next` returns or throws, whom the inner one authenticated. Handlers and
    /// middleware set it as if it were a plain field.
    public var principal: Principal? {
        get { principalSlot.value.withLock { $0 } }
        nonmutating set { principalSlot.value.withLock { $0 = newValue } }
    }
    private let principalSlot = PrincipalSlot()

    public init(requestID: String, clientAddress: String? = nil, route: String? = nil, principal: Principal? = nil) {
        self.requestID = requestID
        self.clientAddress = clientAddress
        self.route = route
        self.principal = principal
    }

    /// The context a request starts with: the client's `X-Request-Id` when it is at most 64 letters,
    /// digits, `-` or `_` (so it is safe in a log line and a header), else a fresh id.
    public init(for request: HTTPRequest) {
        let offered = request.headers["X-Request-Id"].flatMap { id in
            !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x5f
            } ? id : nil
        }
        self.init(requestID: offered ?? RequestContext.newRequestID(), clientAddress: request.remoteAddress)
    }

    /// 16 hex digits: a counter from a random start, mixed by a bijection (SplitMix64's finaliser), so ids
    /// never repeat within a process, look unrelated, and cost no `getrandom` call per request.
    public static func newRequestID() -> String {
        var z = idSeed &+ idCounter.wrappingAdd(1, ordering: .relaxed).newValue &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        let value = z ^ (z >> 31)
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: (0..<16).map { i in digits[Int((value >> (60 - 4 * UInt64(i))) & 0xf)] }, as: UTF8.self)
    }

    private static let idSeed = UInt64.random(in: .min ... .max)
    private static let idCounter = Atomic<UInt64>(0)
}

/// The principal cell behind `RequestContext.principal`.
final class PrincipalSlot: Sendable {
    let value = Mutex<Principal?>(nil)
}

/// An authenticated caller: the subject (an account name, or `token:<name>` for an API token) and the role it acts with
/// (`viewer`, `operator`, `admin`; the auth layer owns the vocabulary and checks it).
public struct Principal: Sendable, Equatable {
    public var subject: String
    public var role: String
    /// What the caller presented, in the auth layer's own type (opaque here), for what outlives the request:
    /// the live feed keeps it to close a connection once that credential is revoked. Not part of equality.
    public var credential: (any Sendable)?
    public init(subject: String, role: String, credential: (any Sendable)? = nil) {
        self.subject = subject
        self.role = role
        self.credential = credential
    }

    public static func == (a: Principal, b: Principal) -> Bool { a.subject == b.subject && a.role == b.role }
}
