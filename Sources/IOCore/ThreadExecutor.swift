#if canImport(Glibc)
import Glibc
#endif

/// A serial executor that runs its jobs on one dedicated thread. Actors that
/// make blocking calls (SQLite) use it as their executor so the blocking never
/// happens on Swift's cooperative pool.
public final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    // because `queue` and `stopping` are only touched with `mutex` held.
    private enum Work {
        case job(UnownedJob)
        case closure(() -> Void)
    }

    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var queue: [Work] = []
    private var head = 0

    public init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        let unmanaged = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            let executor = Unmanaged<ThreadExecutor>.fromOpaque(arg!).takeRetainedValue()
            executor.run()
            return nil
        }, unmanaged.toOpaque())
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_detach(thread)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        push(.job(UnownedJob(job)))
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Runs a blocking `body` on this executor's thread and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            push(.closure {
                continuation.resume(with: Result { try body() })
            })
        }
    }

    private func push(_ work: Work) {
        pthread_mutex_lock(&mutex)
        queue.append(work)
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    private func run() {
        // The thread lives as long as the process: executors are few and long-lived.
        while true {
            pthread_mutex_lock(&mutex)
            while head == queue.count {
                pthread_cond_wait(&condition, &mutex)
            }
            let work = queue[head]
            head += 1
            if head > 1024 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            pthread_mutex_unlock(&mutex)
            switch work {
            case .job(let job): job.runSynchronously(on: asUnownedSerialExecutor())
            case .closure(let body): body()
            }
        }
    }
}

/// Runs one blocking call on a fresh thread (rare calls such as `getaddrinfo`).
public enum BlockingThread {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let box = WorkBox { continuation.resume(with: Result { try body() }) }
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { arg in
                Unmanaged<WorkBox>.fromOpaque(arg!).takeRetainedValue().work()
                return nil
            }, Unmanaged.passRetained(box).toOpaque())
            if rc != 0 {
                Unmanaged.passUnretained(box).release()
                continuation.resume(throwing: SystemError(call: "pthread_create", errno: rc))
            } else {
                pthread_detach(thread)
            }
        }
    }
}

/// A closure handed to a new thread.
private final class WorkBox: @unchecked Sendable {
    // because it is handed to exactly one thread and run once.
    let work: () -> Void
    init(_ work: @escaping () -> Void) { self.work = work }
}
