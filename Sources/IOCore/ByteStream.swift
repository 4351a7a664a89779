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

extension Array where Element == UInt8 {
    /// Appends what `fill` writes into fresh, uninitialized memory of `maxLength` bytes (it returns how many it wrote,
    /// and a result passed through). Reads used to append `maxLength` zeros first and trim them: in a debug build that
    /// generic zero-fill cost about 5 ms per 16 KiB read, so 1,024 idle connections closing at once took 5 s of CPU
    /// to notice (issue 13's CLOSE_WAIT), and in any build it wrote every byte twice.
    @discardableResult
    public mutating func appendBytes<R>(maxLength: Int, _ fill: (UnsafeMutableRawBufferPointer) -> (count: Int, result: R)) -> R {
        var result: R?
        let chunk = [UInt8](unsafeUninitializedCapacity: Swift.max(maxLength, 1)) { storage, count in
            let filled = fill(UnsafeMutableRawBufferPointer(storage))
            count = Swift.max(0, Swift.min(filled.count, maxLength))
            result = filled.result
        }
        if !chunk.isEmpty {
            if isEmpty { self = chunk } else { append(contentsOf: chunk) }
        }
        return result!
    }
}
