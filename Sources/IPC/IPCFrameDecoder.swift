/// Splits a byte stream into IPC frames: a 4-byte big-endian length, then that
/// many bytes of UTF-8 JSON. A pure state machine; the connection feeds it bytes.
public struct IPCFrameDecoder: Sendable {
    /// Frames larger than this are a protocol violation: the connection is closed.
    public let maximumFrameSize: Int
    private var buffer: [UInt8] = []
    private var start = 0

    public init(maximumFrameSize: Int = IPCFrame.defaultMaximumSize) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame's payload, nil when more bytes are needed.
    public mutating func next() throws(IPCError) -> [UInt8]? {
        guard buffer.count - start >= 4 else { return nil }
        let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard length > 0 else { throw .emptyFrame }
        guard length <= maximumFrameSize else { throw .frameTooLarge(length, limit: maximumFrameSize) }
        guard buffer.count - start - 4 >= length else { return nil }
        let payload = Array(buffer[(start + 4)..<(start + 4 + length)])
        start += 4 + length
        if start > 65_536 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return payload
    }

    /// Bytes received but not yet returned as a frame.
    public var pendingByteCount: Int { buffer.count - start }
}
