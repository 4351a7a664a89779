import Synchronization

/// One typed event stream for the whole fleet, followed by any number of subscribers. Each subscriber has
/// its own bounded buffer: publishing never waits, and a subscriber that falls behind loses its oldest
/// events and is told so with `.lagged(n)` before the next one it gets (it should then re-read the state it
/// follows). A slow subscriber therefore never slows the fleet or the other subscribers.
public final class FleetEventStream: Sendable {
    /// What a subscriber receives.
    public enum Element: Sendable, Equatable {
        case event(FleetEvent)
        /// `n` events were dropped here because this subscriber's buffer was full.
        case lagged(Int)
    }

    struct Subscriber {
        var buffer: [FleetEvent] = []
        var capacity: Int
        var dropped = 0
        var waiter: CheckedContinuation<Element?, Never>?
        var finished = false
    }

    struct State {
        var nextID: UInt64 = 0
        var subscribers: [UInt64: Subscriber] = [:]
    }

    let state = Mutex(State())

    public init() {}

    /// Subscribers now following (tests and `/metrics`).
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Follows every event published from now on; `bufferSize` events are kept while the subscriber is busy.
    public func subscribe(bufferSize: Int = 256) -> FleetSubscription {
        let id = state.withLock { state in
            state.nextID += 1
            state.subscribers[state.nextID] = Subscriber(capacity: max(1, bufferSize))
            return state.nextID
        }
        return FleetSubscription(stream: self, id: id)
    }

    /// Hands `event` to every subscriber without waiting for any of them.
    public func publish(_ event: FleetEvent) {
        var wake: [CheckedContinuation<Element?, Never>] = []
        state.withLock { state in
            for id in state.subscribers.keys {
                if let waiter = state.subscribers[id]!.waiter {
                    state.subscribers[id]!.waiter = nil
                    wake.append(waiter)
                    continue
                }
                if state.subscribers[id]!.finished { continue }
                if state.subscribers[id]!.buffer.count >= state.subscribers[id]!.capacity {
                    state.subscribers[id]!.buffer.removeFirst()
                    state.subscribers[id]!.dropped += 1
                }
                state.subscribers[id]!.buffer.append(event)
            }
        }
        // Resumed outside the lock: a continuation may run its task inline.
        for waiter in wake { waiter.resume(returning: .event(event)) }
    }

    func next(_ id: UInt64) async -> Element? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                let ready: Element?? = state.withLock { state in
                    guard var s = state.subscribers[id], !s.finished else { return .some(nil) }
                    defer { state.subscribers[id] = s }
                    if s.dropped > 0 {
                        let n = s.dropped
                        s.dropped = 0
                        return .some(.lagged(n))
                    }
                    if !s.buffer.isEmpty { return .some(.event(s.buffer.removeFirst())) }
                    s.waiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            finish(id)
        }
    }

    /// Ends one subscription: a waiting `next` returns nil, and so does every later one.
    func finish(_ id: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Element?, Never>? in
            guard state.subscribers[id] != nil else { return nil }
            state.subscribers[id]!.finished = true
            state.subscribers[id]!.buffer.removeAll()
            defer { state.subscribers[id]!.waiter = nil }
            return state.subscribers[id]!.waiter
        }
        waiter?.resume(returning: nil)
    }

    func remove(_ id: UInt64) {
        finish(id)
        _ = state.withLock { $0.subscribers.removeValue(forKey: id) }
    }
}

/// One subscriber of a `FleetEventStream`: an async sequence of events and lag markers. It ends when its
/// task is cancelled while waiting, or when `cancel` is called; dropping it unsubscribes.
public final class FleetSubscription: AsyncSequence, AsyncIteratorProtocol, Sendable {
    public typealias Element = FleetEventStream.Element
    let stream: FleetEventStream
    let id: UInt64

    init(stream: FleetEventStream, id: UInt64) {
        self.stream = stream
        self.id = id
    }

    deinit { stream.remove(id) }

    public func makeAsyncIterator() -> FleetSubscription { self }

    /// The next event (or lag marker); nil once the subscription ended.
    public func next() async -> Element? { await stream.next(id) }

    public func cancel() { stream.finish(id) }
}
