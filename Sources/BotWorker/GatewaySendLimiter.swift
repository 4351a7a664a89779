import Discord

/// Keeps a connection under 120 sent events per 60 s (docs/discord-protocol.md
/// §1.10): a sliding-window log where ordinary events may use 115 slots and
/// the remaining 5 are reserved for heartbeats, identify and resume, which are
/// never delayed. A plain state machine with an injected clock.
public struct GatewaySendLimiter: Sendable {
    public typealias Instant = ContinuousClock.Instant
    public let capacity: Int
    public let reserved: Int
    public let window: Duration
    private var sent: [Instant] = []

    public init(capacity: Int = GatewayLimits.sendsPerWindow, reserved: Int = 5, window: Duration = GatewayLimits.sendWindow) {
        self.capacity = capacity
        self.reserved = reserved
        self.window = window
    }

    /// Records a send now, or returns when an ordinary event may go.
    public mutating func acquire(now: Instant, priority: Bool) -> Instant? {
        sent.removeAll { now - $0 >= window }
        let limit = priority ? capacity : capacity - reserved
        if sent.count < limit {
            sent.append(now)
            return nil
        }
        // The slot frees when the oldest event that keeps us at the limit leaves the window.
        return sent[sent.count - limit] + window
    }

    /// A payload over 4096 bytes closes the connection with 4002 (D-GW "Sending Events"): refuse it here.
    public static func check(size: Int) throws(GatewaySendError) {
        guard size <= GatewayLimits.maximumPayloadBytes else { throw .payloadTooLarge(size) }
    }

    public var sentInWindow: Int { sent.count }
}

public enum GatewaySendError: Error, Equatable {
    case payloadTooLarge(Int)
}
