#if canImport(Glibc)
import Glibc
#endif
import Discord
import HTTP
import IOCore
import IPC
import JSON
import Logging
import TLS

/// One bot's Discord side inside a worker: the gateway session, the REST
/// client, and command handling (slash commands over interactions, prefix
/// commands over MESSAGE_CREATE) with tracking, anti-spam and friendly errors.
public actor BotRuntime: GatewayEvents {
    public private(set) var config: WorkerConfig
    let rest: DiscordREST
    let reporter: any WorkerReporter
    let logger: Logger
    let tls: TLSConfiguration
    var driver: GatewayDriver?
    var selfUserID: String?
    var applicationID: String?
    private var commandsRegistered = false
    var recentByUser: [String: [ContinuousClock.Instant]] = [:]
    /// Commands being handled: record id -> (start, record template).
    var inFlight: [String: (started: ContinuousClock.Instant, record: CommandRecord)] = [:]
    private let (work, workContinuation) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)

    /// A handler not done this soon after the event is deferred: Discord allows 3 s for the first response,
    /// and a loaded machine needs the rest of that margin to get the deferral out.
    public static let deferAfter: Duration = .milliseconds(1000)
    /// Discord's deadline for the first response to an interaction, counted from its creation (D-INT).
    /// One that arrives later (replayed after an outage) cannot be answered: its outcome is `expired`.
    public static let responseDeadlineMilliseconds: Int64 = 3000
    /// Replayed events refused because they were handled before (see `begin`).
    public private(set) var replaysIgnored = 0
    /// The gateway position as of the event being dispatched (the session reports it before the event).
    var position: SessionState?
    /// What `/stock` answers with (`BotRuntime+Stock.swift`); the supervisor sends it.
    var stockListing: StockListing?

    // Metrics.
    public private(set) var metrics = WorkerMetrics()
    var lastDispatchAt: ContinuousClock.Instant?

    public init(config: WorkerConfig, reporter: any WorkerReporter, tls: TLSConfiguration = .default, logger: Logger) {
        self.config = config
        self.reporter = reporter
        self.logger = logger
        self.tls = tls
        self.rest = DiscordREST(apiBase: config.apiBase, token: config.token, tls: tls, logger: logger)
    }

    /// Runs the bot until it is stopped or Discord refuses it; returns the fatal close, if any.
    public func run() async throws -> (code: Int, message: String)? {
        // A resumable session goes to its resume_gateway_url: no `GET /gateway/bot` first (issue 16; against
        // Discord that is a TLS handshake and a round trip). The session asks for the URL if it must identify.
        var url: String?
        if config.session == nil {
            switch await Self.fetchGatewayURL(rest) {
            case .url(let u): url = u
            case .unauthorized:
                // The same verdict as a 4004 close: the token is refused.
                await reporter.fatal(code: 4004, reason: "GET /gateway/bot answered 401: the token is invalid")
                return (4004, "GET /gateway/bot answered 401: the token is invalid")
            case .failed(let why): throw RuntimeError.gatewayUnavailable(why)
            }
        }
        // The supervisor's identify delay, as the time of an identify made `spacing - delay` ago.
        let lastIdentify = config.identifyDelayMilliseconds.map { ContinuousClock.now + .milliseconds($0) - GatewaySession.identifySpacing }
        let driver = GatewayDriver(session: GatewaySession(token: config.token, intents: config.intents, session: config.session,
                                                           lastIdentifyAt: lastIdentify),
                                   tls: tls, events: self, logger: logger, fetchGatewayURL: { [rest] in await Self.fetchGatewayURL(rest) })
        self.driver = driver
        return await withDiscardingTaskGroup { group in
            // Command handlers and timers run here, never inside the gateway loop.
            group.addTask { [work] in
                await withDiscardingTaskGroup { handlers in
                    for await job in work { handlers.addTask { await job() } }
                }
            }
            group.addTask { await self.expireTimedOutCommands() }
            let fatal = await driver.run(gatewayURL: url)
            if let fatal { await reporter.fatal(code: fatal.code, reason: fatal.message) }
            workContinuation.finish()
            group.cancelAll()
            return fatal
        }
    }

    static func fetchGatewayURL(_ rest: DiscordREST) async -> GatewayDriver.GatewayURLResult {
        do {
            let gateway = try await rest.send(.get, "/gateway/bot")
            if gateway.ok, let url = gateway.body["url"]?.string { return .url(url) }
            if gateway.status == 401 { return .unauthorized }
            return .failed("GET /gateway/bot failed with HTTP \(gateway.status)")
        } catch {
            return .failed("GET /gateway/bot failed: \(error)")
        }
    }

    enum RuntimeError: Error, CustomStringConvertible {
        case gatewayUnavailable(String)
        var description: String {
            switch self {
            case .gatewayUnavailable(let why): why
            }
        }
    }

    /// Stops the session: with `handover` it stays resumable for a replacement worker.
    public func stop(handover: Bool) {
        driver?.send(.stop(handover: handover))
    }

    public func update(_ newConfig: WorkerConfig) {
        let commandsChanged = newConfig.customCommands != config.customCommands
        config = newConfig
        if commandsChanged {
            commandsRegistered = false
            enqueue { await self.registerCommandsIfNeeded() }
        }
    }

    public func currentMetrics() async -> WorkerMetrics {
        var m = metrics
        m.restCalls = await rest.calls
        m.rest429 = await rest.tooManyRequests
        m.invalidRequests = await rest.invalidRequestCount()
        m.restPaused = await rest.paused
        m.lastDispatchAgeMillis = lastDispatchAt.map { Double((ContinuousClock.now - $0).components.attoseconds / 1_000_000_000_000_000) + Double((ContinuousClock.now - $0).components.seconds) * 1000 }
        return m
    }

    nonisolated func enqueue(_ job: @escaping @Sendable () async -> Void) { workContinuation.yield(job) }

    // MARK: GatewayEvents

    public func status(_ status: GatewaySession.Status) async {
        await reporter.state(status, detail: nil)
        if status == .ready {
            // Connecting ran code an idle worker does not run again (TLS and WebSocket handshakes, OpenSSL's
            // set-up, IDENTIFY): its pages leave the worker's resident set, and the heap it freed goes back.
            Memory.trimResidentSet()
        }
    }

    public func sessionChanged(_ session: SessionState?) async {
        position = session
        await reporter.session(session)
    }

    public func heartbeatAcknowledged(rtt: Duration) {
        metrics.gatewayRTTMillis = Double(rtt.components.seconds) * 1000 + Double(rtt.components.attoseconds) / 1e15
    }

    public func reconnected(resumed: Bool) {
        metrics.reconnects += 1
        if resumed { metrics.resumes += 1 }
    }

    public func dispatch(name: String, data: LazyJSON) async {
        metrics.events += 1
        lastDispatchAt = .now
        switch name {
        case "READY":
            let data = data.value
            metrics.identifies += 1
            selfUserID = data["user"]?["id"]?.string
            applicationID = data["application"]?["id"]?.string ?? config.applicationID
            logger.info("ready", ["user": selfUserID ?? "?", "guilds": data["guilds"]?.array?.count ?? 0])
            if !commandsRegistered { enqueue { await self.registerCommandsIfNeeded() } }
        case "INTERACTION_CREATE":
            guard data["type"]?.int == InteractionType.applicationCommand.rawValue else { return }
            let received = ContinuousClock.now, receivedAt = Snowflake.nowUnixMilliseconds(), position = self.position
            let data = data.value
            enqueue { await self.handleInteraction(data, received: received, receivedAt: receivedAt, position: position) }
        case "MESSAGE_CREATE":
            // Most messages are no command: they are dropped on `content` alone, without building the rest.
            guard let prefix = config.prefix, !prefix.isEmpty, let content = data["content"]?.string, content.hasPrefix(prefix),
                  data["author"]?["bot"]?.bool != true, data["author"]?["id"]?.string != selfUserID else { return }
            let received = ContinuousClock.now, position = self.position
            let data = data.value
            enqueue { await self.handlePrefixCommand(data, prefix: prefix, received: received, position: position) }
        default:
            break
        }
    }

    // MARK: Commands

    /// The application commands this bot offers: built-ins plus the configured custom ones.
    func commandDefinitions() -> JSON {
        var list: [JSON] = [
            ["name": "ping", "description": "Gateway heartbeat and REST round trip times", "type": ApplicationCommandType.chatInput.json],
            ["name": "help", "description": "What this bot can do", "type": ApplicationCommandType.chatInput.json],
        ]
        // `/stock` is built in unless the bot configures a command of that name (its own wins).
        if !hasCustomStock { list.append(Self.stockCommand) }
        for c in config.customCommands {
            list.append(["name": .string(c.name), "description": .string(c.description), "type": ApplicationCommandType.chatInput.json])
        }
        return .array(list)
    }

    /// Bulk-overwrites the global commands, only when Discord's copy differs from ours.
    func registerCommandsIfNeeded() async {
        guard let app = applicationID else { return }
        let wanted = commandDefinitions()
        do {
            let current = try await rest.send(.get, "/applications/\(app)/commands")
            func shape(_ list: JSON) -> [String] {
                (list.array ?? []).map { "\($0["name"]?.string ?? "")|\($0["description"]?.string ?? "")|\($0["type"]?.int ?? ApplicationCommandType.chatInput.rawValue)" }.sorted()
            }
            if current.ok && shape(current.body) == shape(wanted) {
                commandsRegistered = true
                return
            }
            let response = try await rest.send(.put, "/applications/\(app)/commands", body: wanted)
            if response.ok {
                commandsRegistered = true
                logger.info("application commands registered", ["count": wanted.array?.count ?? 0])
            } else {
                logger.error("registering commands failed", ["status": response.status, "code": response.errorCode ?? 0])
            }
        } catch {
            logger.error("registering commands failed", ["error": error])
        }
    }

    struct Invocation {
        var command: String
        var options: JSON
        var userID: String
        var guildID: String?
        var channelID: String?
        var userName: String
    }

    /// Anti-spam: at most `rateLimitCount` commands per user per `rateLimitSeconds`.
    func allow(user: String, now: ContinuousClock.Instant) -> Bool {
        let window = Duration.milliseconds(Int64(config.rateLimitSeconds * 1000))
        var times = recentByUser[user, default: []].filter { now - $0 < window }
        guard times.count < config.rateLimitCount else {
            recentByUser[user] = times
            return false
        }
        times.append(now)
        recentByUser[user] = times
        return true
    }

    /// The reply text for a command, or an error with a short code.
    func respond(to invocation: Invocation) async throws -> (content: String, ephemeral: Bool) {
        switch invocation.command {
        case "ping":
            let gateway = metrics.gatewayRTTMillis.map { "\(Int($0.rounded())) ms" } ?? "not measured yet"
            let restRTT = await rest.lastRTT.map { "\(Int((Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15).rounded())) ms" } ?? "not measured yet"
            return ("Pong! Gateway heartbeat RTT: \(gateway), REST RTT: \(restRTT)", false)
        case "help":
            let names = (commandDefinitions().array ?? []).compactMap { c -> String? in
                guard let n = c["name"]?.string else { return nil }
                return "/\(n): \(c["description"]?.string ?? "")"
            }
            let prefixNote = config.prefix.map { "\nPrefix commands work too: \($0)help" } ?? ""
            return ("Commands:\n" + names.joined(separator: "\n") + prefixNote, true)
        case "stock" where !hasCustomStock:
            return (stockAnswer(category: Self.categoryOption(invocation.options)), true)
        default:
            guard let custom = config.customCommands.first(where: { $0.name == invocation.command }) else {
                throw CommandFailure(code: .unknownCommand, message: "no command named \(invocation.command)")
            }
            if let delay = custom.delayMilliseconds, delay > 0 {
                try await Reactor.shared.sleep(until: .now + .milliseconds(Int64(delay)))
            }
            let text = Self.fill(custom.response, ["{user}": "<@\(invocation.userID)>", "{guild}": invocation.guildID ?? "DM",
                                                   "{channel}": invocation.channelID.map { "<#\($0)>" } ?? "DM"])
            return (text, custom.ephemeral)
        }
    }

    struct CommandFailure: Error {
        var code: ErrorCode
        var message: String
    }

    func newRecord(_ inv: Invocation) -> CommandRecord {
        let startedAt = WallClock.now().microseconds
        return CommandRecord(id: Self.recordID(startedAt: startedAt), bot: config.bot, guildID: inv.guildID, channelID: inv.channelID,
                             userID: inv.userID, command: inv.command, options: inv.options.serialized(),
                             startedAt: startedAt, durationMicros: 0, outcome: .ok)
    }

    /// Record ids lead with the start time (14 hex digits of microseconds) and end with 40 random
    /// bits: unique, and in time order, so the supervisor's primary-key index grows at its end
    /// instead of taking a random page per row as UUIDs would. Users see the random tail as `ref`.
    static func recordID(startedAt: Int64) -> String {
        let time = String(UInt64(max(0, startedAt)), radix: 16)
        let tail = String(UInt64.random(in: 0..<(1 << 40)), radix: 16)
        return String(repeating: "0", count: max(0, 14 - time.count)) + time + String(repeating: "0", count: 10 - tail.count) + tail
    }

    func finish(_ record: CommandRecord, started: ContinuousClock.Instant, outcome: CommandOutcome,
                        errorCode: ErrorCode? = nil, errorMessage: String? = nil) async {
        // The tracker may already have recorded it as a timeout.
        guard inFlight.removeValue(forKey: record.id) != nil else { return }
        var r = record
        let elapsed = ContinuousClock.now - started
        r.durationMicros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        r.outcome = outcome
        r.errorCode = errorCode
        r.errorMessage = errorMessage
        metrics.commands += 1
        await reporter.record(r)
    }

    /// Notes the command in the spool before it is answered (see `CommandSpool`); false for an event
    /// handled before, which a resume from an older position replays: it is neither answered nor recorded.
    func begin(_ record: CommandRecord, event: String, position: SessionState?) async -> Bool {
        var interrupted = record
        interrupted.outcome = .interrupted
        interrupted.errorCode = .interrupted
        interrupted.errorMessage = "the worker ended before the command finished"
        guard await reporter.begin(interrupted, event: event, position: position) else {
            replaysIgnored += 1
            logger.notice("ignoring a replayed event that was handled before", ["event": event, "command": record.command])
            return false
        }
        return true
    }

    /// Records commands still running after the configured timeout as `timeout`.
    private func expireTimedOutCommands() async {
        while !Task.isCancelled {
            do { try await Reactor.shared.sleep(until: .now + .milliseconds(250)) } catch { return }
            let limit = Duration.milliseconds(Int64(config.commandTimeoutSeconds * 1000))
            let now = ContinuousClock.now
            for entry in inFlight.values where now - entry.started > limit {
                await finish(entry.record, started: entry.started, outcome: .timeout, errorCode: .timeout,
                             errorMessage: "still running after \(config.commandTimeoutSeconds) s")
            }
        }
    }

}

extension BotRuntime {
    /// A custom command's response with its `{placeholders}` filled in; text that is no placeholder stays as it is.
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            if let close = rest[open...].firstIndex(of: "}"), let value = values[String(rest[open...close])] {
                out += value
                rest = rest[rest.index(after: close)...]
            } else {
                out.append("{")
                rest = rest[rest.index(after: open)...]
            }
        }
        return out + rest
    }
}
