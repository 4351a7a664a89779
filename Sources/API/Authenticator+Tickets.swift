import Auth
import Crypto
import HTTP

/// Tickets for the live feed: browsers cannot set `Authorization` on a WebSocket, so the dashboard
/// trades its bearer token for a ticket (`POST /api/v1/auth/ws-ticket`) and puts it in the feed's URL.
/// A ticket is random (128 bits), single use, lives `ticketLifetime` and is kept only in memory; it
/// opens `GET /api/v1/events` once, as the principal that asked for it, and nothing else.
extension Authenticator {
    public static let ticketLifetime: Duration = .seconds(30)
    /// Tickets not yet redeemed, at most this many (the oldest is dropped past it).
    static let ticketCapacity = 1024

    /// A fresh ticket for `principal`.
    public func issueTicket(for principal: Principal) -> String {
        let ticket = "bvt_" + Base64URL.encode(SecureRandom.bytes(16))
        let now = ContinuousClock.now
        tickets.withLock { t in
            t = t.filter { now < $0.value.expires }
            if t.count >= Authenticator.ticketCapacity, let oldest = t.min(by: { $0.value.expires < $1.value.expires })?.key {
                t.removeValue(forKey: oldest)
            }
            t[ticket] = (principal, now + Authenticator.ticketLifetime)
        }
        return ticket
    }

    /// The principal a ticket was issued to, once; nil for an unknown, spent or expired ticket.
    public func redeemTicket(_ ticket: String) -> Principal? {
        tickets.withLock { t in
            guard let entry = t.removeValue(forKey: ticket), ContinuousClock.now < entry.expires else { return nil }
            return entry.principal
        }
    }
}
