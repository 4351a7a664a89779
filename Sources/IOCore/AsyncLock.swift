import Synchronization

/// A FIFO lock for async code: holders may suspend while holding it. Used to
/// keep whole frames from interleaving when several tasks write to one stream.
public final class AsyncLock: Sendable {
    private struct State {
        var locked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    public init() {}

    public func lock() async {
        if state.withLock({ s in
            if s.locked { return false }
            s.locked = true
            return true
        }) { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { s -> Bool in
                if !s.locked {
                    s.locked = true
                    return true
                }
                s.waiters.append(c)
                return false
            }
            if acquired { c.resume() }
        }
    }

    public func unlock() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.locked = false
                return nil
            }
            // Ownership passes straight to the next waiter.
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
