import Glibc
import IOCore
import IPC
import Logging

/// The worker's side of the IPC connection to botvisord: hello, the welcome
/// carrying the configuration and token, heartbeats, state and metrics
/// reports, session state for resume, and command records kept in the bot's
/// `CommandSpool` until the supervisor acknowledges them (sent at once, resent
/// after a reconnect or by the next worker, deduplicated there).
public actor SupervisorLink {
    public let socketPath: String
    public let bot: String
    public let spoolPath: String
    private let logger: Logger
    private var connection: IPCConnection?
    /// Records not yet acknowledged (in order), the handled event ids and the newest gateway position;
    /// in memory only until `connect` opens the file.
    private var spool: CommandSpool?
    private var sentIDs: Set<String> = []
    private var flushing = false
    private var lastState: StateReport?
    private var lastSession: SessionState?

    private let spoolLockTimeout: Duration
    private let spoolRetryInterval: Duration

    /// `spoolPath` defaults to `<socket dir>/spool/<bot>.records`. The spool is waited for up to `spoolLockTimeout`
    /// (a worker outliving a killed botvisord may take a moment under load; botvisord waits 15 s for the hello);
    /// after that records are kept in memory and the file is tried again every `spoolRetryInterval`.
    public init(socketPath: String, bot: String, spoolPath: String? = nil, spoolLockTimeout: Duration = .seconds(10),
                spoolRetryInterval: Duration = .seconds(1), logger: Logger) {
        self.socketPath = socketPath
        self.bot = bot
        self.spoolPath = spoolPath ?? CommandSpool.path(socketPath: socketPath, bot: bot)
        self.spoolLockTimeout = spoolLockTimeout
        self.spoolRetryInterval = spoolRetryInterval
        self.logger = logger
    }

    /// When the file was last tried while the spool is in memory only.
    private var lastSpoolAttempt: ContinuousClock.Instant?

    /// Opens the spool once, waiting for a previous worker of the bot to let go of it.
    private func openSpool() async {
        guard spool == nil else { return }
        lastSpoolAttempt = .now
        do {
            let opened = try await CommandSpool.open(path: spoolPath, lockTimeout: spoolLockTimeout)
            spool = opened
            if !opened.pending.isEmpty {
                logger.notice("sending command records a previous worker left in the spool", ["count": opened.pending.count])
            }
        } catch {
            // Without the file a crash can lose records, but the bot keeps answering.
            logger.error("cannot open the command spool; records are kept in memory only", ["path": spoolPath, "error": error])
            spool = CommandSpool.inMemory()
        }
    }

    /// While the spool is in memory only, tries the file again (at most every `spoolRetryInterval`, without waiting for the lock).
    private func retrySpoolFile() async {
        guard let current = spool, current.isInMemory else { return }
        if let last = lastSpoolAttempt, ContinuousClock.now - last < spoolRetryInterval { return }
        lastSpoolAttempt = .now
        guard var opened = try? await CommandSpool.open(path: spoolPath, lockTimeout: .zero) else { return }
        do {
            // What the in-memory spool holds now: begin and record may have run while the file was opened.
            try opened.adopt(spool ?? current)
            spool = opened
            logger.notice("the command spool file is open again", ["path": spoolPath])
        } catch {
            opened.close()
        }
    }

    /// Connects, says hello and returns the configuration from the welcome.
    /// `timeout` bounds the connect and the hello; the welcome is then waited for up to `welcomeTimeout`: while the
    /// connection is open botvisord is alive (a dead one closes it), only busy, as when it starts many workers at
    /// once, and a worker that gave up then would only start again later (the start-up storm of issue 13).
    /// The session in the welcome is replaced by the spool's position when that is the same session further on:
    /// the supervisor writes its copy to SQLite once a second, so after botvisord died its copy may lag.
    public func connect(timeout: Duration = .seconds(10), welcomeTimeout: Duration = .seconds(120)) async throws -> WorkerConfig {
        await openSpool()
        let deadline = Deadline.now + timeout
        let stream = try await SocketStream.connect(unixPath: socketPath, deadline: deadline)
        let connection = IPCConnection(stream: stream)
        do {
            try await connection.send(.hello(Hello(bot: bot, pid: getpid())), deadline: deadline)
        } catch {
            await connection.close()
            throw error
        }
        let envelope: IPCEnvelope
        do { envelope = try await connection.receive(deadline: .now + welcomeTimeout) } catch {
            await connection.close()
            throw error
        }
        guard case .welcome(let welcome) = envelope.message else {
            await connection.close()
            throw IPCError.unexpectedMessage(envelope.message.type)
        }
        guard welcome.version == ipcProtocolVersion else {
            await connection.close()
            throw IPCError.versionMismatch(welcome.version)
        }
        self.connection = connection
        var config = welcome.config
        if let kept = config.session, let spooled = spool?.position, spooled.sessionID == kept.sessionID,
           (spooled.sequence ?? 0) > (kept.sequence ?? 0) {
            config.session = spooled
            if lastSession == nil || (lastSession?.sequence ?? 0) < (spooled.sequence ?? 0) { lastSession = spooled }
        }
        // After a reconnect everything not acknowledged goes again; the supervisor ignores duplicates.
        sentIDs.removeAll()
        if let lastState { try? await connection.send(.state(lastState)) }
        if let lastSession { try? await connection.send(.session(lastSession)) }
        try? await flush()
        return config
    }

    /// The next message from the supervisor (stop, configure, send_message, ack, heartbeat).
    /// Acks are applied here and not returned.
    public func receive() async throws -> IPCEnvelope {
        guard let connection else { throw IPCError.closed }
        while true {
            let envelope = try await connection.receive()
            if case .ack(let ack) = envelope.message {
                do { try spool?.acknowledged(ack.ids) } catch {
                    logger.warning("cannot note an ack in the command spool", ["error": error])
                }
                sentIDs.subtract(ack.ids)
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

    /// Notes a command about to be answered (see `CommandSpool`): false when `event` was handled before,
    /// as after a resume from a position older than it. `interrupted` is what is stored if the worker dies first.
    public func begin(_ interrupted: CommandRecord, event: String, position: SessionState?) async -> Bool {
        if spool == nil { await openSpool() } else { await retrySpoolFile() }
        do { return try spool!.begin(interrupted, event: event, position: position) } catch {
            logger.warning("cannot write to the command spool", ["error": error])
            return true
        }
    }

    /// Writes a finished record to the spool, then sends it at once (records that finish while a
    /// send is under way go together in the next batch).
    public func record(_ record: CommandRecord) async {
        if spool == nil { await openSpool() } else { await retrySpoolFile() }
        do { try spool!.finish(record) } catch {
            logger.warning("cannot write to the command spool", ["error": error])
        }
        try? await flush()
    }

    /// Sends what has not been sent on this connection, in batches of up to 500, until nothing is left.
    public func flush() async throws {
        guard !flushing else { return }
        flushing = true
        defer { flushing = false }
        while let connection, let spool {
            let batch = spool.pending.lazy.filter { !self.sentIDs.contains($0.id) }.prefix(500)
            guard !batch.isEmpty else { return }
            let records = Array(batch)
            for r in records { sentIDs.insert(r.id) }
            try await connection.send(.commands(CommandBatch(records: records)))
        }
    }

    public var pendingRecordCount: Int { spool?.pending.count ?? 0 }

    public func close() async {
        await connection?.close()
        connection = nil
    }

    /// Lets go of the spool (a replacement worker of the bot may open it).
    public func closeSpool() {
        spool?.close()
    }
}
