/// A bidirectional byte stream with deadlines: a TCP or Unix socket, or a TLS
/// session over one. Reads and writes on one stream are each done by one task
/// at a time; a read and a write may run concurrently.
public protocol ByteStream: Sendable {
    /// Appends up to `maxLength` bytes to `buffer`; returns how many, 0 at end of stream.
    func read(into buffer: inout [UInt8], maxLength: Int, deadline: Deadline?) async throws -> Int
    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8], deadline: Deadline?) async throws
    /// Half-closes the sending side (TCP FIN, or TLS close_notify).
    func shutdownWrite() async
    /// Closes the stream and fails any waiting read or write with `StreamClosed`. Idempotent.
    func close()
    /// Returns once a read would not block (or the deadline passes: `DeadlineExceeded`). An idle server
    /// connection waits here with no read buffer allocated, so a flood of idle connections costs little memory.
    func waitUntilReadable(deadline: Deadline?) async throws
}

extension ByteStream {
    /// Streams that cannot wait without reading (TLS may hold decrypted bytes) return at once.
    public func waitUntilReadable(deadline: Deadline?) async throws {}

    public func read(into buffer: inout [UInt8], maxLength: Int = 16_384) async throws -> Int {
        try await read(into: &buffer, maxLength: maxLength, deadline: nil)
    }

    public func write(_ bytes: [UInt8]) async throws {
        try await write(bytes, deadline: nil)
    }

    public func write(_ string: String, deadline: Deadline? = nil) async throws {
        try await write(Array(string.utf8), deadline: deadline)
    }
}
