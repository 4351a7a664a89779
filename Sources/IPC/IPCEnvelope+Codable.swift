import FoundationEssentials

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
        switch type {
        case "hello": message = .hello(try c.decode(Hello.self, forKey: .body))
        case "state": message = .state(try c.decode(StateReport.self, forKey: .body))
        case "commands": message = .commands(try c.decode(CommandBatch.self, forKey: .body))
        case "metrics": message = .metrics(try c.decode(WorkerMetrics.self, forKey: .body))
        case "session": message = .session(try c.decode(SessionState.self, forKey: .body))
        case "fatal": message = .fatal(try c.decode(FatalReport.self, forKey: .body))
        case "welcome": message = .welcome(try c.decode(Welcome.self, forKey: .body))
        case "configure": message = .configure(try c.decode(WorkerConfig.self, forKey: .body))
        case "ack": message = .ack(try c.decode(Ack.self, forKey: .body))
        case "stop": message = .stop(try c.decode(Stop.self, forKey: .body))
        case "send_message": message = .sendMessage(try c.decode(SendMessage.self, forKey: .body))
        case "heartbeat": message = .heartbeat
        case "reply": message = .reply(try c.decode(Reply.self, forKey: .body))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown message type \(type)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(message.type, forKey: .type)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encodeIfPresent(replyTo, forKey: .replyTo)
        switch message {
        case .hello(let b): try c.encode(b, forKey: .body)
        case .state(let b): try c.encode(b, forKey: .body)
        case .commands(let b): try c.encode(b, forKey: .body)
        case .metrics(let b): try c.encode(b, forKey: .body)
        case .session(let b): try c.encode(b, forKey: .body)
        case .fatal(let b): try c.encode(b, forKey: .body)
        case .welcome(let b): try c.encode(b, forKey: .body)
        case .configure(let b): try c.encode(b, forKey: .body)
        case .ack(let b): try c.encode(b, forKey: .body)
        case .stop(let b): try c.encode(b, forKey: .body)
        case .sendMessage(let b): try c.encode(b, forKey: .body)
        case .heartbeat: break
        case .reply(let b): try c.encode(b, forKey: .body)
        }
    }

    /// The framed wire bytes of this envelope.
    public func encoded() throws -> [UInt8] {
        IPCFrame.encode(Array(try JSONEncoder().encode(self)))
    }

    /// Decodes one frame's payload; a malformed payload is a typed error.
    public static func decode(_ payload: [UInt8]) throws(IPCError) -> IPCEnvelope {
        do {
            return try JSONDecoder().decode(IPCEnvelope.self, from: Data(payload))
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
