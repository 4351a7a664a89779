import IOCore

/// Splits a byte stream into IPC frames: a 4-byte big-endian length, then that
/// many bytes of UTF-8 JSON. A pure state machine; the connection feeds it bytes.
public struct IPCFrameDecoder: Sendable {
    /// Frames larger than this are a protocol violation: the connection is closed.
    public let maximumFrameSize: Int
    private var input = ReadBuffer(compactionThreshold: 65_536)

    public init(maximumFrameSize: Int = IPCFrame.defaultMaximumSize) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        input.compact()
        input.append(contentsOf: bytes)
    }

    /// The next complete frame's payload, nil when more bytes are needed.
    public mutating func next() throws(IPCError) -> [UInt8]? {
        guard input.bytes.count - input.start >= 4 else { return nil }
        let length = Int(input.bytes[input.start]) << 24 | Int(input.bytes[input.start + 1]) << 16 | Int(input.bytes[input.start + 2]) << 8 | Int(input.bytes[input.start + 3])
        guard length > 0 else { throw .emptyFrame }
        guard length <= maximumFrameSize else { throw .frameTooLarge(length, limit: maximumFrameSize) }
        guard input.bytes.count - input.start - 4 >= length else { return nil }
        let payload = Array(input.bytes[(input.start + 4)..<(input.start + 4 + length)])
        input.start += 4 + length
        return payload
    }

    /// Gives the buffer's storage back when every byte received was returned as a frame (an idle connection).
    public mutating func releaseIdleStorage() {
        guard input.readableCount == 0, input.bytes.capacity > 0 else { return }
        input = ReadBuffer(compactionThreshold: input.compactionThreshold)
    }

    /// Bytes received but not yet returned as a frame.
    public var pendingByteCount: Int { input.readableCount }
}
