import Fleet
import IOCore
import JSON

/// Sends one request line to the control socket and reads the reply line.
public enum ControlClient {
    public static func send(_ request: ControlRequest, socketPath: String, timeout: Duration = .seconds(60)) async throws -> ControlReply {
        let deadline = Deadline.now + timeout
        let stream = try await SocketStream.connect(unixPath: socketPath, deadline: deadline)
        defer { stream.close() }
        var line = try JSONValueEncoder().encodeBytes(request)
        line.append(UInt8(ascii: "\n"))
        try await stream.write(line, deadline: deadline)
        var buffer: [UInt8] = []
        while !buffer.contains(UInt8(ascii: "\n")) {
            if try await stream.read(into: &buffer, maxLength: 65_536, deadline: deadline) == 0 { break }
        }
        guard let end = buffer.firstIndex(of: UInt8(ascii: "\n")) else {
            throw ControlError("CONTROL_CLOSED", "botvisord closed the control connection without a reply")
        }
        return try JSONValueDecoder().decode(ControlReply.self, from: Array(buffer[..<end]))
    }
}
