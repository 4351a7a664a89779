import Glibc
import IOCore
import IPC
import Logging

/// The worker's side of the IPC connection to botvisord: hello, the welcome
/// carrying the configuration and token, heartbeats, state and metrics
/// reports, session state for resume, and command records kept until the
/// supervisor acknowledges them (resent after a reconnect, deduplicated there).
public actor SupervisorLink {
    public let socketPath: String
    public let bot: String
    private let logger: Logger
    private var connection: IPCConnection?
    /// Records sent or waiting to be sent, not yet acknowledged, in order.
    private var unacknowledged: [CommandRecord] = []
    private var sentIDs: Set<String> = []
    private var lastState: StateReport?
    private var lastSession: SessionState?

    public init(socketPath: String, bot: String, logger: Logger) {
        self.socketPath = socketPath
        self.bot = bot
        self.logger = logger
    }

    /// Connects, says hello and returns the configuration from the welcome.
    public func connect(timeout: Duration = .seconds(10)) async throws -> WorkerConfig {
        let deadline = Deadline.now + timeout
        let stream = try await SocketStream.connect(unixPath: socketPath, deadline: deadline)
        let connection = IPCConnection(stream: stream)
        try await connection.send(.hello(Hello(bot: bot, pid: getpid())), deadline: deadline)
        let envelope = try await connection.receive(deadline: deadline)
        guard case .welcome(let welcome) = envelope.message else {
            await connection.close()
            throw IPCError.unexpectedMessage(envelope.message.type)
        }
        guard welcome.version == ipcProtocolVersion else {
            await connection.close()
            throw IPCError.versionMismatch(welcome.version)
        }
        self.connection = connection
        // After a reconnect everything not acknowledged goes again; the supervisor ignores duplicates.
        sentIDs.removeAll()
        if let lastState { try? await connection.send(.state(lastState)) }
        if let lastSession { try? await connection.send(.session(lastSession)) }
        try? await flush()
        return welcome.config
    }

    /// The next message from the supervisor (stop, configure, send_message, ack, heartbeat).
    /// Acks are applied here and not returned.
    public func receive() async throws -> IPCEnvelope {
        guard let connection else { throw IPCError.closed }
        while true {
            let envelope = try await connection.receive()
            if case .ack(let ack) = envelope.message {
                let done = Set(ack.ids)
                unacknowledged.removeAll { done.contains($0.id) }
                sentIDs.subtract(done)
                continue
            }
            return envelope
        }
    }

    public func send(_ message: IPCMessage, replyTo: UInt64? = nil) async {
        switch message {
        case .state(let s): lastState = s
        case .session(let s): lastSession = s
        default: break
        }
        guard let connection else { return }
        do {
            try await connection.send(message, replyTo: replyTo)
        } catch {
            logger.warning("ipc send failed", ["type": message.type, "error": error])
        }
    }

    /// Queues a record; `flush` sends what has not been sent on this connection.
    public func record(_ record: CommandRecord) {
        unacknowledged.append(record)
    }

    /// Sends queued records in one batch.
    public func flush() async throws {
        guard let connection else { return }
        let batch = unacknowledged.filter { !sentIDs.contains($0.id) }.prefix(500)
        guard !batch.isEmpty else { return }
        for r in batch { sentIDs.insert(r.id) }
        try await connection.send(.commands(CommandBatch(records: Array(batch))))
    }

    public var pendingRecordCount: Int { unacknowledged.count }

    public func close() async {
        await connection?.close()
        connection = nil
    }
}
