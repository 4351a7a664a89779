import Discord
import IOCore
import IPC
import JSON
import Logging
import TLS
import WebSocket

/// What the gateway driver reports to the bot runtime.
public protocol GatewayEvents: Sendable {
    /// `data` is parsed as far as it is read.
    func dispatch(name: String, data: LazyJSON) async
    func status(_ status: GatewaySession.Status) async
    func sessionChanged(_ snapshot: SessionState?) async
    func heartbeatAcknowledged(rtt: Duration) async
    func reconnected(resumed: Bool) async
}

/// Performs the `GatewaySession` state machine's actions over a real
/// WebSocket: connects, reads, writes within the send limits, and runs the
/// timers. Inputs from stale connections and timers carry a generation and
/// are dropped.
public actor GatewayDriver {
    enum Event: Sendable {
        case input(GatewaySession.Input)
        case opened(UInt64, WebSocketConnection)
        case connectFailed(UInt64, String)
        case gatewayURL(UInt64, String)
        /// `GET /gateway/bot` answered 401: the token is refused, as with close code 4004.
        case unauthorized(UInt64)
        /// Payloads in the order they arrived: a backlog goes in one event, not one each (issue 16).
        case received(UInt64, [GatewayPayload])
        case closed(UInt64, Int?)
        case heartbeatDue(UInt64)
        case delayElapsed(UInt64)
    }

    private var session: GatewaySession
    private let tls: TLSConfiguration
    private let events: any GatewayEvents
    private let logger: Logger
    private let fetchGatewayURL: @Sendable () async -> GatewayURLResult
    private var socket: WebSocketConnection?
    private var connectionGeneration: UInt64 = 0
    private var timerGeneration: UInt64 = 0
    private var delayGeneration: UInt64 = 0
    private var limiter = GatewaySendLimiter()
    private let stream: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private var resumedBefore = false
    /// Set when Discord refused the session for good.
    public private(set) var fatal: (code: Int, message: String)?

    /// What `GET /gateway/bot` gave.
    public enum GatewayURLResult: Sendable {
        case url(String)
        case unauthorized
        case failed(String)
    }

    /// `fetchGatewayURL` runs only when the session must identify and was started without a URL.
    public init(session: GatewaySession, tls: TLSConfiguration, events: any GatewayEvents, logger: Logger,
                fetchGatewayURL: @escaping @Sendable () async -> GatewayURLResult = { .failed("no gateway URL source") }) {
        self.session = session
        self.tls = tls
        self.events = events
        self.logger = logger
        self.fetchGatewayURL = fetchGatewayURL
        (stream, continuation) = AsyncStream.makeStream(of: Event.self)
    }

    /// Feeds an input from outside (stop).
    public nonisolated func send(_ input: GatewaySession.Input) { continuation.yield(.input(input)) }

    /// Runs until the session stops or fails; returns the fatal close, if any.
    public func run(gatewayURL: String?) async -> (code: Int, message: String)? {
        continuation.yield(.input(.start(gatewayURL: gatewayURL)))
        await withDiscardingTaskGroup { group in
            loop: for await event in stream {
                let input: GatewaySession.Input
                switch event {
                case .input(let i): input = i
                case .opened(let gen, let ws):
                    guard gen == connectionGeneration else { ws.abort(); continue }
                    socket = ws
                    limiter = GatewaySendLimiter()
                    startReader(ws, generation: gen, group: &group)
                    input = .connected
                case .connectFailed(let gen, let why):
                    guard gen == connectionGeneration else { continue }
                    logger.warning("gateway connection failed", ["error": why])
                    input = .connectFailed
                case .gatewayURL(let gen, let url):
                    guard gen == connectionGeneration else { continue }
                    input = .gatewayURL(url)
                case .unauthorized(let gen):
                    guard gen == connectionGeneration else { continue }
                    fatal = (4004, "GET /gateway/bot answered 401: the token is invalid")
                    logger.critical("GET /gateway/bot answered 401: the token is invalid")
                    input = .stop(handover: false)
                case .received(let gen, let payloads):
                    // One at a time, each checked: a payload may end its connection, and those after it then
                    // belong to an old one.
                    for payload in payloads where gen == connectionGeneration && fatal == nil {
                        await step(.received(payload), group: &group)
                    }
                    if fatal != nil { break loop }
                    continue
                case .closed(let gen, let code):
                    guard gen == connectionGeneration else { continue }
                    socket = nil
                    logger.info("gateway connection closed", ["code": code.map(String.init) ?? "none (TCP drop)"])
                    input = .disconnected(closeCode: code)
                case .heartbeatDue(let gen):
                    guard gen == timerGeneration else { continue }
                    input = .heartbeatDue
                case .delayElapsed(let gen):
                    guard gen == delayGeneration else { continue }
                    input = .delayElapsed
                }
                await step(input, group: &group)
                if fatal != nil { break }
                if case .input(.stop) = event { break }
            }
            continuation.finish()
            group.cancelAll()
        }
        return fatal
    }

    /// Feeds one input to the session and performs its actions.
    private func step(_ input: GatewaySession.Input, group: inout DiscardingTaskGroup) async {
        // Only connection changes and timers draw on the random number: a dispatch does not pay for the
        // system generator (issue 16).
        var random = 0.0
        if case .received(let payload) = input, payload.op == .dispatch {} else { random = Double.random(in: 0..<1) }
        for action in session.handle(input, now: .now, random: random) { await perform(action, group: &group) }
    }

    private func startReader(_ ws: WebSocketConnection, generation: UInt64, group: inout DiscardingTaskGroup) {
        let events = continuation, log = logger
        group.addTask {
            while true {
                do {
                    var payloads: [GatewayPayload] = []
                    for message in try await ws.receiveAvailable(limit: 64) {
                        guard case .text(let text) = message else { continue }
                        do {
                            payloads.append(try GatewayPayload.parse(Array(text.utf8)))
                        } catch {
                            // A bad payload from the server is logged and survived.
                            log.warning("undecodable gateway payload ignored", ["error": error, "bytes": text.utf8.count])
                        }
                    }
                    if !payloads.isEmpty { events.yield(.received(generation, payloads)) }
                } catch let closed as WebSocketClosed {
                    events.yield(.closed(generation, closed.code == .abnormalClosure ? nil : Int(closed.code.rawValue)))
                    return
                } catch {
                    events.yield(.closed(generation, nil))
                    return
                }
            }
        }
    }

    private func perform(_ action: GatewaySession.Action, group: inout DiscardingTaskGroup) async {
        switch action {
        case .connect(let url):
            connectionGeneration += 1
            timerGeneration += 1
            let gen = connectionGeneration, events = continuation, tls = self.tls
            socket?.abort()
            socket = nil
            group.addTask {
                do {
                    let ws = try await WebSocketClient.connect(url: url, tls: tls, maximumMessageSize: 16 << 20, deadline: .now + .seconds(15))
                    events.yield(.opened(gen, ws))
                } catch {
                    events.yield(.connectFailed(gen, "\(error)"))
                }
            }
        case .fetchGatewayURL:
            connectionGeneration += 1
            let gen = connectionGeneration, events = continuation, fetch = fetchGatewayURL
            group.addTask {
                switch await fetch() {
                case .url(let url): events.yield(.gatewayURL(gen, url))
                case .unauthorized: events.yield(.unauthorized(gen))
                case .failed(let why): events.yield(.connectFailed(gen, why))
                }
            }
        case .send(let text):
            guard let socket else { return }
            do {
                try GatewaySendLimiter.check(size: text.utf8.count)
            } catch {
                logger.error("refusing to send a gateway payload over 4096 bytes", ["bytes": text.utf8.count])
                return
            }
            // Heartbeats take the reserved slots and never wait; identify and resume wait for an ordinary one
            // (120 sends per 60 s per connection, discord-protocol.md §1.10).
            let isHeartbeat = (try? GatewayPayload.parse(Array(text.utf8)))?.op == .heartbeat
            let at = limiter.reserve(now: .now, priority: isHeartbeat)
            if at > .now {
                logger.warning("gateway send limit reached; waiting", ["wait_ms": (at - .now).components.seconds * 1000])
                do { try await Reactor.shared.sleep(until: at) } catch { return }
            }
            // The connection may have changed while we waited: the payload belonged to the old one.
            guard let current = self.socket, current === socket else { return }
            do { try await socket.send(text: text, deadline: .now + .seconds(10)) } catch {
                logger.warning("gateway send failed", ["error": error])
            }
        case .close(let code):
            guard let socket else { return }
            group.addTask { await socket.close(code: WebSocketCloseCode(UInt16(code)), reason: "", deadline: .now + .seconds(2)) }
        case .abort:
            socket?.abort()
        case .scheduleHeartbeat(let at):
            timerGeneration += 1
            let gen = timerGeneration, events = continuation
            group.addTask {
                do { try await Reactor.shared.sleep(until: at) } catch { return }
                events.yield(.heartbeatDue(gen))
            }
        case .wait(let until):
            delayGeneration += 1
            let gen = delayGeneration, events = continuation
            group.addTask {
                do { try await Reactor.shared.sleep(until: until) } catch { return }
                events.yield(.delayElapsed(gen))
            }
        case .dispatch(let name, let data):
            if name == "RESUMED" { await events.reconnected(resumed: true) }
            if name == "READY" && resumedBefore { await events.reconnected(resumed: false) }
            if name == "READY" { resumedBefore = true }
            await events.dispatch(name: name, data: data)
        case .status(let status):
            await events.status(status)
        case .sessionChanged(let snapshot):
            await events.sessionChanged(snapshot)
        case .heartbeatAcknowledged(let rtt):
            await events.heartbeatAcknowledged(rtt: rtt)
        case .fatal(let code, let message):
            logger.critical(message, ["close_code": code])
            fatal = (code, message)
        }
    }
}
