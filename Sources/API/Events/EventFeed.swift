import Fleet
import IOCore
import IPC
import JSON
import Logging
import Synchronization

/// The live feed behind `GET /api/v1/events`: follows the fleet's event stream, numbers and encodes each
/// event once, keeps the newest in a bounded replay buffer, and hands them to every client whose
/// subscriptions match, each through its own bounded queue.
///
/// Nothing here waits for a client: the fleet publishes without waiting, one task (`run`) moves events
/// into the queues under a lock, and each client's writer drains its own queue, what has piled up in one
/// write (`nextBatch`). Every event is encoded once (`FeedEvent.frame`) and shared. A client whose queue is
/// full loses its oldest events and is told how many with a `lagged` message; one that has missed
/// `maxMissed` events is closed (WebSocket 1008) with the reason, and so is one whose credential stops
/// working (`EventFeed+Revocation.swift`).
public final class EventFeed: Sendable {
    public struct Settings: Sendable {
        /// Clients (WebSocket and SSE together) served at once; the next gets 503 (`[http] max_event_clients`).
        public var maxClients = 100
        /// Events kept for clients that reconnect with their last event id.
        public var replayCapacity = 4096
        /// Events queued for one client before it starts to lose them.
        public var queueCapacity = 512
        /// A client that has missed this many events since it was last told is closed.
        public var maxMissed = 4096
        /// Idle connections are pinged this often; a WebSocket peer that has not answered the previous ping is dropped.
        public var pingInterval: Duration = .seconds(20)
        /// One write (a message, or what piled up in the queue: at most `batchSize` items) must finish within
        /// this time, else the client is dropped.
        public var sendTimeout: Duration = .seconds(10)
        /// How often the clients' credentials are checked: a revoked one's connections close within this time.
        public var revocationCheckInterval: Duration = .seconds(1)
        public init() {}
    }

    /// What a client's writer takes from its queue.
    enum Item: Sendable, Equatable {
        case event(FeedEvent)
        /// A message for this client alone (`subscribed`, `lagged`, `reset`, `error`), as JSON text.
        case notice(String)
        /// Close the connection: WebSocket close code and reason.
        case end(code: UInt16, reason: String)
    }

    /// A writer waiting for its queue, and what to resume it with (outside the lock).
    typealias Wake = (CheckedContinuation<[Item]?, Never>, [Item])

    /// A class, changed in place under the lock: a struct copied out of the dictionary and back copied its
    /// whole queue on every event (most of botvisord's CPU at 1,000 events/s to 50 clients).
    final class Client {
        let role: String?
        /// What opened the connection; nil when the API runs without authentication.
        let credential: Authenticator.Credential?
        var subscriptions: [EventTopic: EventFilter]
        var queue: [Item] = []
        /// Events (not notices) in `queue`.
        var queuedEvents = 0
        /// Events dropped since the client was last told.
        var missed = 0
        var ending = false
        var waiter: CheckedContinuation<[Item]?, Never>?

        init(role: String?, credential: Authenticator.Credential?, subscriptions: [EventTopic: EventFilter]) {
            self.role = role
            self.credential = credential
            self.subscriptions = subscriptions
        }
    }

    struct State {
        var nextEventID: UInt64
        /// The newest events, oldest first (at most `replayCapacity`); `ringStart` is the index of the oldest.
        var ring: [FeedEvent] = []
        var ringStart = 0
        var clients: [Int: Client] = [:]
        var nextClientID = 0
        var shuttingDown = false
        /// Events published since start (for tests and benchmarks).
        var published: UInt64 = 0
    }

    public let settings: Settings
    let state: Mutex<State>
    let logger: Logger
    let clock: @Sendable () -> Int64

    /// `clock` gives Unix milliseconds (tests inject one).
    public init(settings: Settings = Settings(), logger: Logger = Logger(label: "events"),
                clock: @escaping @Sendable () -> Int64 = { WallClock.now().milliseconds }) {
        self.settings = settings
        self.logger = logger
        self.clock = clock
        state = Mutex(State(nextEventID: UInt64(max(1, clock())) * 1000))
    }

    /// Clients connected now.
    public var clientCount: Int { state.withLock { $0.clients.count } }

    /// The id the next event will get.
    public var nextEventID: UInt64 { state.withLock { $0.nextEventID } }

    /// Per client: events queued and missed, for tests and `/metrics`.
    package var clientQueues: [(id: Int, queued: Int, missed: Int, ending: Bool)] {
        state.withLock { s in s.clients.keys.sorted().map { id in let c = s.clients[id]!; return (id, c.queuedEvents, c.missed, c.ending) } }
    }

    /// One client's queue: events queued and missed, and whether it is being closed (tests).
    package func queueState(of id: Int) -> (queued: Int, missed: Int, ending: Bool)? {
        state.withLock { s in s.clients[id].map { ($0.queuedEvents, $0.missed, $0.ending) } }
    }

    // MARK: Publishing

    /// Follows the fleet's events until cancelled. The stream's buffer is large: this task only moves
    /// bytes into queues. Should it still fall behind, every client is told to `reset`.
    public func run(following events: FleetEventStream) async {
        let subscription = events.subscribe(bufferSize: 16_384)
        for await element in subscription {
            switch element {
            case .event(let event): publish(event)
            case .lagged(let n):
                logger.warning("the event feed fell behind the fleet", ["lost": n])
                broadcastReset("the feed lost \(n) fleet events")
            }
        }
    }

    /// Numbers `event`, keeps it for replay and queues it for every matching client.
    func publish(_ event: FleetEvent) {
        let time = clock()
        var wake: [Wake] = []
        state.withLock { s in
            let feedEvents = FeedEvent.make(from: event, firstID: s.nextEventID, time: time)
            s.nextEventID += UInt64(feedEvents.count)
            s.published += UInt64(feedEvents.count)
            for e in feedEvents {
                remember(e, in: &s)
                for (id, c) in s.clients {
                    guard let filter = c.subscriptions[e.topic], filter.matches(e) else { continue }
                    if let w = enqueue(.event(e), to: c, id: id, lastID: s.nextEventID - 1, time: time) { wake.append(w) }
                }
            }
        }
        for (waiter, items) in wake { waiter.resume(returning: items) }
    }

    private func broadcastReset(_ reason: String) {
        var wake: [Wake] = []
        state.withLock { s in
            let text = FeedEvent.notice("reset", ["reason": .string(reason)], lastID: s.nextEventID - 1, time: clock())
            for (id, c) in s.clients where !c.ending {
                if let w = enqueue(.notice(text), to: c, id: id, lastID: s.nextEventID - 1, time: 0) { wake.append(w) }
            }
        }
        for (waiter, items) in wake { waiter.resume(returning: items) }
    }

    private func remember(_ event: FeedEvent, in s: inout State) {
        if s.ring.count < settings.replayCapacity {
            s.ring.append(event)
        } else {
            s.ring[s.ringStart] = event
            s.ringStart = (s.ringStart + 1) % s.ring.count
        }
    }

    /// The kept events, oldest first.
    private func retained(_ s: State) -> [FeedEvent] {
        Array(s.ring[s.ringStart...] + s.ring[..<s.ringStart])
    }

    /// Puts `item` in a client's queue, or hands it to its waiting writer (returned, to resume outside the lock).
    private func enqueue(_ item: Item, to c: Client, id: Int, lastID: UInt64, time: Int64) -> Wake? {
        guard !c.ending else { return nil }
        if let waiter = c.waiter, c.queue.isEmpty, c.missed == 0 {
            c.waiter = nil
            return (waiter, [item])
        }
        if case .event = item, c.queuedEvents >= settings.queueCapacity {
            // Full: the oldest event goes (the client gets fresh ones once it catches up).
            if let oldest = c.queue.firstIndex(where: { if case .event = $0 { true } else { false } }) {
                c.queue.remove(at: oldest)
                c.queuedEvents -= 1
            }
            c.missed += 1
            if c.missed >= settings.maxMissed {
                // It stays behind: tell it what it lost, then close. Nothing else is queued for it.
                let lagged = FeedEvent.notice("lagged", ["missed": .number(Double(c.missed))], lastID: lastID, time: time)
                c.queue = [.notice(lagged), .end(code: 1008, reason: "too slow: missed \(c.missed) events")]
                c.queuedEvents = 0
                c.missed = 0
                c.ending = true
                logger.notice("closing a slow event client", ["client": id, "missed": settings.maxMissed])
                return nil
            }
        }
        c.queue.append(item)
        if case .event = item { c.queuedEvents += 1 }
        return nil
    }

    // MARK: Clients

    /// Registers a client (nil when `maxClients` are connected, or at shutdown), subscribed to `topics`,
    /// with the events after `lastEventID` queued first, or a `reset` when they are no longer kept.
    func register(role: String?, credential: Authenticator.Credential? = nil, topics: [EventTopic: EventFilter], lastEventID: UInt64?) -> Int? {
        state.withLock { s -> Int? in
            guard !s.shuttingDown, s.clients.count < settings.maxClients else { return nil }
            s.nextClientID += 1
            let id = s.nextClientID
            let client = Client(role: role, credential: credential, subscriptions: topics)
            let hello = FeedEvent.notice("hello", ["client": .number(Double(id)), "topics": .array(topics.keys.map(\.rawValue).sorted().map(JSON.string)),
                                                   "ping_interval_ms": .number(Double(settings.pingInterval.milliseconds)),
                                                   "queue_capacity": .number(Double(settings.queueCapacity))],
                                         lastID: s.nextEventID - 1, time: clock())
            client.queue = [.notice(hello)]
            if let lastEventID { client.queue += replay(after: lastEventID, topics: topics, s) }
            client.queuedEvents = client.queue.count - 1
            s.clients[id] = client
            return id
        }
    }

    /// Events after `lastEventID` on `topics`, or one `reset` notice when some of them are gone.
    private func replay(after lastEventID: UInt64, topics: [EventTopic: EventFilter], _ s: State) -> [Item] {
        let kept = retained(s)
        let oldest = kept.first?.id ?? s.nextEventID
        // Kept: every id from `oldest` on. The client needs every id after `lastEventID`.
        guard lastEventID + 1 >= oldest, lastEventID < s.nextEventID else {
            let reason = lastEventID >= s.nextEventID ? "unknown event id (the daemon restarted?)" : "the events after \(lastEventID) are no longer kept"
            return [.notice(FeedEvent.notice("reset", ["reason": .string(reason)], lastID: s.nextEventID - 1, time: clock()))]
        }
        return kept.filter { e in e.id > lastEventID && (topics[e.topic]?.matches(e) ?? false) }.map(Item.event)
    }

    /// Adds or replaces a subscription; with `lastEventID`, that topic's kept events after it are queued first.
    func subscribe(_ id: Int, topic: EventTopic, filter: EventFilter, lastEventID: UInt64?) throws(EventFeedError) {
        let role = state.withLock { $0.clients[id]?.role }
        guard topic.isAllowed(for: role) else { throw EventFeedError(.topicForbidden, "role \(role ?? "") may not follow \(topic)") }
        var wake: [Wake] = []
        state.withLock { s in
            guard let c = s.clients[id] else { return }
            c.subscriptions[topic] = filter
            let text = FeedEvent.notice("subscribed", ["topic": .string(topic.rawValue), "filter": filter.json], lastID: s.nextEventID - 1, time: clock())
            var items = [Item.notice(text)]
            if let lastEventID { items += replay(after: lastEventID, topics: [topic: filter], s) }
            for item in items { if let w = enqueueUnbounded(item, to: c) { wake.append(w) } }
        }
        for (waiter, items) in wake { waiter.resume(returning: items) }
    }

    func unsubscribe(_ id: Int, topic: EventTopic) {
        tell(id, type: "unsubscribed", ["topic": .string(topic.rawValue)]) { $0.subscriptions[topic] = nil }
    }

    /// Queues a notice for one client (after `change` to its state, under the same lock).
    func tell(_ id: Int, type: String, _ data: JSON, change: (Client) -> Void = { _ in }) {
        var wake: Wake?
        state.withLock { s in
            guard let c = s.clients[id] else { return }
            change(c)
            let text = FeedEvent.notice(type, data, lastID: s.nextEventID - 1, time: clock())
            wake = enqueueUnbounded(.notice(text), to: c)
        }
        if let (waiter, items) = wake { waiter.resume(returning: items) }
    }

    /// Replies and replays are bounded by what the client asked for, not by the queue's capacity.
    private func enqueueUnbounded(_ item: Item, to c: Client) -> Wake? {
        guard !c.ending else { return nil }
        if let waiter = c.waiter, c.queue.isEmpty, c.missed == 0 {
            c.waiter = nil
            return (waiter, [item])
        }
        c.queue.append(item)
        if case .event = item { c.queuedEvents += 1 }
        return nil
    }

    /// The client's next item (tests; writers take `nextBatch`).
    func next(_ id: Int) async -> Item? {
        await nextBatch(id, max: 1)?.first
    }

    /// The client's next items, at most `max`, in order: a `lagged` notice first when it lost events, then
    /// its queue. Waits while there is nothing; nil once the client is removed (or its task cancelled).
    func nextBatch(_ id: Int, max: Int) async -> [Item]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[Item]?, Never>) in
                let ready: [Item]?? = state.withLock { s in
                    guard let c = s.clients[id] else { return .some(nil) }
                    var items: [Item] = []
                    if c.missed > 0 {
                        let text = FeedEvent.notice("lagged", ["missed": .number(Double(c.missed))], lastID: s.nextEventID - 1, time: clock())
                        c.missed = 0
                        items.append(.notice(text))
                    }
                    let n = min(max - items.count, c.queue.count)
                    if n > 0 {
                        if items.isEmpty && n == c.queue.count {
                            swap(&items, &c.queue)
                        } else {
                            items += c.queue[..<n]
                            c.queue.removeFirst(n)
                        }
                        c.queuedEvents -= items.reduce(0) { if case .event = $1 { $0 + 1 } else { $0 } }
                    }
                    if !items.isEmpty { return .some(items) }
                    c.waiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            remove(id)
        }
    }

    /// Forgets a client; its waiting writer gets nil.
    func remove(_ id: Int) {
        let waiter = state.withLock { s in s.clients.removeValue(forKey: id)?.waiter }
        waiter?.resume(returning: nil)
    }

    /// The role a client registered with.
    func role(of id: Int) -> String? { state.withLock { $0.clients[id]?.role } }

    /// Refuses new clients and closes every connected one (WebSocket 1001, "going away").
    public func shutdown() {
        let ids = state.withLock { s in
            s.shuttingDown = true
            return Array(s.clients.keys)
        }
        for id in ids { end(id, code: 1001, reason: "botvisord is shutting down") }
    }

    /// Closes one client with `code` and `reason`: whatever it has queued is dropped, the close goes next.
    func end(_ id: Int, code: UInt16, reason: String) {
        let waiter: CheckedContinuation<[Item]?, Never>? = state.withLock { s in
            guard let c = s.clients[id] else { return nil }
            c.ending = true
            c.queue = []
            c.queuedEvents = 0
            c.missed = 0
            if let waiter = c.waiter {
                c.waiter = nil
                return waiter
            }
            c.queue = [.end(code: code, reason: reason)]
            return nil
        }
        waiter?.resume(returning: [.end(code: code, reason: reason)])
    }
}
