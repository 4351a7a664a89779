import Discord
import IOCore
import Synchronization
import WebSocket

/// One client connection to the simulated gateway: an outgoing queue drained
/// by a writer task, and what the simulator knows about the client.
final class GatewayConnection: Sendable {
    let id: UInt64
    let socket: WebSocketConnection
    let viaResumeURL: Bool
    /// What is queued for the writer, and a doorbell that rings (at most once while unheard) when there is more.
    private let outgoing = Mutex<[Outgoing]>([])
    private let doorbell: AsyncStream<Void>.Continuation
    let rings: AsyncStream<Void>
    private let state = Mutex<State>(State())

    enum Outgoing: Sendable {
        case text(String)
        case close(Int)
    }

    struct State {
        var bot: String?
        var sessionID: String?
        var lastHeartbeat: ContinuousClock.Instant?
        var sends: [ContinuousClock.Instant] = []
    }

    init(id: UInt64, socket: WebSocketConnection, viaResumeURL: Bool) {
        self.id = id
        self.socket = socket
        self.viaResumeURL = viaResumeURL
        (rings, doorbell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func enqueue(_ payload: String) { push(.text(payload)) }
    func closeWith(code: Int) { push(.close(code)) }
    /// Ends the writer once it has taken what is queued.
    func finish() { doorbell.finish() }

    private func push(_ item: Outgoing) {
        outgoing.withLock { $0.append(item) }
        doorbell.yield()
    }

    /// Everything queued since the last call, in order.
    func takeQueued() -> [Outgoing] {
        outgoing.withLock { queued in
            defer { queued = [] }
            return queued
        }
    }

    var bot: String? { state.withLock { $0.bot } }
    var sessionID: String? { state.withLock { $0.sessionID } }

    func attach(bot: String, session: String) {
        state.withLock {
            $0.bot = bot
            $0.sessionID = session
        }
    }

    func detach() { state.withLock { $0.sessionID = nil } }

    /// Records a heartbeat; returns the time since the previous one (or since Hello).
    func heartbeat(now: ContinuousClock.Instant, helloAt: ContinuousClock.Instant) -> Duration {
        state.withLock {
            let since = now - ($0.lastHeartbeat ?? helloAt)
            $0.lastHeartbeat = now
            return since
        }
    }

    /// Counts a client send; returns how many fell in the last 60 s.
    func countSend(now: ContinuousClock.Instant) -> Int {
        state.withLock {
            $0.sends.removeAll { now - $0 >= GatewayLimits.sendWindow }
            $0.sends.append(now)
            return $0.sends.count
        }
    }
}

extension DiscordSimulator {
    /// Serves one gateway WebSocket (from the HTTP upgrade).
    nonisolated func serveGateway(_ socket: WebSocketConnection, viaResumeURL: Bool) async {
        let connection = await register(socket: socket, viaResumeURL: viaResumeURL)
        let helloAt = ContinuousClock.now
        connection.enqueue(GatewayPayload(op: .hello, d: ["heartbeat_interval": .number(Double(configuration.heartbeatInterval.milliseconds))]).serialized())
        await withTaskGroup(of: Void.self) { group in
            // The writer drains everything queued (a close frame last) and then drops the connection,
            // which also wakes the reader; the reader ending finishes the queue.
            group.addTask {
                defer { socket.abort() }
                for await _ in connection.rings {
                    // What was queued meanwhile goes out in one write, as a server's socket buffer would send a
                    // burst anyway: the same frames, one system call (issue 16: a write per event was a tenth of the
                    // dispatch benchmark's CPU).
                    var wire: [UInt8] = []
                    for item in connection.takeQueued() {
                        switch item {
                        case .text(let payload):
                            wire += WebSocketFrame(opcode: .text, payload: Array(payload.utf8)).encoded()
                        case .close(let code):
                            if !wire.isEmpty { do { try await socket.send(encoded: wire, deadline: .now + .seconds(10)) } catch { return } }
                            await socket.close(code: WebSocketCloseCode(UInt16(code)), reason: GatewayCloseCode(rawValue: code).meaning)
                            return
                        }
                    }
                    if !wire.isEmpty { do { try await socket.send(encoded: wire, deadline: .now + .seconds(10)) } catch { return } }
                }
            }
            group.addTask {
                await self.readLoop(connection, helloAt: helloAt)
                connection.finish()
            }
            await group.waitForAll()
        }
        await unregister(connection, closeCode: await socket.closeCode)
    }

    private func register(socket: WebSocketConnection, viaResumeURL: Bool) -> GatewayConnection {
        let id = nextConnectionID
        nextConnectionID += 1
        let c = GatewayConnection(id: id, socket: socket, viaResumeURL: viaResumeURL)
        connections[id] = c
        return c
    }

    private func unregister(_ connection: GatewayConnection, closeCode: WebSocketCloseCode?) {
        connections[connection.id] = nil
        guard let bot = connection.bot else { return }
        if let code = closeCode { stats.closeCodesReceived[bot, default: []].append(Int(code.rawValue)) }
        guard let sid = connection.sessionID, var session = sessions[sid], session.connection == connection.id else { return }
        // A client close with 1000/1001 ends the session; anything else keeps it resumable (D-GW).
        if let code = closeCode, code == .normal || code == .goingAway {
            removeSession(sid)
            return
        }
        session.connection = nil
        session.disconnectedAt = .now
        sessions[sid] = session
    }

    private nonisolated func readLoop(_ connection: GatewayConnection, helloAt: ContinuousClock.Instant) async {
        let interval = configuration.heartbeatInterval
        while true {
            let identified = connection.sessionID != nil
            // Before Identify: the identify deadline. After: a heartbeat is due every interval, plus the grace.
            let grace = configuration.heartbeatGrace ?? interval / 2 + .seconds(2)
            let deadline: Deadline = identified ? .now + interval + grace : helloAt + configuration.identifyTimeout
            let message: WebSocketMessage
            do {
                message = try await connection.socket.receive(deadline: deadline)
            } catch is DeadlineExceeded {
                await violation(connection.bot, identified ? "no heartbeat for \(interval + grace)" : "no identify in time")
                connection.closeWith(code: identified ? 4009 : 4003)
                if identified, let sid = connection.sessionID { await dropSession(sid) }
                return
            } catch {
                return
            }
            guard case .text(let text) = message else {
                await violation(connection.bot, "binary frame with encoding=json")
                connection.closeWith(code: 4002)
                return
            }
            let bytes = Array(text.utf8)
            if bytes.count > GatewayLimits.maximumPayloadBytes {
                await violation(connection.bot, "payload of \(bytes.count) bytes (limit 4096)")
                connection.closeWith(code: 4002)
                return
            }
            if connection.countSend(now: .now) > GatewayLimits.sendsPerWindow {
                await violation(connection.bot, "more than 120 sends in 60 s")
                connection.closeWith(code: 4008)
                return
            }
            let payload: GatewayPayload
            do { payload = try GatewayPayload.parse(bytes) } catch {
                await violation(connection.bot, "undecodable payload: \(error)")
                connection.closeWith(code: 4002)
                return
            }
            guard await handle(payload, on: connection, helloAt: helloAt) else { return }
        }
    }

    func dropSession(_ id: String) { removeSession(id) }

    /// Handles one client payload; false when the connection is being closed.
    private func handle(_ payload: GatewayPayload, on connection: GatewayConnection, helloAt: ContinuousClock.Instant) -> Bool {
        let now = ContinuousClock.now
        switch payload.op {
        case .heartbeat:
            let since = connection.heartbeat(now: now, helloAt: helloAt)
            let interval = configuration.heartbeatInterval
            if since > interval + interval / 4 + .milliseconds(500) {
                let line = "\(connection.bot ?? "?"): late heartbeat: \(since) after the previous one (interval \(interval))"
                logger.info("late heartbeat", ["what": line])
                stats.lateHeartbeats.append(line)
            }
            if let bot = connection.bot, zombies.contains(bot) { return true }
            connection.enqueue(GatewayPayload(op: .heartbeatACK).serialized())
            return true

        case .identify:
            if connection.sessionID != nil {
                violation(connection.bot, "identify while a session is live on this connection")
                connection.closeWith(code: 4005)
                return false
            }
            guard let token = payload.d["token"]?.string, !revokedTokens.contains(token), let name = byToken[token], let bot = bots[name] else {
                if let token = payload.d["token"]?.string, let name = byToken[token] { stats.identifies[name, default: 0] += 1 }
                connection.closeWith(code: 4004)
                return false
            }
            stats.identifies[name, default: 0] += 1
            guard let intentBits = payload.d["intents"]?.double.map({ UInt64($0) }), payload.d["properties"]?.object != nil else {
                connection.closeWith(code: 4002)
                return false
            }
            // A shard must be [shard_id, num_shards] with id < count; we recommend and accept one shard (D-OP 4010/4011).
            if let shard = payload.d["shard"] {
                guard let pair = shard.array, pair.count == 2, let id = pair[0].int, let count = pair[1].int, count >= 1, (0..<count).contains(id) else {
                    connection.closeWith(code: 4010)
                    return false
                }
                guard count == 1 else {
                    connection.closeWith(code: 4011)
                    return false
                }
            }
            let intents = GatewayIntents(rawValue: intentBits)
            guard GatewayIntents.allKnown.isSuperset(of: intents) else {
                connection.closeWith(code: 4013)
                return false
            }
            guard bot.approvedIntents.isSuperset(of: intents.intersection(.privileged)) else {
                connection.closeWith(code: 4014)
                return false
            }
            // max_concurrency identifies per 5 s (D-GW "Rate Limiting"): beyond it, op 9.
            var times = identifyTimes[name, default: []].filter { now - $0 < .seconds(5) }
            guard times.count < configuration.maxConcurrency else {
                violation(name, "identify rate limit exceeded")
                connection.enqueue(GatewayPayload(op: .invalidSession, d: false).serialized())
                return true
            }
            guard sessionStarts[name, default: 0] < configuration.sessionStartLimit else {
                violation(name, "session start limit exhausted")
                connection.enqueue(GatewayPayload(op: .invalidSession, d: false).serialized())
                return true
            }
            times.append(now)
            identifyTimes[name] = times
            sessionStarts[name, default: 0] += 1
            if let old = currentSession(of: name) {
                if let cid = sessions[old]?.connection, cid != connection.id, let other = connections[cid] {
                    violation(name, "identify while another session is live")
                    other.closeWith(code: 4009)
                }
                removeSession(old)
            }
            let sid = "sess-\(snowflake())"
            insertSession(Session(id: sid, bot: name, connection: connection.id, intents: intentBits))
            connection.attach(bot: name, session: sid)
            stats.connectionsOpened[name, default: 0] += 1
            let guildIDs = (0..<configuration.guildsPerBot).map { "90\($0 + 1)" }
            dispatch(bot: name, event: "READY", data: [
                "v": 10, "session_id": .string(sid), "resume_gateway_url": .string(resumeURL),
                "user": ["id": .string(bot.userID), "username": .string(bot.name), "discriminator": "0", "bot": true],
                "application": ["id": .string(bot.applicationID), "flags": 0],
                "guilds": .array(guildIDs.map { ["id": .string($0), "unavailable": true] }),
            ])
            for gid in guildIDs {
                dispatch(bot: name, event: "GUILD_CREATE", data: [
                    "id": .string(gid), "name": .string("Guild \(gid)"), "member_count": 42, "large": false,
                    "channels": [["id": "7001", "name": "general", "type": 0]], "members": [], "threads": [], "presences": [],
                    "voice_states": [], "joined_at": "2026-01-01T00:00:00.000000+00:00",
                ])
            }
            return true

        case .resume:
            guard let sid = payload.d["session_id"]?.string, let token = payload.d["token"]?.string,
                  var session = sessions[sid], byToken[token] == session.bot else {
                connection.enqueue(GatewayPayload(op: .invalidSession, d: false).serialized())
                return true
            }
            if let at = session.disconnectedAt, now - at > configuration.resumeWindow {
                removeSession(sid)
                connection.enqueue(GatewayPayload(op: .invalidSession, d: false).serialized())
                return true
            }
            let name = session.bot
            stats.resumes[name, default: 0] += 1
            if connection.viaResumeURL { stats.resumesViaResumeURL[name, default: 0] += 1 }
            if let cid = session.connection, cid != connection.id, let other = connections[cid] {
                // The old connection is superseded (a replacement process resumed it).
                other.detach()
                other.socket.abort()
            }
            let from = payload.d["seq"]?.int ?? 0
            guard from <= session.sequence else {
                connection.closeWith(code: 4007)
                removeSession(sid)
                return false
            }
            session.connection = connection.id
            session.disconnectedAt = nil
            sessions[sid] = session
            connection.attach(bot: name, session: sid)
            stats.connectionsOpened[name, default: 0] += 1
            // Replay what the client missed, in order, then RESUMED (D-GW "Resuming").
            for entry in session.log where entry.seq > from { connection.enqueue(entry.payload) }
            dispatch(bot: name, event: "RESUMED", data: [:])
            return true

        case .presenceUpdate, .voiceStateUpdate, .requestGuildMembers:
            guard connection.sessionID != nil else {
                connection.closeWith(code: 4003)
                return false
            }
            return true

        default:
            violation(connection.bot, "unknown opcode \(payload.op.rawValue)")
            connection.closeWith(code: 4001)
            return false
        }
    }
}
