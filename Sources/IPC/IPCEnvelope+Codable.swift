import JSON

extension IPCEnvelope: Codable {
    enum CodingKeys: String, CodingKey {
        case type, id, body
        case replyTo = "reply_to"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(UInt64.self, forKey: .id)
        replyTo = try c.decodeIfPresent(UInt64.self, forKey: .replyTo)
        let type = try c.decode(String.self, forKey: .type)
        guard let kind = IPCMessage.kindsByType[type] else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown message type \(type)")
        }
        message = try kind.decodeBody(c)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let (kind, payload) = message.kindAndPayload
        try c.encode(kind.type, forKey: .type)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encodeIfPresent(replyTo, forKey: .replyTo)
        if case .body(let body) = payload { try c.encode(body, forKey: .body) }
    }

    /// The framed wire bytes of this envelope.
    public func encoded() throws -> [UInt8] {
        // Acks by hand (one per committed batch); correlation ids the encoder would refuse take its path and error.
        if case .ack(let ack) = message, (id ?? 0) < 9_000_000_000_000_000, (replyTo ?? 0) < 9_000_000_000_000_000 {
            return IPCFrame.encode(ack.envelopeBytes(id: id, replyTo: replyTo))
        }
        return IPCFrame.encode(try JSONValueEncoder().encodeBytes(self))
    }

    /// Decodes one frame's payload; a malformed payload is a typed error.
    public static func decode(_ payload: [UInt8]) throws(IPCError) -> IPCEnvelope {
        // Command batches, nearly all the bytes a busy fleet sends, are read straight from the bytes.
        if let commands = CommandBatchReader.envelope(payload) { return commands }
        return try decodeWithCodable(payload)
    }

    /// Any message, through `JSON.parse` and `JSONValueDecoder`; its errors are the ones reported for every message.
    static func decodeWithCodable(_ payload: [UInt8]) throws(IPCError) -> IPCEnvelope {
        do {
            return try JSONValueDecoder().decode(IPCEnvelope.self, from: payload)
        } catch let error as DecodingError {
            throw .malformedMessage(IPCEnvelope.describe(error))
        } catch {
            throw .malformedMessage("\(error)")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let c): return c.debugDescription
        case .keyNotFound(let key, _): return "missing key \(key.stringValue)"
        case .typeMismatch(_, let c): return "type mismatch at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case .valueNotFound(_, let c): return "missing value at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        @unknown default: return "\(error)"
        }
    }
}
