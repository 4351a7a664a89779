import IOCore
import IPC
import JSON
import WebSocket

extension EventFeed {
    // MARK: WebSocket

    /// Serves one WebSocket client until either side closes: a writer drains its queue, a reader takes
    /// `subscribe`/`unsubscribe` messages, a pinger finds dead peers. When one ends, all do.
    func serve(_ connection: WebSocketConnection, _ reservation: FeedReservation) async {
        let id = reservation.id
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.writeLoop(connection, id) }
            group.addTask { await self.readLoop(connection, id) }
            group.addTask { await self.pingLoop(connection) }
            await group.next()
            remove(id)
            // Unblocks a read or write still waiting on the socket.
            connection.abort()
            group.cancelAll()
        }
        withExtendedLifetime(reservation) {}
    }

    /// Items a writer takes from its queue at once, written together (at most ~100 KiB of command events).
    static let batchSize = 256

    /// Writes what the queue holds in one write (each event's frame as the feed encoded it), then waits
    /// for more. `sendTimeout` bounds each write: one that makes no progress in time drops the client.
    private func writeLoop(_ connection: WebSocketConnection, _ id: Int) async {
        var bytes: [UInt8] = []
        while let items = await nextBatch(id, max: Self.batchSize) {
            bytes.removeAll(keepingCapacity: true)
            var end: (code: UInt16, reason: String)?
            for item in items {
                switch item {
                case .event(let event): bytes += event.frame
                case .notice(let text): bytes += WebSocketFrame(opcode: .text, payload: Array(text.utf8)).encoded()
                case .end(let code, let reason): end = (code, reason)
                }
            }
            do {
                if !bytes.isEmpty { try await connection.send(encoded: bytes, deadline: .now + settings.sendTimeout) }
            } catch {
                // A write that made no progress in time, or a closed connection: the client is gone.
                return
            }
            if let end {
                await connection.close(code: WebSocketCloseCode(end.code), reason: end.reason, deadline: .now + settings.sendTimeout)
                return
            }
        }
    }

    private func readLoop(_ connection: WebSocketConnection, _ id: Int) async {
        while true {
            let message: WebSocketMessage
            do { message = try await connection.receive() } catch { return }
            guard case .text(let text) = message else {
                tell(id, type: "error", ["code": .string(ErrorCode.invalidJSON.rawValue), "message": "send JSON text messages"])
                continue
            }
            do {
                try handle(text, from: id)
            } catch {
                tell(id, type: "error", ["code": .string(error.code.rawValue), "message": .string(error.message)])
            }
        }
    }

    /// `{"op":"subscribe","topic":"commands","filter":{"bot":"shop"},"last_event_id":N}` or
    /// `{"op":"unsubscribe","topic":"commands"}`.
    func handle(_ text: String, from id: Int) throws(EventFeedError) {
        let usage = #"expected {"op":"subscribe"|"unsubscribe","topic":"..."}"#
        guard let message = try? JSON.parse(text), let op = message["op"]?.string, let name = message["topic"]?.string else {
            throw EventFeedError(.invalidJSON, usage)
        }
        guard let topic = EventTopic(rawValue: name) else {
            throw EventFeedError(.invalidParameter, "unknown topic \(name); known: \(EventTopic.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        switch op {
        case "subscribe":
            var pairs: [(String, String)] = []
            if let filter = message["filter"], !filter.isNull {
                guard let object = filter.object else { throw EventFeedError(.invalidParameter, "filter must be an object of strings") }
                for (key, value) in object.sorted(by: { $0.key < $1.key }) {
                    guard let string = value.string else { throw EventFeedError(.invalidParameter, "filter \(key) must be a string") }
                    pairs.append((key, string))
                }
            }
            let filter = try EventFilter.parse(pairs, for: topic)
            var lastEventID: UInt64?
            if let last = message["last_event_id"], !last.isNull {
                guard let n = last.int, n >= 0 else { throw EventFeedError(.invalidParameter, "last_event_id must be an event id") }
                lastEventID = UInt64(n)
            }
            try subscribe(id, topic: topic, filter: filter, lastEventID: lastEventID)
        case "unsubscribe":
            unsubscribe(id, topic: topic)
        default:
            throw EventFeedError(.invalidJSON, usage)
        }
    }

    /// Pings every `pingInterval`; a peer that did not answer the previous ping by the next is dropped.
    private func pingLoop(_ connection: WebSocketConnection) async {
        var sent: ContinuousClock.Instant?
        while true {
            do { try await Reactor.shared.sleep(until: .now + settings.pingInterval) } catch { return }
            if let sent, (await connection.lastPong?.at).map({ $0 < sent }) ?? true { return }
            sent = .now
            do { try await connection.ping(Array("botvisor".utf8), deadline: .now + settings.sendTimeout) } catch { return }
        }
    }

    // MARK: Server-Sent Events

    /// Streams one SSE client until it goes away: events with their `id:` (what `Last-Event-ID` sends
    /// back), notices without, and a comment line as a keep-alive every `pingInterval`.
    func serveEventStream(_ write: @escaping @Sendable ([UInt8]) async throws -> Void, _ reservation: FeedReservation) async {
        let id = reservation.id
        let lock = AsyncLock()
        @Sendable func send(_ text: String) async throws {
            await lock.lock()
            defer { lock.unlock() }
            try await write(Array(text.utf8))
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await send("retry: 2000\n\n")
                    // What the queue holds goes out in one write, as over WebSocket.
                    while let items = await self.nextBatch(id, max: Self.batchSize) {
                        var text = ""
                        var ended = false
                        for item in items {
                            switch item {
                            case .event(let event): text += "id: \(event.id)\ndata: \(event.text)\n\n"
                            case .notice(let notice): text += "data: \(notice)\n\n"
                            case .end(_, let reason):
                                text += "data: \(FeedEvent.notice("closed", ["reason": .string(reason)], lastID: self.nextEventID - 1, time: self.clock()))\n\n"
                                ended = true
                            }
                        }
                        try await send(text)
                        if ended { return }
                    }
                } catch {}
            }
            group.addTask {
                while true {
                    do { try await Reactor.shared.sleep(until: .now + self.settings.pingInterval) } catch { return }
                    do { try await send(": ping\n\n") } catch { return }
                }
            }
            await group.next()
            remove(id)
            group.cancelAll()
        }
        withExtendedLifetime(reservation) {}
    }
}
