import IOCore

/// One IPC connection over a Unix stream socket: framed JSON envelopes, whole
/// frames written one at a time, replies routed to the request that awaits them.
///
/// The owner runs one loop calling `receive()`; requests made from other tasks
/// get their replies through that loop.
public actor IPCConnection {
    public nonisolated let stream: any ByteStream
    private var decoder: IPCFrameDecoder
    private var nextID: UInt64 = 1
    private var pending: [UInt64: CheckedContinuation<IPCEnvelope, any Error>] = [:]
    /// Requests sent and not yet answered or timed out.
    private var outstanding: Set<UInt64> = []
    /// Replies that arrived before their requester started waiting.
    private var arrived: [UInt64: IPCEnvelope] = [:]
    private let writeLock = AsyncLock()
    private var closed = false

    public init(stream: any ByteStream, maximumFrameSize: Int = IPCFrame.defaultMaximumSize) {
        self.stream = stream
        self.decoder = IPCFrameDecoder(maximumFrameSize: maximumFrameSize)
    }

    /// Sends one message. Frames from concurrent callers never interleave.
    public func send(_ message: IPCMessage, replyTo: UInt64? = nil, deadline: Deadline? = nil) async throws {
        try await send(IPCEnvelope(message, replyTo: replyTo), deadline: deadline)
    }

    private func send(_ envelope: IPCEnvelope, deadline: Deadline?) async throws {
        let bytes = try envelope.encoded()
        await writeLock.lock()
        defer { writeLock.unlock() }
        if closed { throw IPCError.closed }
        try await stream.write(bytes, deadline: deadline)
    }

    /// Sends a request and waits for the envelope that replies to it.
    public func request(_ message: IPCMessage, timeout: Duration) async throws -> IPCEnvelope {
        let id = nextID
        nextID += 1
        outstanding.insert(id)
        do {
            try await send(IPCEnvelope(message, id: id), deadline: .now + timeout)
        } catch {
            outstanding.remove(id)
            throw error
        }
        return try await withThrowingTaskGroup(of: IPCEnvelope?.self) { group in
            group.addTask {
                try await Reactor.shared.sleep(until: .now + timeout)
                return nil
            }
            group.addTask {
                try await self.awaitReply(id: id)
            }
            defer { group.cancelAll() }
            do {
                if let first = try await group.next(), let reply = first { return reply }
                self.failPending(id: id, with: IPCError.timedOut)
                throw IPCError.timedOut
            } catch {
                // Cancelled or timed out: release the waiting child so the group can end.
                self.failPending(id: id, with: error)
                throw error
            }
        }
    }

    private func awaitReply(id: UInt64) async throws -> IPCEnvelope {
        if let early = arrived.removeValue(forKey: id) {
            outstanding.remove(id)
            return early
        }
        return try await withCheckedThrowingContinuation { continuation in
            if !outstanding.contains(id) {
                // The request already timed out or was cancelled.
                continuation.resume(throwing: IPCError.timedOut)
            } else if closed {
                continuation.resume(throwing: IPCError.closed)
            } else {
                pending[id] = continuation
            }
        }
    }

    private func failPending(id: UInt64, with error: any Error) {
        outstanding.remove(id)
        arrived.removeValue(forKey: id)
        pending.removeValue(forKey: id)?.resume(throwing: error)
    }

    /// The next message that is not a reply to one of our requests.
    /// Throws `IPCError` on a malformed or oversized frame, or `.closed` at end of stream.
    public func receive(deadline: Deadline? = nil) async throws -> IPCEnvelope {
        while true {
            if let payload = try decoder.next() {
                let envelope = try IPCEnvelope.decode(payload)
                if let replyTo = envelope.replyTo, case .reply = envelope.message {
                    // A reply to one of our requests never surfaces as a message; a late one is dropped.
                    if let continuation = pending.removeValue(forKey: replyTo) {
                        outstanding.remove(replyTo)
                        continuation.resume(returning: envelope)
                    } else if outstanding.contains(replyTo) {
                        arrived[replyTo] = envelope
                    }
                    continue
                }
                return envelope
            }
            var chunk: [UInt8] = []
            let n: Int
            do {
                // Idle (a worker's connection mostly is): no buffer held while the read waits. The read itself holds
                // none either (`appendBytes`); it used to keep 64 KiB of zeros per worker (issue 16).
                decoder.releaseIdleStorage()
                n = try await stream.read(into: &chunk, maxLength: 65_536, deadline: deadline)
            } catch {
                if error is DeadlineExceeded { throw IPCError.timedOut }
                close()
                throw IPCError.closed
            }
            if n == 0 {
                close()
                throw IPCError.closed
            }
            decoder.feed(chunk)
        }
    }

    /// Closes the stream and fails every pending request.
    public func close() {
        guard !closed else { return }
        closed = true
        stream.close()
        let waiting = pending
        pending.removeAll()
        for (_, c) in waiting { c.resume(throwing: IPCError.closed) }
    }
}
