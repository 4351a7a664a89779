#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Synchronization

/// An epoll reactor: one dedicated thread sleeps in `epoll_wait` and resumes
/// the tasks waiting for a file descriptor to become readable or writable, or
/// for a timer to expire. Idle connections cost an epoll registration, no thread.
///
/// Registrations are `EPOLLONESHOT`: each wait arms the descriptor once, so an
/// event wakes exactly the waiters present when it fired. Spurious wake-ups are
/// possible (a closed descriptor's number reused); callers retry on `EAGAIN`.
///
/// The reactor is also a `TaskExecutor`: a task that prefers it (`withTaskExecutorPreference(Reactor.shared)`)
/// runs its jobs on the reactor thread, so a readiness event resumes it there without waking a pool thread.
/// Only short, non-blocking work belongs there (an HTTP connection answering a cheap synchronous route).
public final class Reactor: TaskExecutor, Sendable {
    /// The process-wide reactor.
    public static let shared: Reactor = {
        do { return try Reactor() } catch { fatalError("cannot create the epoll reactor: \(error)") }
    }()

    enum Interest { case read, write }

    typealias Continuation = CheckedContinuation<Void, any Error>

    struct FDState {
        var reader: (id: UInt64, continuation: Continuation)?
        var writer: (id: UInt64, continuation: Continuation)?
        var added = false
    }

    struct Timer {
        var deadline: Deadline
        var id: UInt64
    }

    enum TimerAction {
        case sleep(Continuation)
        case fdTimeout(fd: Int32, interest: Interest)
    }

    struct State {
        var fds: [Int32: FDState] = [:]
        var timers = TimerHeap()
        /// Every pending wait by id: sleeps and fd waits (with or without a deadline).
        var waits: [UInt64: TimerAction] = [:]
        var cancelledBeforeRegistration: Set<UInt64> = []
        var nextID: UInt64 = 1
        /// When the reactor thread's `epoll_wait` will time out; nil when it sleeps without a timeout.
        var sleepingUntil: Deadline?
        var polling = false
    }

    private let epfd: Int32
    private let wakeFD: Int32
    private let state = Mutex(State())
    /// Jobs of tasks that prefer this executor, run by the loop between `epoll_wait` calls.
    private let jobs = Mutex<[UnownedJob]>([])
    /// The reactor thread's `pthread_self()`, set when it starts: a job enqueued from it needs no wake.
    private let thread = Atomic<UInt>(0)

    public init() throws {
        // A peer that hangs up must surface as EPIPE on write, never kill the process: OpenSSL and
        // pipe writes use write(2), which (unlike send with MSG_NOSIGNAL) raises SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        epfd = bv_epoll_create()
        guard epfd >= 0 else { throw SystemError.last("epoll_create1") }
        wakeFD = bv_eventfd(0, 1)
        guard wakeFD >= 0 else { throw SystemError.last("eventfd") }
        guard bv_epoll_ctl(epfd, BV_EPOLL_CTL_ADD, wakeFD, BV_EPOLLIN, UInt64(UInt32.max)) == 0 else {
            throw SystemError.last("epoll_ctl")
        }
        let unmanaged = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            let reactor = Unmanaged<Reactor>.fromOpaque(arg!).takeRetainedValue()
            reactor.run()
            return nil
        }, unmanaged.toOpaque())
        guard rc == 0 else { throw SystemError(call: "pthread_create", errno: rc) }
        pthread_detach(thread)
    }

    // MARK: Executing

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        if pthread_self() != thread.load(ordering: .relaxed) { wake() }
    }

    /// Runs the jobs queued so far (not those they enqueue: those wait for the next turn, after a
    /// zero-timeout `epoll_wait`, so a task that keeps yielding cannot starve the descriptors).
    private func runJobs(_ batch: inout [UnownedJob]) {
        jobs.withLock { swap(&$0, &batch) }
        for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        batch.removeAll(keepingCapacity: true)
    }

    // MARK: Waiting

    /// Suspends until `fd` is readable (or has an error or hang-up pending).
    public func waitReadable(_ fd: Int32, deadline: Deadline? = nil) async throws {
        try await wait(fd: fd, interest: .read, deadline: deadline)
    }

    /// Suspends until `fd` is writable (or has an error or hang-up pending).
    public func waitWritable(_ fd: Int32, deadline: Deadline? = nil) async throws {
        try await wait(fd: fd, interest: .write, deadline: deadline)
    }

    /// Suspends until `deadline`. Throws `CancellationError` when the task is cancelled.
    public func sleep(until deadline: Deadline) async throws {
        let id = state.withLock { s -> UInt64 in defer { s.nextID += 1 }; return s.nextID }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Continuation) in
                let wake = state.withLock { s -> Bool in
                    if s.cancelledBeforeRegistration.remove(id) != nil {
                        continuation.resume(throwing: CancellationError())
                        return false
                    }
                    s.waits[id] = .sleep(continuation)
                    s.timers.push(Timer(deadline: deadline, id: id))
                    return Reactor.needsWake(s, for: deadline)
                }
                if wake { self.wake() }
            }
        } onCancel: {
            cancel(id: id)
        }
    }

    /// Whether a reader is parked on `fd` (tests wait for it before exercising the wake path).
    func hasParkedReader(_ fd: Int32) -> Bool {
        state.withLock { $0.fds[fd]?.reader != nil }
    }

    /// Removes `fd` from epoll and fails its waiters with `StreamClosed`.
    /// Call before `close(fd)`.
    public func deregister(_ fd: Int32) {
        let waiters = state.withLock { s -> [Continuation] in
            guard let entry = s.fds.removeValue(forKey: fd) else { return [] }
            if entry.added { _ = bv_epoll_ctl(epfd, BV_EPOLL_CTL_DEL, fd, 0, 0) }
            var out: [Continuation] = []
            if let r = entry.reader { out.append(r.continuation); s.waits[r.id] = nil }
            if let w = entry.writer { out.append(w.continuation); s.waits[w.id] = nil }
            return out
        }
        for c in waiters { c.resume(throwing: StreamClosed()) }
    }

    private func wait(fd: Int32, interest: Interest, deadline: Deadline?) async throws {
        if let deadline, deadline <= .now { throw DeadlineExceeded() }
        let id = state.withLock { s -> UInt64 in defer { s.nextID += 1 }; return s.nextID }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Continuation) in
                var failure: (any Error)?
                let wake = state.withLock { s -> Bool in
                    if s.cancelledBeforeRegistration.remove(id) != nil {
                        failure = CancellationError()
                        return false
                    }
                    var entry = s.fds[fd] ?? FDState()
                    switch interest {
                    case .read:
                        precondition(entry.reader == nil, "two tasks wait to read fd \(fd)")
                        entry.reader = (id, continuation)
                    case .write:
                        precondition(entry.writer == nil, "two tasks wait to write fd \(fd)")
                        entry.writer = (id, continuation)
                    }
                    if let error = arm(fd: fd, entry: &entry) {
                        failure = error
                        switch interest {
                        case .read: entry.reader = nil
                        case .write: entry.writer = nil
                        }
                        s.fds[fd] = entry
                        return false
                    }
                    s.fds[fd] = entry
                    // Every fd wait is indexed by id so cancellation finds it; only a deadline adds a timer.
                    s.waits[id] = .fdTimeout(fd: fd, interest: interest)
                    if let deadline {
                        s.timers.push(Timer(deadline: deadline, id: id))
                        return Reactor.needsWake(s, for: deadline)
                    }
                    return false
                }
                if let failure { continuation.resume(throwing: failure) }
                if wake { self.wake() }
            }
        } onCancel: {
            cancel(id: id)
        }
    }

    /// Arms the one-shot registration for the waiters in `entry`. Called with the lock held.
    private func arm(fd: Int32, entry: inout FDState) -> (any Error)? {
        var events = BV_EPOLLONESHOT | BV_EPOLLRDHUP
        if entry.reader != nil { events |= BV_EPOLLIN }
        if entry.writer != nil { events |= BV_EPOLLOUT }
        let op = entry.added ? BV_EPOLL_CTL_MOD : BV_EPOLL_CTL_ADD
        if bv_epoll_ctl(epfd, op, fd, events, UInt64(UInt32(bitPattern: fd))) != 0 {
            let err = Glibc.errno
            // A descriptor closed and reopened with the same number: register it afresh.
            if op == BV_EPOLL_CTL_MOD && err == ENOENT,
               bv_epoll_ctl(epfd, BV_EPOLL_CTL_ADD, fd, events, UInt64(UInt32(bitPattern: fd))) == 0 {
                return nil
            }
            if op == BV_EPOLL_CTL_ADD && err == EEXIST,
               bv_epoll_ctl(epfd, BV_EPOLL_CTL_MOD, fd, events, UInt64(UInt32(bitPattern: fd))) == 0 {
                entry.added = true
                return nil
            }
            return SystemError(call: "epoll_ctl", errno: err)
        }
        entry.added = true
        return nil
    }

    private func cancel(id: UInt64) {
        let continuation = state.withLock { s -> Continuation? in
            if let action = s.waits.removeValue(forKey: id) {
                switch action {
                case .sleep(let c): return c
                case .fdTimeout(let fd, let interest): return Reactor.takeWaiter(&s, fd: fd, interest: interest, id: id)
                }
            }
            s.cancelledBeforeRegistration.insert(id)
            return nil
        }
        continuation?.resume(throwing: CancellationError())
    }

    private static func takeWaiter(_ s: inout State, fd: Int32, interest: Interest, id: UInt64) -> Continuation? {
        guard var entry = s.fds[fd] else { return nil }
        var taken: Continuation?
        switch interest {
        case .read where entry.reader?.id == id:
            taken = entry.reader?.continuation
            entry.reader = nil
        case .write where entry.writer?.id == id:
            taken = entry.writer?.continuation
            entry.writer = nil
        default:
            break
        }
        s.fds[fd] = entry
        return taken
    }

    private static func needsWake(_ s: State, for deadline: Deadline) -> Bool {
        guard s.polling else { return false }
        guard let until = s.sleepingUntil else { return true }
        return deadline < until
    }

    private func wake() {
        _ = bv_eventfd_write(wakeFD, 1)
    }

    // MARK: The loop

    private func run() {
        var events = [bv_epoll_event](repeating: bv_epoll_event(), count: 256)
        var ready: [(Continuation, (any Error)?)] = []
        ready.reserveCapacity(256)
        var batch: [UnownedJob] = []
        thread.store(pthread_self(), ordering: .relaxed)
        while true {
            let hasJobs = jobs.withLock { !$0.isEmpty }
            let timeout = state.withLock { s -> Int32 in
                s.polling = true
                s.sleepingUntil = s.timers.peek?.deadline
                if hasJobs { return 0 }
                guard let next = s.sleepingUntil else { return -1 }
                let remaining = next - .now
                if remaining <= .zero { return 0 }
                let (sec, atto) = remaining.components
                // Round up so a timer never fires early.
                let ms = sec * 1000 + (atto + 999_999_999_999_999) / 1_000_000_000_000_000
                return Int32(clamping: ms)
            }
            let n = events.withUnsafeMutableBufferPointer { bv_epoll_wait(epfd, $0.baseAddress, 256, timeout) }
            if n < 0 && Glibc.errno != EINTR { fatalError("epoll_wait: \(SystemError.last("epoll_wait"))") }
            let now = Deadline.now
            state.withLock { s in
                s.polling = false
                for i in 0..<max(0, Int(n)) {
                    let ev = events[i]
                    if ev.data == UInt64(UInt32.max) {
                        var value: UInt64 = 0
                        _ = bv_eventfd_read(wakeFD, &value)
                        continue
                    }
                    let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: ev.data))
                    guard var entry = s.fds[fd] else { continue }
                    let failed = ev.events & (BV_EPOLLERR | BV_EPOLLHUP) != 0
                    if let r = entry.reader, failed || ev.events & (BV_EPOLLIN | BV_EPOLLRDHUP) != 0 {
                        ready.append((r.continuation, nil))
                        s.waits[r.id] = nil
                        entry.reader = nil
                    }
                    if let w = entry.writer, failed || ev.events & BV_EPOLLOUT != 0 {
                        ready.append((w.continuation, nil))
                        s.waits[w.id] = nil
                        entry.writer = nil
                    }
                    if entry.reader != nil || entry.writer != nil {
                        _ = arm(fd: fd, entry: &entry)
                    }
                    s.fds[fd] = entry
                }
                while let top = s.timers.peek, top.deadline <= now {
                    s.timers.pop()
                    guard let action = s.waits.removeValue(forKey: top.id) else { continue }
                    switch action {
                    case .sleep(let c):
                        ready.append((c, nil))
                    case .fdTimeout(let fd, let interest):
                        if let c = Reactor.takeWaiter(&s, fd: fd, interest: interest, id: top.id) {
                            ready.append((c, DeadlineExceeded()))
                        }
                    }
                }
                // Keep the heap from holding only dead entries forever.
                if s.timers.count > 1024 && s.timers.count > 4 * s.waits.count {
                    s.timers.removeAll { s.waits[$0.id] == nil }
                }
            }
            for (c, error) in ready {
                if let error { c.resume(throwing: error) } else { c.resume() }
            }
            ready.removeAll(keepingCapacity: true)
            runJobs(&batch)
        }
    }
}

/// A binary min-heap of timers by deadline.
struct TimerHeap {
    private var items: [Reactor.Timer] = []

    var count: Int { items.count }
    var peek: Reactor.Timer? { items.first }

    mutating func push(_ timer: Reactor.Timer) {
        items.append(timer)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].deadline < items[parent].deadline else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    @discardableResult
    mutating func pop() -> Reactor.Timer? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        siftDown(0)
        return top
    }

    mutating func removeAll(where predicate: (Reactor.Timer) -> Bool) {
        items.removeAll(where: predicate)
        for i in stride(from: items.count / 2, through: 0, by: -1) { siftDown(i) }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < items.count && items[l].deadline < items[smallest].deadline { smallest = l }
            if r < items.count && items[r].deadline < items[smallest].deadline { smallest = r }
            if smallest == i { return }
            items.swapAt(i, smallest)
            i = smallest
        }
    }
}
