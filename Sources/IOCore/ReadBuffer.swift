// Stdlib only: the fuzz targets compile this file in beside the decoders (Fuzz/run.sh).
/// Received bytes waiting to be parsed: the one buffer of the incremental decoders (HTTP requests and
/// responses, WebSocket frames, IPC frames). A decoder reads `bytes[start...]` and moves `start` past what it
/// has consumed; the consumed front is dropped all at once when everything is consumed, or when it is larger
/// than `compactionThreshold` and more than half the storage, so a stream of small messages never shifts the
/// whole buffer per message.
public struct ReadBuffer: Sendable {
    /// The storage; the unconsumed bytes are `bytes[start...]`.
    public private(set) var bytes: [UInt8] = []
    /// The first byte not yet consumed.
    public var start = 0
    public let compactionThreshold: Int

    public init(compactionThreshold: Int = 4096) {
        self.compactionThreshold = compactionThreshold
    }

    /// Bytes received and not yet consumed.
    public var readableCount: Int { bytes.count - start }
    /// The unconsumed bytes, copied (a protocol upgrade hands them to the next protocol).
    public var leftover: [UInt8] { Array(bytes[start...]) }

    /// Drops the consumed front when that is cheap or worth it; returns how many bytes went, by which
    /// every index into `bytes` a decoder keeps (a scan position) moves down.
    @discardableResult
    public mutating func compact() -> Int {
        let dropped = start
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
        } else if start > compactionThreshold && start * 2 > bytes.count {
            bytes.removeFirst(start)
        } else {
            return 0
        }
        start = 0
        return dropped
    }

    /// Appends received bytes (compacting first; callers that keep indexes compact themselves and call
    /// `append` only afterwards).
    public mutating func append(contentsOf received: some Collection<UInt8>) {
        bytes.append(contentsOf: received)
    }

    /// Lets a reader append into the storage directly (a socket read without a copy).
    public mutating func withWritableBytes<R>(_ body: (inout [UInt8]) async throws -> R) async rethrows -> R {
        try await body(&bytes)
    }
}
