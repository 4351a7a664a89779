#if canImport(Glibc)
import Glibc
#endif
import IOCore
import IPC
import Logging

/// All bots of this host: one `BotSupervisor` each, created from the repository
/// at start and as bots are added. Owns nothing else: sockets and servers are
/// wired around it by `Daemon`.
public actor Fleet {
    private var supervisors: [String: BotSupervisor] = [:]
    private var order: [String] = []
    private let repository: any BotRepository
    private var environment: BotSupervisor.Environment
    private var restartSettings: RestartPolicy.Settings
    private let logger: Logger
    private let (spawned, spawnedContinuation) = AsyncStream.makeStream(of: BotSupervisor.self)
    private var loaded = false
    private var stopped = false
    private var invalidBudget: InvalidRequestBudget
    /// The fleet's invalid-request figures as of the last evaluation (health, /metrics).
    public private(set) var invalidRequests: InvalidRequestStatus
    /// How often the workers' invalid-request counts are summed and allowances sent.
    public var budgetInterval: Duration = .seconds(1)
    private var loadWaiters: [CheckedContinuation<Void, Never>] = []

    /// State changes, exits, commits and more, for every consumer in the daemon.
    public nonisolated let events: FleetEventStream

    public init(repository: any BotRepository, environment: BotSupervisor.Environment,
                restart: RestartPolicy.Settings, invalidRequestBudget: Int = 10_000, logger: Logger) {
        self.invalidBudget = InvalidRequestBudget(budget: invalidRequestBudget)
        self.invalidRequests = InvalidRequestStatus(used: 0, budget: invalidRequestBudget, level: .ok, pausedBots: [])
        self.repository = repository
        self.environment = environment
        self.restartSettings = restart
        self.logger = logger
        self.events = environment.events
    }

    /// When the daemon starts, at most this many of its bots' workers are starting at once: each keeps its place
    /// until it said hello, or for `startSlotTimeout`. Fifty workers spawned at once on a 2-core host competed
    /// for the CPU and with the daemon, and the last hellos came late (the start-up storm of issue 13).
    /// Bots started later (by hand, added, restarted after a crash) never wait for a place.
    public var startConcurrency = 8
    public var startSlotTimeout: Duration = .seconds(2)

    /// Runs every bot's event loop until `shutdown`; enabled bots start at once, `startConcurrency` at a time.
    public func run() async throws {
        var enabled: [BotSupervisor] = []
        for bot in try await repository.all() {
            if let supervisor = try await register(bot, start: false), bot.enabled { enabled.append(supervisor) }
        }
        loaded = true
        for waiter in loadWaiters { waiter.resume() }
        loadWaiters.removeAll()
        let toStart = enabled
        await withDiscardingTaskGroup { group in
            group.addTask { await self.guardInvalidRequestBudget() }
            group.addTask { await self.startInWaves(toStart) }
            for await supervisor in spawned {
                group.addTask { await supervisor.run() }
            }
            group.cancelAll()
        }
    }

    /// Sums the workers' invalid requests and hands out allowances (`InvalidRequestBudget`) until `shutdown`.
    private func guardInvalidRequestBudget() async {
        while !Task.isCancelled && !stopped {
            await evaluateInvalidRequestBudget()
            do { try await Reactor.shared.sleep(until: .now + budgetInterval) } catch { return }
        }
    }

    /// One evaluation: reads each connected worker's last report, sends allowances, logs what changed.
    package func evaluateInvalidRequestBudget() async {
        var counts: [String: Int] = [:], paused: [String] = []
        for name in order {
            guard let report = await supervisors[name]?.invalidRequestReport else { continue }
            counts[name] = report.count
            if report.paused { paused.append(name) }
        }
        let decision = invalidBudget.evaluate(counts: counts)
        for (name, allowance) in decision.allowances {
            await supervisors[name]?.setInvalidRequestAllowance(allowance)
        }
        let before = invalidRequests
        invalidRequests = InvalidRequestStatus(used: decision.used, budget: invalidBudget.budget, level: decision.level, pausedBots: paused)
        if decision.levelChanged {
            let used = decision.used, budget = invalidBudget.budget, names = paused.joined(separator: ",")
            switch decision.level {
            case .pausing:
                logger.error("Discord's invalid-request budget is nearly spent; pausing the bots that spend it",
                             ["used": used, "budget": budget, "paused": names])
            case .warning:
                logger.warning("half of Discord's invalid-request budget is spent (401/403/429 in 10 minutes, shared by the host)",
                               ["used": used, "budget": budget])
            case .ok:
                logger.notice("Discord's invalid-request budget has room again", ["used": used, "budget": budget])
            }
        }
        for name in paused where !before.pausedBots.contains(name) {
            logger.error("bot paused: its REST calls wait until its invalid requests age out", ["bot": name, "used": decision.used,
                                                                                                "budget": invalidBudget.budget])
        }
        for name in before.pausedBots where !paused.contains(name) {
            logger.notice("bot resumed its REST calls", ["bot": name])
        }
    }

    /// Starts `bots`, at most `startConcurrency` waiting for their worker's hello at a time.
    private func startInWaves(_ bots: [BotSupervisor]) async {
        var queue = bots[...]
        var starting: [(supervisor: BotSupervisor, generation: UInt64, at: ContinuousClock.Instant)] = []
        while !stopped, !queue.isEmpty {
            var still: [(supervisor: BotSupervisor, generation: UInt64, at: ContinuousClock.Instant)] = []
            for entry in starting where ContinuousClock.now - entry.at < startSlotTimeout {
                if await entry.supervisor.awaitsHello(after: entry.generation) { still.append(entry) }
            }
            starting = still
            while starting.count < startConcurrency, let next = queue.popFirst() {
                let generation = await next.generation
                next.start()
                starting.append((next, generation, ContinuousClock.now))
            }
            if queue.isEmpty { return }
            do { try await Reactor.shared.sleep(until: .now + .milliseconds(10)) } catch { return }
        }
    }

    /// Creates the bot's supervisor (its event loop runs in `run`); returns nil when it was there already.
    @discardableResult
    private func register(_ bot: BotDefinition, start: Bool) async throws -> BotSupervisor? {
        let session = try await repository.session(bot: bot.name)
        let lastIdentify = try await repository.lastIdentify(bot: bot.name)
        // A bot added (over the API) while `run` was still reading the repository is there already.
        guard supervisors[bot.name] == nil else { return nil }
        let supervisor = BotSupervisor(definition: bot, environment: environment, restart: restartSettings,
                                       session: session, lastIdentifyAt: lastIdentify.map(Self.instant(unixMillis:)),
                                       logger: logger)
        supervisors[bot.name] = supervisor
        order.append(bot.name)
        spawnedContinuation.yield(supervisor)
        if start && bot.enabled { supervisor.start() }
        return supervisor
    }

    /// Returns once `run` registered every stored bot (jobs resumed at start need them).
    public func waitUntilLoaded() async {
        if loaded { return }
        await withCheckedContinuation { loadWaiters.append($0) }
    }

    public func supervisor(named name: String) throws -> BotSupervisor {
        guard let s = supervisors[name] else { throw FleetError.botNotFound(name) }
        return s
    }

    public var names: [String] { order }

    public func statuses(_ names: [String]? = nil) async throws -> [BotStatus] {
        var out: [BotStatus] = []
        for name in names ?? order {
            out.append(try await supervisor(named: name).status())
        }
        return out
    }

    public func add(_ bot: BotDefinition) async throws {
        guard supervisors[bot.name] == nil else { throw FleetError(.botExists, "a bot named \(bot.name) exists") }
        try await repository.add(bot)
        try await register(bot, start: true)
        events.publish(.botAdded(bot: bot.name))
        logger.info("bot added", ["bot": bot.name])
    }

    public func update(_ bot: BotDefinition) async throws {
        let supervisor = try supervisor(named: bot.name)
        try await repository.update(bot)
        await supervisor.update(bot)
        events.publish(.botUpdated(bot: bot.name))
    }

    public func remove(_ name: String) async throws {
        let supervisor = try supervisor(named: name)
        await supervisor.stop()
        supervisor.finish()
        supervisors[name] = nil
        order.removeAll { $0 == name }
        try await repository.remove(name: name)
        removeSpool(of: name)
        events.publish(.botRemoved(bot: name))
        logger.info("bot removed", ["bot": name])
    }

    /// The command spool of a deleted bot (`<runtime>/spool/<bot>.records` and its lock) is not left behind:
    /// a new bot of the same name must not resend the old one's records.
    private func removeSpool(of name: String) {
        let path = environment.ipcSocketPath
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let spool = directory + "/spool/\(name).records"
        for path in [spool, spool + ".lock"] where unlink(path) != 0 && errno != ENOENT {
            logger.warning("cannot remove the spool of a deleted bot", ["path": path, "errno": errno])
        }
    }

    /// Applies reloaded settings to the fleet and every supervisor: the next spawn, tick and crash use them.
    public func reconfigure(apiBase: String, heartbeatInterval: Duration, heartbeatTimeout: Duration, stopTimeout: Duration,
                            restart: RestartPolicy.Settings, invalidRequestBudget: Int? = nil) async {
        environment.apiBase = apiBase
        environment.heartbeatInterval = heartbeatInterval
        environment.heartbeatTimeout = heartbeatTimeout
        environment.stopTimeout = stopTimeout
        restartSettings = restart
        if let invalidRequestBudget { invalidBudget.budget = invalidRequestBudget }
        for name in order {
            await supervisors[name]?.reconfigure(environment, restart: restart)
        }
    }

    /// The monotonic instant of a wall-clock time in Unix milliseconds (in the past: before this process, even).
    static func instant(unixMillis: Int64) -> ContinuousClock.Instant {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let age = Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000 - unixMillis
        return ContinuousClock.now - .milliseconds(min(max(0, age), 3_600_000))
    }

    /// Stops every worker in parallel (each bounded by the stop timeout) and ends all event loops.
    ///
    /// With `handover` (the daemon's own stop: SIGTERM, `systemctl restart`, an upgrade) each worker leaves its
    /// gateway session open at Discord and its newest position is written to SQLite before this returns, so the
    /// next daemon's workers RESUME: a daemon restart spends no identify (issue 13). Without it, each session is
    /// closed with 1000 and the next start identifies.
    public func shutdown(handover: Bool = true) async {
        stopped = true
        let all = Array(supervisors.values)
        await withDiscardingTaskGroup { group in
            for s in all { group.addTask { await s.stop(handover: handover) } }
        }
        if handover {
            // The last positions the workers reported may still be only in memory (written once a tick).
            await withDiscardingTaskGroup { group in
                for s in all { group.addTask { await s.persistSessionNow() } }
            }
        }
        for s in all { s.finish() }
        spawnedContinuation.finish()
    }
}

/// The host's use of Discord's invalid-request budget (health, /metrics).
public struct InvalidRequestStatus: Sendable, Equatable {
    /// 401/403/429 answers in the last 10 minutes, summed over the workers' reports.
    public var used: Int
    public var budget: Int
    public var level: InvalidRequestBudget.Level
    /// Bots whose workers hold their REST calls.
    public var pausedBots: [String]
}
