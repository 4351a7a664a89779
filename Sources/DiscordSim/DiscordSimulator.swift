import Discord
import HTTP
import IOCore
import JSON
import Logging
import TLS
import WebSocket

/// A Discord simulator on one loopback port: REST under `/api/v10`, the
/// gateway as a WebSocket at `/gateway` (resume URL `/resume`, a distinct
/// path so tests see whether it is used), and a control API under `/_sim`.
/// It enforces Discord's limits and records every protocol violation it sees.
public actor DiscordSimulator {
    public struct Configuration: Sendable {
        public var heartbeatInterval: Duration = .milliseconds(41_250)
        /// How long past the interval a client may go without a heartbeat before it is zombied (closed with 4009,
        /// as Discord does); nil means half the interval plus 2 s. A heartbeat that is late but inside the grace is
        /// not a violation (Discord accepts it); it is noted in `Stats.lateHeartbeats`.
        public var heartbeatGrace: Duration?
        /// An Identify must arrive this soon after Hello.
        public var identifyTimeout: Duration = .seconds(20)
        /// Identifies allowed per bot per 5 s (`max_concurrency`).
        public var maxConcurrency = 1
        /// Session starts per bot (`session_start_limit.total`).
        public var sessionStartLimit = 1000
        /// Sessions stay resumable this long after their connection drops.
        public var resumeWindow: Duration = .seconds(120)
        /// Interaction callbacks are accepted this long after the event was sent.
        public var interactionDeadline: Duration = .seconds(3)
        public var globalRequestsPerSecond = 50
        /// Per-channel message bucket: `limit` per `window` (Discord's observed 5 per 5 s).
        public var messageLimit = 5
        public var messageWindow: Duration = .seconds(5)
        /// Every other route's bucket.
        public var routeLimit = 50
        public var routeWindow: Duration = .seconds(1)
        public var guildsPerBot = 2
        /// Discord's invalid-request limit: this many 401, 403 and 429 answers (not `X-RateLimit-Scope: shared`)
        /// per client IP within `invalidRequestWindow`, and every further REST call from that IP gets Cloudflare's
        /// ban, a bare 429 (https://discord.com/developers/docs/topics/rate-limits#invalid-request-limit-aka-cloudflare-bans).
        public var invalidRequestLimit = 10_000
        public var invalidRequestWindow: Duration = .seconds(600)
        /// How long a ban lasts (Discord: about an hour; short here so a test can see it end).
        public var banDuration: Duration = .seconds(60)
        /// Edits allowed per message per hour once the message is older than an hour; past it PATCH answers
        /// 429 with code 30046 (docs/discord-protocol.md §3.2: the limit exists, Discord does not publish it).
        public var oldMessageEditsPerHour = 10
        public init() {}
    }

    /// A bot the simulator knows.
    public struct Bot: Sendable {
        public var name: String
        public var token: String
        public var userID: String
        public var applicationID: String
        /// Privileged intents the bot is approved for.
        public var approvedIntents: GatewayIntents
    }

    struct Session {
        var id: String
        var bot: String
        var sequence = 0
        /// Every dispatch of the session, for replay on resume.
        var log: [(seq: Int, payload: String)] = []
        var connection: UInt64?
        var disconnectedAt: ContinuousClock.Instant?
        var intents: UInt64
    }

    struct Interaction {
        var id: String
        var token: String
        var bot: String
        var channelID: String
        var sentAt: ContinuousClock.Instant
        /// The INTERACTION_CREATE data, for `replayInteraction`.
        var event: JSON = .null
        var acknowledged = false
        var deferred = false
    }

    /// One stored message.
    public struct Message: Sendable, Equatable {
        public var id: String
        public var channelID: String
        public var authorID: String
        public var content: String
        public var embeds: JSON
        /// How far the message was backdated (`ageMessage`): its age is its id's time plus this.
        public var backdatedMilliseconds: Int64 = 0
        /// When each edit was made while the message was older than an hour (the 30046 limit).
        var oldEdits: [ContinuousClock.Instant] = []
        /// Unix milliseconds of the message's creation, as its snowflake says (backdating included).
        public var createdAtUnixMilliseconds: Int64 { (Snowflake.unixMilliseconds(of: id) ?? 0) - backdatedMilliseconds }
    }

    /// An interaction callback as received.
    public struct Callback: Sendable {
        public var interactionID: String
        public var type: Int
        public var data: JSON
        public var latency: Duration
        public var status: Int
    }

    /// A REST call as received.
    public struct RESTCall: Sendable {
        public var bot: String?
        public var method: String
        public var path: String
        public var status: Int
    }

    /// What the simulator counted, for tests and benchmarks.
    public struct Stats: Sendable {
        public var identifies: [String: Int] = [:]
        public var resumes: [String: Int] = [:]
        /// Resumes that came through the resume URL (`/resume`).
        public var resumesViaResumeURL: [String: Int] = [:]
        public var restCalls: [RESTCall] = []
        public var callbacks: [Callback] = []
        public var tooManyRequests = 0
        /// Message creates answered with an earlier message because of `enforce_nonce`.
        public var nonceDuplicates = 0
        /// Edits refused with 30046 (old message, edit limit reached); not counted in `tooManyRequests`,
        /// which counts rate-limit 429s only.
        public var oldMessageEditsRefused = 0
        public var violations: [String] = []
        /// Heartbeats that came more than a quarter interval late but inside the grace: not violations (Discord
        /// accepts them), but a sign of a starved client; only tests about heartbeat timing look at them.
        public var lateHeartbeats: [String] = []
        public var connectionsOpened: [String: Int] = [:]
        /// Invalid requests (401, 403, 429) answered per client IP, all time.
        public var invalidRequests: [String: Int] = [:]
        /// REST calls refused with Cloudflare's ban because their IP spent the invalid-request limit.
        public var bannedRequests = 0
        public var closeCodesReceived: [String: [Int]] = [:]
    }

    public nonisolated let configuration: Configuration
    let logger: Logger
    var bots: [String: Bot] = [:]
    var byToken: [String: String] = [:]
    var sessions: [String: Session] = [:]
    /// bot -> its session id (one session per bot); kept by `insertSession` and `removeSession`.
    var sessionOfBot: [String: String] = [:]
    var connections: [UInt64: GatewayConnection] = [:]
    var nextConnectionID: UInt64 = 1
    var interactions: [String: Interaction] = [:]
    var messagesByChannel: [String: [Message]] = [:]
    /// Channels deleted with `deleteChannel`.
    var deletedChannels: Set<String> = []
    /// "author:nonce" -> the message created with it, for `enforce_nonce`.
    var messagesByNonce: [String: (Message, ContinuousClock.Instant)] = [:]
    var commands: [String: JSON] = [:]
    var stats = Stats()
    var identifyTimes: [String: [ContinuousClock.Instant]] = [:]
    var sessionStarts: [String: Int] = [:]
    /// The last snowflake handed out: ids only grow, even when the clock does not.
    var lastSnowflake: UInt64 = 0
    /// Forced failures for the next REST calls: status and count left.
    var forcedFailures: [(status: Int, remaining: Int, retryAfter: Double)] = []
    /// Per client IP: when each invalid request of the window was answered, and until when it is banned.
    var invalidByClient: [String: [ContinuousClock.Instant]] = [:]
    var bannedUntil: [String: ContinuousClock.Instant] = [:]
    var zombies: Set<String> = []
    var revokedTokens: Set<String> = []
    var buckets: [String: (count: Int, resetAt: ContinuousClock.Instant)] = [:]
    var globalWindows: [String: [ContinuousClock.Instant]] = [:]
    public nonisolated let port: Int
    public nonisolated let secure: Bool
    nonisolated let server: HTTPServer

    /// Creates the simulator listening on `host:port` (0 picks a free port). Call `run()`.
    /// With `tls` it serves `https://` and `wss://` (host name `localhost` for certificate checks).
    public init(host: String = "127.0.0.1", port: Int = 0, configuration: Configuration = Configuration(),
                tls: TLSServerContext? = nil, logger: Logger = Logger(label: "discord-sim")) throws {
        self.configuration = configuration
        self.logger = logger
        self.secure = tls != nil
        let router = SimulatorRouter()
        var serverConfiguration = HTTPServer.Configuration()
        serverConfiguration.tls = tls
        let server = try HTTPServer(host: host, port: port, configuration: serverConfiguration, logger: logger, responder: router)
        self.server = server
        self.port = server.port
        router.simulator.set(self)
    }

    /// Serves until `shutdown()`.
    public nonisolated func run() async { await server.run() }

    public func shutdown() async {
        for (_, connection) in connections { connection.socket.abort() }
        await server.shutdown()
    }

    nonisolated var host: String { secure ? "localhost" : "127.0.0.1" }
    public nonisolated var apiBase: String { "\(secure ? "https" : "http")://\(host):\(port)/api/v10" }
    public nonisolated var gatewayURL: String { "\(secure ? "wss" : "ws")://\(host):\(port)/gateway" }
    nonisolated var resumeURL: String { "\(secure ? "wss" : "ws")://\(host):\(port)/resume" }

    // MARK: Bots

    /// Registers a bot with `token`; returns it.
    @discardableResult
    public func addBot(name: String, token: String, approvedIntents: GatewayIntents = .privileged) -> Bot {
        let bot = Bot(name: name, token: token, userID: snowflake(), applicationID: snowflake(), approvedIntents: approvedIntents)
        bots[name] = bot
        byToken[token] = name
        return bot
    }

    public func bot(named name: String) -> Bot? { bots[name] }

    /// Makes a message `milliseconds` older than it is, as if it had been posted that long before.
    @discardableResult
    public func ageMessage(channel: String, id: String, milliseconds: Int64) -> Bool {
        guard let i = messagesByChannel[channel]?.firstIndex(where: { $0.id == id }) else { return false }
        messagesByChannel[channel]![i].backdatedMilliseconds += milliseconds
        return true
    }

    /// Deletes a message, as a moderator would in the client.
    @discardableResult
    public func deleteMessage(channel: String, id: String) -> Bool {
        guard let i = messagesByChannel[channel]?.firstIndex(where: { $0.id == id }) else { return false }
        messagesByChannel[channel]!.remove(at: i)
        return true
    }

    /// Deletes a channel: every later request to it answers 404 Unknown Channel (10003).
    public func deleteChannel(_ channel: String) {
        deletedChannels.insert(channel)
        messagesByChannel[channel] = nil
    }

    /// Makes the gateway refuse `token` (4004) while REST still answers it, as for a token reset mid-flight.
    public func forgetToken(_ token: String) { revokedTokens.insert(token) }

    /// A Discord snowflake for now: milliseconds since the Discord epoch in the top 42 bits
    /// (discord-protocol.md, "Snowflakes"), so a bot can tell an id's age as it would on Discord.
    func snowflake() -> String {
        let id = max(lastSnowflake + 1, Snowflake.make(unixMilliseconds: Snowflake.nowUnixMilliseconds()))
        lastSnowflake = id
        return String(id)
    }

    public func snapshot() -> Stats { stats }

    public func messages(in channel: String) -> [Message] { messagesByChannel[channel] ?? [] }

    public var allMessages: [Message] { messagesByChannel.values.flatMap { $0 } }

    public func commandsRegistered(applicationID: String) -> JSON? { commands[applicationID] }

    func violation(_ bot: String?, _ what: String) {
        let line = "\(bot ?? "?"): \(what)"
        logger.warning("protocol violation", ["what": line])
        stats.violations.append(line)
    }

    // MARK: Dispatching events

    /// Sends a dispatch on the bot's session (buffered for replay while it is disconnected).
    @discardableResult
    func dispatch(bot: String, event: String, data: JSON) -> Bool { dispatch(bot: bot, event: event, serializedData: data.bytes) }

    /// `dispatch` with the data already as `JSON.serialized()` writes it.
    func dispatch(bot: String, event: String, serializedData data: [UInt8]) -> Bool {
        guard let sessionID = currentSession(of: bot), sessions[sessionID] != nil else { return false }
        // Mutated in place: copying the session out would copy its whole replay log on every event.
        sessions[sessionID]!.sequence += 1
        let sequence = sessions[sessionID]!.sequence
        let payload = Self.dispatchPayload(serializedData: data, sequence: sequence, event: event)
        sessions[sessionID]!.log.append((sequence, payload))
        // Keep the last 10,000 for replay; trim in chunks so a busy session does not shift the log on every event.
        if sessions[sessionID]!.log.count > 20_000 { sessions[sessionID]!.log.removeFirst(10_000) }
        if let cid = sessions[sessionID]!.connection, let connection = connections[cid] {
            connection.enqueue(payload)
        }
        return true
    }

    func insertSession(_ session: Session) {
        if let old = sessionOfBot[session.bot] { removeSession(old) }
        sessions[session.id] = session
        sessionOfBot[session.bot] = session.id
    }

    func removeSession(_ id: String) {
        guard let session = sessions.removeValue(forKey: id) else { return }
        if sessionOfBot[session.bot] == id { sessionOfBot[session.bot] = nil }
    }

    /// The session a bot currently has (live or resumable).
    func currentSession(of bot: String) -> String? {
        sessionOfBot[bot]
    }

    /// Injects an INTERACTION_CREATE for a slash command; returns the interaction id.
    /// `ageMilliseconds` makes it an old one, as one replayed after an outage: its id carries the past
    /// creation time and the 3 s response deadline counts from then.
    public func injectInteraction(bot name: String, command: String, options: JSON = [], userID: String = "5001",
                                  guildID: String = "9001", channelID: String = "7001", ageMilliseconds: Int64 = 0) -> String? {
        guard let bot = bots[name] else { return nil }
        let id: String
        if ageMilliseconds > 0 {
            // Random low bits keep backdated ids apart from each other and from the live ones.
            id = String(Snowflake.make(unixMilliseconds: Snowflake.nowUnixMilliseconds() - ageMilliseconds, increment: UInt64.random(in: 0..<(1 << 22))))
        } else {
            id = snowflake()
        }
        let token = "itok-\(id)-\(UInt32.random(in: 0...UInt32.max))"
        interactions[id] = Interaction(id: id, token: token, bot: name, channelID: channelID, sentAt: .now - .milliseconds(ageMilliseconds))
        let data: JSON = [
            "id": .string(id), "application_id": .string(bot.applicationID), "type": 2, "token": .string(token), "version": 1,
            "guild_id": .string(guildID), "channel_id": .string(channelID), "locale": "en-US",
            "member": ["user": ["id": .string(userID), "username": .string("user\(userID)"), "discriminator": "0"], "permissions": "2147483647"],
            "data": ["id": .string(snowflake()), "name": .string(command), "type": 1, "options": options],
        ]
        interactions[id]?.event = data
        guard dispatch(bot: name, event: "INTERACTION_CREATE", data: data) else { return nil }
        return id
    }

    /// Dispatches an earlier INTERACTION_CREATE again, same id and token, with a new sequence number: what a
    /// bot sees when it resumes from a position older than an event it already handled.
    @discardableResult
    public func replayInteraction(id: String) -> Bool {
        guard let interaction = interactions[id], interaction.event != .null else { return false }
        return dispatch(bot: interaction.bot, event: "INTERACTION_CREATE", data: interaction.event)
    }

    /// Sends any dispatch event on the bot's session (unknown events test robustness).
    @discardableResult
    public func injectEvent(bot: String, name: String, data: JSON) -> Bool { dispatch(bot: bot, event: name, data: data) }

    // MARK: Faults

    /// Sends op 7 (reconnect) on the bot's live connection.
    public func sendReconnect(bot: String) { liveConnection(of: bot)?.enqueue(GatewayPayload(op: .reconnect).serialized()) }

    /// Sends op 9 (invalid session); not resumable invalidates the session.
    public func sendInvalidSession(bot: String, resumable: Bool) {
        guard let c = liveConnection(of: bot) else { return }
        if !resumable, let sid = currentSession(of: bot) { removeSession(sid) }
        c.enqueue(GatewayPayload(op: .invalidSession, d: .bool(resumable)).serialized())
    }

    /// Closes the bot's live connection with `code`.
    public func close(bot: String, code: Int) {
        guard let c = liveConnection(of: bot) else { return }
        if GatewayCloseCode(rawValue: code).requiresNewSession || GatewayCloseCode(rawValue: code).isFatal,
           let sid = currentSession(of: bot) { removeSession(sid) }
        c.closeWith(code: code)
    }

    /// Sends raw text on the bot's live connection (malformed payloads for robustness tests).
    public func sendRaw(bot: String, text: String) { liveConnection(of: bot)?.enqueue(text) }

    /// Drops the bot's TCP connection without a close frame.
    public func dropConnection(bot: String) { liveConnection(of: bot)?.socket.abort() }

    /// Stops (or resumes) acknowledging the bot's heartbeats.
    public func setZombie(bot: String, _ on: Bool) {
        if on { zombies.insert(bot) } else { zombies.remove(bot) }
    }

    /// The next `count` REST calls answer `status` (429 or 5xx).
    /// The next `count` REST calls answer `status` (a 429 says `retryAfter` seconds).
    public func failNextRESTCalls(status: Int, count: Int, retryAfter: Double = 0.25) { forcedFailures.append((status, count, retryAfter)) }

    func liveConnection(of bot: String) -> GatewayConnection? {
        connections.values.first { $0.bot == bot && $0.sessionID != nil }
    }

    public var liveConnectionCount: Int { connections.values.filter { $0.sessionID != nil }.count }
}
