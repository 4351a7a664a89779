import Fleet
import IOCore
import IPC
import Logging
import Store

/// Runs bulk jobs in the background: start, stop or restart many bots with
/// bounded concurrency, or send one message through many bots. Each item's
/// result is written to SQLite as it finishes, so `GET /api/v1/jobs/{id}`
/// shows progress, and one bot's failure never stops the others.
///
/// Messages go out on one lane per (bot, channel): a lane sends its messages in
/// order, lanes run side by side, and each worker's REST limiter spaces them by
/// Discord's buckets, so a job runs as fast as the limits allow without a 429.
/// Every message carries a nonce derived from the job and item with
/// `enforce_nonce`: when botvisord restarts mid-job and sends an item again,
/// Discord returns the message it already created instead of a second one.
public actor JobRunner {
    public struct Settings: Sendable {
        /// Bots started, stopped or restarted at once by a lifecycle job.
        public var lifecycleConcurrency = 4
        /// Message lanes (one per bot and channel) running at once.
        public var laneConcurrency = 256
        /// How long a start or restart may take to reach ready, and how long a
        /// message waits for its bot to come up.
        public var settleTimeout: Duration = .seconds(30)
        /// A message waiting in the worker's rate limiter counts towards this.
        public var sendTimeout: Duration = .seconds(120)
        /// A message job resumed soon after its last send waits this long first: the new
        /// workers cannot know how much of each bucket the killed ones spent, and Discord's
        /// per-channel message bucket is 5 per 5 s.
        public var resumeQuietPeriod: Duration = .seconds(5)
        public init() {}
    }

    package let store: SupervisorStore
    package let fleet: Fleet
    package let settings: Settings
    package let logger: Logger
    private var tasks: [String: Task<Void, Never>] = [:]
    private var cancelled: Set<String> = []
    /// Keeps stock displays current; display jobs (`product_visibility`, `display_refresh`) wait on it.
    package private(set) var displays: DisplayEngine?

    package func use(_ displays: DisplayEngine) { self.displays = displays }

    public init(store: SupervisorStore, fleet: Fleet, settings: Settings = Settings(), logger: Logger) {
        self.store = store
        self.fleet = fleet
        self.settings = settings
        self.logger = logger.with("component", "jobs")
    }

    /// Creates the job (or finds the one with the same idempotency key) and starts it.
    package func submit(_ spec: JobSpec, idempotencyKey: String?) async throws -> (job: Job, created: Bool) {
        let (id, created) = try await store.createJob(spec, idempotencyKey: idempotencyKey)
        if created {
            logger.info("job created", ["job": id, "kind": spec.kind.rawValue, "items": spec.targets.count])
            launch(id)
        }
        guard let job = try await store.job(id, withItems: false) else { throw JobError.vanished(id: id) }
        return (job, created)
    }

    /// At start: jobs that were queued or running when botvisord stopped are marked
    /// interrupted. Message jobs continue where they stopped (nonces make a resend
    /// safe); lifecycle jobs end, their remaining items failed with `INTERRUPTED`
    /// (a restarted botvisord starts its bots anyway).
    public func resumeInterrupted() async {
        await fleet.waitUntilLoaded()
        do {
            for id in try await store.interruptUnfinishedJobs() {
                guard let work = try await store.pendingWork(job: id) else { continue }
                if work.kind == .message || work.kind.isDisplayJob {
                    logger.notice("resuming an interrupted message job", ["job": id, "pending": work.items.count])
                    let lastSend = try await store.lastItemFinish(job: id) ?? 0
                    let window = settings.resumeQuietPeriod
                    launch(id, after: nowMilliseconds() - lastSend < window.components.seconds * 1000 ? window : .zero)
                } else {
                    try await store.finishPendingItems(job: id, state: .error,
                                                       error: .init(code: .interrupted, message: "botvisord stopped before this item ran"))
                    try await finish(id)
                }
            }
        } catch {
            logger.error("cannot resume interrupted jobs", ["error": error])
        }
    }

    /// Asks a running job to stop: items in flight finish, the rest are cancelled.
    package func cancel(_ id: String) async throws -> Job? {
        guard let job = try await store.job(id, withItems: false) else { return nil }
        guard !job.state.isFinished else { throw JobError.alreadyFinished(id: id, state: job.state.rawValue) }
        cancelled.insert(id)
        try await store.requestCancel(id)
        logger.notice("job cancel requested", ["job": id])
        return try await store.job(id, withItems: false)
    }

    /// Stops every running job without finishing it: at the next start they count as interrupted.
    public func shutdown() async {
        let running = Array(tasks.values)
        for task in running { task.cancel() }
        for task in running { await task.value }
    }

    /// Waits for a job's task to end (tests).
    package func wait(_ id: String) async {
        await tasks[id]?.value
    }

    /// The job was cancelled, or botvisord is shutting down.
    package func shouldStop(_ id: String) -> Bool { Task.isCancelled || cancelled.contains(id) }

    private func launch(_ id: String, after delay: Duration = .zero) {
        tasks[id] = Task {
            if delay > .zero { try? await Reactor.shared.sleep(until: .now + delay) }
            await self.execute(id)
        }
    }

    private func execute(_ id: String) async {
        defer { tasks[id] = nil }
        do {
            try await store.setJobState(id, .running)
            fleet.events.publish(.jobProgress(job: id, seq: nil, state: "running"))
            guard let work = try await store.pendingWork(job: id) else { return }
            if work.kind == .message {
                await sendMessages(job: id, content: work.content, embeds: work.embeds, items: work.items)
            } else if work.kind.isDisplayJob {
                await runDisplayJob(job: id, kind: work.kind, content: work.content, items: work.items)
            } else {
                await runLifecycle(job: id, kind: work.kind, items: work.items)
            }
            // Stopped by shutdown: leave the rest for the next start.
            if Task.isCancelled { return }
            if cancelled.contains(id) {
                try await store.finishPendingItems(job: id, state: .cancelled, error: .init(code: .jobCancelled, message: "the job was cancelled"))
            }
            try await finish(id)
        } catch {
            logger.error("job failed to run", ["job": id, "error": error])
        }
    }

    private func finish(_ id: String) async throws {
        guard let job = try await store.job(id, withItems: false) else { return }
        let state = Job.finalState(job.progress, cancelled: cancelled.contains(id) || job.cancel_requested)
        try await store.setJobState(id, state)
        fleet.events.publish(.jobProgress(job: id, seq: nil, state: state.rawValue))
        cancelled.remove(id)
        logger.info("job finished", ["job": id, "state": state.rawValue, "succeeded": job.progress.succeeded, "failed": job.progress.failed])
    }

    // MARK: Lifecycle jobs

    private nonisolated func runLifecycle(job: String, kind: JobKind, items: [JobItem]) async {
        await forEach(items, atOnce: settings.lifecycleConcurrency, job: job) { item in
            let started = nowMilliseconds()
            let failure = await self.perform(kind, bot: item.bot)
            if Task.isCancelled { return }
            try? await self.store.finishItem(job: job, seq: item.seq, state: failure == nil ? .ok : .error,
                                             error: failure, startedAt: started)
            self.fleet.events.publish(.jobProgress(job: job, seq: item.seq, state: failure == nil ? "ok" : "error"))
        }
    }

    /// Runs `body` for each element, at most `limit` at a time (a sliding window), and
    /// starts no more once the job is cancelled or botvisord shuts down.
    private nonisolated func forEach<T: Sendable>(_ elements: [T], atOnce limit: Int, job: String,
                                                  _ body: @escaping @Sendable (T) async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for element in elements {
                if running == limit {
                    await group.next()
                    running -= 1
                }
                if await shouldStop(job) { break }
                running += 1
                group.addTask { await body(element) }
            }
        }
    }

    /// One bot: nil when it reached the state asked for, else why not.
    private nonisolated func perform(_ kind: JobKind, bot: String) async -> JobItem.Failure? {
        guard let supervisor = try? await fleet.supervisor(named: bot) else {
            return .init(code: .botNotFound, message: "no bot named \(bot)")
        }
        // Subscribed before anything is read or asked: no state change can slip between.
        let subscription = fleet.events.subscribe(bufferSize: 64)
        defer { subscription.cancel() }
        let state = await supervisor.state
        if kind == .stop {
            await supervisor.stop()
            return nil
        }
        // A token or configuration Discord refused is not retried by a bulk job: fix it first.
        if state == .authFailed {
            return .init(code: .authFailed, message: "Discord rejected this bot's token; set a new one with PATCH /api/v1/bots/\(bot)")
        }
        if state == .configFailed {
            return .init(code: .configFailed, message: "Discord rejected this bot's intents or shard settings; fix them first")
        }
        if kind == .start && [.ready, .connecting, .resuming, .starting].contains(state) { return nil }
        let before = await supervisor.generation
        if kind == .start { supervisor.start() } else { supervisor.restart() }
        let settledIn = await waitForState(of: supervisor, following: subscription, deadline: .now + settings.settleTimeout) { seen in
            guard seen.generation > before else { return false }
            // A worker that cannot be spawned retries by itself, but this item has its answer.
            if seen.state == .backoff, seen.reason?.hasPrefix("cannot spawn") == true { return true }
            return [.ready, .authFailed, .configFailed, .failed, .stopped].contains(seen.state)
        }
        switch settledIn?.state {
        case .ready: return nil
        case .authFailed: return .init(code: .authFailed, message: "Discord rejected the token")
        case .configFailed: return .init(code: .configFailed, message: "Discord rejected the configuration")
        case .failed: return .init(code: .crashLoop, message: "the worker kept crashing; its restart budget is spent")
        case .stopped: return .init(code: .stopped, message: "the bot was stopped before it became ready")
        case .backoff: return .init(code: .spawnFailed, message: settledIn?.reason ?? "the worker cannot be spawned")
        default:
            if Task.isCancelled { return nil }
            return .init(code: .timeout, message: "the bot did not become ready within \(settings.settleTimeout)")
        }
    }

    // MARK: Display jobs

    /// A visibility job first applies its change (again, when resumed: setting the same visibility twice
    /// changes nothing), then waits for each display's next sync and records its outcome per display.
    private nonisolated func runDisplayJob(job: String, kind: JobKind, content: String?, items: [JobItem]) async {
        guard let displays = await displays else {
            try? await store.finishPendingItems(job: job, state: .error, error: .init(code: .internal, message: "stock displays are not running"))
            return
        }
        if kind == .product_visibility, let content, let change = VisibilityChange(json: content) {
            do {
                let changed = try await store.setVisibility(change.selector, visible: change.visible, within: change.catalogs)
                for (catalog, skus) in changed.sorted(by: { $0.key < $1.key }) {
                    fleet.events.publish(.stockChanged(catalog: catalog, skus: skus))
                }
            } catch {
                try? await store.finishPendingItems(job: job, state: .error, error: .init(code: .internal, message: "\(error)"))
                return
            }
        }
        await forEach(items, atOnce: 64, job: job) { item in
            guard let id = item.display_id else { return }
            let started = nowMilliseconds()
            let outcome = await displays.refresh(id, clearingBroken: kind == .display_refresh)
            if Task.isCancelled { return }
            switch outcome {
            case .ok(let ids):
                try? await self.store.finishItem(job: job, seq: item.seq, state: .ok, messageID: ids.first, startedAt: started)
            case .failed(let code, let message):
                try? await self.store.finishItem(job: job, seq: item.seq, state: .error, error: .init(code: code, message: message), startedAt: started)
            }
            self.fleet.events.publish(.jobProgress(job: job, seq: item.seq, state: outcome.isOK ? "ok" : "error"))
        }
    }

    // MARK: Message jobs

    private nonisolated func sendMessages(job: String, content: String?, embeds: String?, items: [JobItem]) async {
        // One lane per (bot, channel), in the order of each lane's first item.
        var lanes: [[JobItem]] = []
        var laneOf: [String: Int] = [:]
        for item in items {
            let key = "\(item.bot)\u{0}\(item.channel_id ?? "")"
            if let i = laneOf[key] { lanes[i].append(item) } else {
                laneOf[key] = lanes.count
                lanes.append([item])
            }
        }
        await forEach(lanes, atOnce: settings.laneConcurrency, job: job) { lane in
            for item in lane {
                if await self.shouldStop(job) { return }
                let started = nowMilliseconds()
                let (messageID, failure) = await self.deliver(job: job, item: item, content: content, embeds: embeds)
                if Task.isCancelled { return }
                try? await self.store.finishItem(job: job, seq: item.seq, state: failure == nil ? .ok : .error,
                                                 messageID: messageID, error: failure, startedAt: started)
                self.fleet.events.publish(.jobProgress(job: job, seq: item.seq, state: failure == nil ? "ok" : "error"))
            }
        }
    }

    /// The nonce of one item: unique per job and item, at most 25 characters (Discord's limit).
    package static func nonce(job: String, seq: Int) -> String { "bv\(job.prefix(16))\(String(seq, radix: 36))" }

    /// Sends one message; retried (safely, thanks to the nonce) when the worker goes away mid-send.
    private nonisolated func deliver(job: String, item: JobItem, content: String?, embeds: String?) async -> (String?, JobItem.Failure?) {
        guard let supervisor = try? await fleet.supervisor(named: item.bot) else {
            return (nil, .init(code: .botNotFound, message: "no bot named \(item.bot)"))
        }
        let message = SendMessage(channelID: item.channel_id ?? "", content: content, embeds: embeds, nonce: Self.nonce(job: job, seq: item.seq))
        var attempt = 0
        while true {
            attempt += 1
            let state = await settled(supervisor)
            guard state == .ready else {
                return (nil, .init(code: .botNotRunning, message: "bot \(item.bot) is \(state.rawValue)"))
            }
            do {
                let reply = try await supervisor.sendMessage(message, timeout: settings.sendTimeout)
                if reply.ok, let id = reply.result?["message_id"], !id.isEmpty { return (id, nil) }
                return (nil, .init(code: Self.errorCode(reply.errorCode), message: reply.message ?? "Discord refused the message"))
            } catch {
                if Task.isCancelled || attempt >= 3 {
                    return (nil, .init(code: .botNotRunning, message: "the worker went away while sending: \(error)"))
                }
            }
        }
    }

    /// Waits while the bot is on its way up or restarting; returns the state it settled in.
    private nonisolated func settled(_ supervisor: BotSupervisor) async -> WorkerState {
        let transitional: [WorkerState] = [.starting, .connecting, .resuming, .backoff, .stopping]
        let subscription = fleet.events.subscribe(bufferSize: 64)
        defer { subscription.cancel() }
        let seen = await waitForState(of: supervisor, following: subscription, deadline: .now + settings.settleTimeout) { seen in
            !transitional.contains(seen.state)
        }
        if let seen { return seen.state }
        return await supervisor.state
    }

    /// A worker's refusal as a job item's code: the worker's own code (`DISCORD_50035`, the same
    /// spelling as in command records and IPC replies), or `SEND_FAILED` when it gave none.
    package static func errorCode(_ code: ErrorCode?) -> ErrorCode { code ?? .sendFailed }
}
