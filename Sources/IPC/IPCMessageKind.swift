/// One row of the IPC message table (`IPCMessage.kinds`): a message's wire `type`, how its body is read,
/// and how a message of this kind is recognised. A new message is its enum case plus one row; the codec
/// has no per-message switch.
public struct IPCMessageKind: Sendable {
    /// What a message of this kind writes under `body`.
    enum Payload {
        /// `{"type":"heartbeat"}`: no `body` key at all.
        case none
        case body(any Encodable)
    }

    /// The `type` field on the wire.
    public let type: String
    let decodeBody: @Sendable (KeyedDecodingContainer<IPCEnvelope.CodingKeys>) throws -> IPCMessage
    /// nil when the message is of another kind.
    let payload: @Sendable (IPCMessage) -> Payload?

    /// A message with a body: `embed` is the enum case, `extract` its pattern.
    static func message<Body: Codable & Sendable>(_ type: String, _ embed: @escaping @Sendable (Body) -> IPCMessage,
                                                  _ extract: @escaping @Sendable (IPCMessage) -> Body?) -> IPCMessageKind {
        IPCMessageKind(type: type, decodeBody: { c in embed(try c.decode(Body.self, forKey: .body)) },
                       payload: { message in extract(message).map { .body($0) } })
    }

    /// A message without a body.
    static func message(_ type: String, _ message: IPCMessage, _ matches: @escaping @Sendable (IPCMessage) -> Bool) -> IPCMessageKind {
        IPCMessageKind(type: type, decodeBody: { _ in message }, payload: { matches($0) ? Payload.none : nil })
    }
}
