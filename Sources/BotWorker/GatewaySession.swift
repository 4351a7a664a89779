import Discord
import IPC
import JSON

/// The gateway client as a plain state machine (docs/discord-protocol.md §1): it
/// takes inputs (connection events, payloads, timers) with the current time
/// and returns the actions the I/O code performs. It never touches a socket.
public struct GatewaySession: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// What the session tells the supervisor it is doing.
    /// The session's status is what the worker reports to the supervisor.
    public typealias Status = GatewayStatus

    public enum Input: Sendable {
        /// Begin with the URL from `GET /gateway/bot`; nil when a resumable session makes it needless
        /// (a resume goes to the session's `resume_gateway_url`): the session asks for it with
        /// `.fetchGatewayURL` only if it must identify.
        case start(gatewayURL: String?)
        /// The URL `.fetchGatewayURL` asked for (a failed fetch is `.connectFailed`).
        case gatewayURL(String)
        case connected
        /// The connection attempt failed (refused, TLS, timeout).
        case connectFailed
        case received(GatewayPayload)
        /// The connection ended: the close code, or nil for a TCP drop without a close frame.
        case disconnected(closeCode: Int?)
        case heartbeatDue
        case delayElapsed
        /// Stop. With `handover` the session stays resumable for a replacement process.
        case stop(handover: Bool)
    }

    public enum Action: Sendable, Equatable {
        case connect(url: String)
        /// Get the gateway URL (`GET /gateway/bot`) and feed `.gatewayURL`, or `.connectFailed`.
        case fetchGatewayURL
        case send(String)
        /// Close the connection with this code (then feed `.disconnected`).
        case close(code: Int)
        /// Drop the TCP connection without a close frame (keeps the session resumable).
        case abort
        case scheduleHeartbeat(at: Instant)
        /// Feed `.delayElapsed` at this time.
        case wait(until: Instant)
        /// The event's data is read lazily: the runtime routes most dispatches on a few members.
        case dispatch(name: String, data: LazyJSON)
        case status(Status)
        case sessionChanged(SessionState?)
        case heartbeatAcknowledged(rtt: Duration)
        /// Discord refused the session for good: exit with `exitCode`, never retry.
        case fatal(code: Int, message: String)
    }

    enum Phase: Equatable {
        case idle
        /// Waiting for the gateway URL (`.fetchGatewayURL`) before identifying.
        case fetchingURL
        case connecting(resume: Bool)
        case awaitingHello(resume: Bool)
        case identifying
        case resuming
        case ready
        /// Waiting before the next connection attempt.
        case waiting(resume: Bool)
        case stopped
        case failed
    }

    public let token: String
    public let intents: UInt64
    private(set) var phase: Phase = .idle
    private var gatewayURL: String?
    private var session: SessionState?
    private var heartbeatInterval: Duration?
    private var awaitingACK = false
    private var lastHeartbeatSent: Instant?
    private var failedConnects = 0
    /// A close we asked for: its disconnect should resume (zombie, op 7, op 9 true) or identify.
    private var closeFollowUp: FollowUp?
    private var stopping = false
    /// When we last sent Identify: `max_concurrency` 1 allows one per 5 s (docs/discord-protocol.md §1.5).
    private var lastIdentifyAt: Instant?
    public static let identifySpacing = GatewayLimits.identifySpacing

    enum FollowUp { case resume, identifyAfterDelay }

    public var currentSession: SessionState? { session }

    /// `lastIdentifyAt`: when this bot last identified, if another process did it
    /// (the supervisor tells a new worker): the first identify keeps the 5 s spacing.
    public init(token: String, intents: UInt64, session: SessionState? = nil, lastIdentifyAt: Instant? = nil) {
        self.token = token
        self.intents = intents
        self.session = session
        self.lastIdentifyAt = lastIdentifyAt
    }

    /// `{url}/?v=10&encoding=json` (docs/discord-protocol.md §1.2); resume URLs get the same parameters.
    static func connectURL(_ base: String) -> String {
        if base.contains("?") { return base + "&v=10&encoding=json" }
        return (base.hasSuffix("/") ? base : base + "/") + "?v=10&encoding=json"
    }

    public mutating func handle(_ input: Input, now: Instant, random: Double) -> [Action] {
        switch input {
        case .start(let url):
            gatewayURL = url
            if session == nil, let last = lastIdentifyAt, last + GatewaySession.identifySpacing > now {
                phase = .waiting(resume: false)
                return [.status(.connecting), .wait(until: last + GatewaySession.identifySpacing)]
            }
            return connect(resume: session != nil)

        case .gatewayURL(let url):
            guard phase == .fetchingURL else { return [] }
            gatewayURL = url
            return connect(resume: false)

        case .connected:
            guard case .connecting(let resume) = phase else { return [] }
            phase = .awaitingHello(resume: resume)
            return []

        case .connectFailed:
            if phase == .fetchingURL { return retryLater(resume: false, now: now, random: random) }
            guard case .connecting(let resume) = phase else { return [] }
            return retryLater(resume: resume, now: now, random: random)

        case .received(let payload):
            return received(payload, now: now, random: random)

        case .heartbeatDue:
            guard let interval = heartbeatInterval, isConnected else { return [] }
            if awaitingACK {
                // Zombie (D-GW): no ACK since the last heartbeat. Close with a non-1000 code so the session stays resumable.
                awaitingACK = false
                heartbeatInterval = nil
                closeFollowUp = .resume
                return [.close(code: 4000)]
            }
            awaitingACK = true
            lastHeartbeatSent = now
            return [.send(heartbeatPayload()), .scheduleHeartbeat(at: now + interval)]

        case .delayElapsed:
            guard case .waiting(let resume) = phase else { return [] }
            return connect(resume: resume && session != nil)

        case .disconnected(let code):
            heartbeatInterval = nil
            awaitingACK = false
            if stopping || phase == .stopped || phase == .failed { return [] }
            if let code, GatewayCloseCode(rawValue: code).isFatal {
                phase = .failed
                let meaning = GatewayCloseCode(rawValue: code).meaning
                return [.status(.failed), .fatal(code: code, message: "Discord closed the gateway with \(code) (\(meaning)); not reconnecting")]
            }
            let followUp = closeFollowUp
            closeFollowUp = nil
            if let code, GatewayCloseCode(rawValue: code).requiresNewSession {
                // 4007/4009: start a new session, after a random 1-5 s wait (docs/discord-protocol.md §1.8).
                return invalidateSession() + waitThenConnect(resume: false, now: now, random: random)
            }
            if followUp == .identifyAfterDelay || session == nil {
                return waitThenConnect(resume: false, now: now, random: random)
            }
            // Op 7, op 9 true, zombie, reconnectable codes and bare TCP drops: resume via resume_gateway_url.
            return connect(resume: true)

        case .stop(let handover):
            stopping = true
            let wasConnected = isConnected
            phase = .stopped
            heartbeatInterval = nil
            var actions: [Action] = [.status(.stopped)]
            if handover {
                // No close frame: a 1000/1001 close would invalidate the session (docs/discord-protocol.md §1.7).
                if wasConnected { actions.append(.abort) }
            } else {
                if wasConnected { actions.append(.close(code: 1000)) }
                actions += invalidateSession()
            }
            return actions
        }
    }

    private var isConnected: Bool {
        switch phase {
        case .awaitingHello, .identifying, .resuming, .ready: true
        default: false
        }
    }

    private mutating func received(_ payload: GatewayPayload, now: Instant, random: Double) -> [Action] {
        guard isConnected else { return [] }
        switch payload.op {
        case .hello:
            guard case .awaitingHello(let resume) = phase, let ms = payload.d["heartbeat_interval"]?.double, ms > 0 else { return [] }
            let interval = Duration.milliseconds(Int64(ms))
            heartbeatInterval = interval
            awaitingACK = false
            // First heartbeat after interval x jitter (D-GW), then every interval.
            var actions: [Action] = [.scheduleHeartbeat(at: now + interval * random)]
            if resume, let session {
                phase = .resuming
                actions.append(.send(GatewayPayload(op: .resume, d: ["token": .string(token), "session_id": .string(session.sessionID),
                                                                    "seq": session.sequence.map { .number(Double($0)) } ?? .null]).serialized()))
            } else {
                phase = .identifying
                lastIdentifyAt = now
                actions.append(.send(identifyPayload()))
            }
            return actions

        case .heartbeatACK:
            awaitingACK = false
            guard let sent = lastHeartbeatSent else { return [] }
            return [.heartbeatAcknowledged(rtt: now - sent)]

        case .heartbeat:
            // The server asks for a heartbeat now (D-EV).
            lastHeartbeatSent = now
            return [.send(heartbeatPayload())]

        case .reconnect:
            closeFollowUp = .resume
            return [.close(code: 4000)]

        case .invalidSession:
            if payload.d.bool == true, session != nil {
                closeFollowUp = .resume
                return [.close(code: 4000)]
            }
            // Not resumable: identify again on a fresh connection, after a random 1-5 s wait.
            closeFollowUp = .identifyAfterDelay
            return invalidateSession() + [.close(code: 4000)]

        case .dispatch:
            var actions: [Action] = []
            if let s = payload.s, var snapshot = session {
                snapshot.sequence = s
                session = snapshot
            }
            var nowReady = false
            switch payload.t {
            case "READY":
                guard let id = payload.data["session_id"]?.string, let url = payload.data["resume_gateway_url"]?.string else { break }
                session = SessionState(sessionID: id, resumeURL: url, sequence: payload.s)
                phase = .ready
                failedConnects = 0
                nowReady = true
            case "RESUMED":
                phase = .ready
                failedConnects = 0
                nowReady = true
            default:
                break
            }
            // The position first: whoever sees `ready` already holds the session it would resume.
            if payload.s != nil || payload.t == "READY" { actions.append(.sessionChanged(session)) }
            if nowReady { actions.append(.status(.ready)) }
            if let name = payload.t { actions.append(.dispatch(name: name, data: payload.data)) }
            return actions

        default:
            return []
        }
    }

    private mutating func connect(resume: Bool) -> [Action] {
        let url: String
        if resume, let session {
            url = session.resumeURL
        } else if let gatewayURL {
            url = gatewayURL
        } else {
            phase = .fetchingURL
            return [.status(.connecting), .fetchGatewayURL]
        }
        phase = .connecting(resume: resume && session != nil)
        return [.status(resume && session != nil ? .resuming : .connecting), .connect(url: GatewaySession.connectURL(url))]
    }

    private mutating func waitThenConnect(resume: Bool, now: Instant, random: Double) -> [Action] {
        phase = .waiting(resume: resume)
        var until = now + .milliseconds(Int64(1000 + 4000 * random))
        // Never identify twice within 5 s: that would only earn another op 9.
        if !resume, let last = lastIdentifyAt, last + GatewaySession.identifySpacing > until {
            until = last + GatewaySession.identifySpacing
        }
        return [.status(.connecting), .wait(until: until)]
    }

    /// Exponential backoff for failing connection attempts: 1 s, 2 s, 4 s ... 60 s, with jitter.
    private mutating func retryLater(resume: Bool, now: Instant, random: Double) -> [Action] {
        failedConnects += 1
        let base = min(60.0, Double(1 << min(failedConnects - 1, 6)))
        phase = .waiting(resume: resume)
        return [.wait(until: now + .milliseconds(Int64(base * (0.5 + 0.5 * random) * 1000)))]
    }

    private mutating func invalidateSession() -> [Action] {
        guard session != nil else { return [] }
        session = nil
        return [.sessionChanged(nil)]
    }

    private func heartbeatPayload() -> String {
        GatewayPayload(op: .heartbeat, d: session?.sequence.map { .number(Double($0)) } ?? .null).serialized()
    }

    private func identifyPayload() -> String {
        GatewayPayload(op: .identify, d: [
            "token": .string(token),
            "intents": .number(Double(intents)),
            "properties": ["os": "linux", "browser": "botvisor", "device": "botvisor"],
        ]).serialized()
    }
}
