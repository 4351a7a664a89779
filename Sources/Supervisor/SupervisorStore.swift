import FoundationEssentials
import IPC
import Storage
import Synchronization

/// The supervisor's SQLite database: bots (tokens sealed with `TokenCipher`),
/// the gateway session each bot can resume, and command records.
public final class SupervisorStore: BotRepository, SessionStore, CommandRecordSink {
    let queue: DatabaseQueue
    let cipher: TokenCipher
    /// Command records stored since start (duplicates not counted): the ingest rate's counter.
    let storedRecords = Atomic<Int>(0)

    static var migrator: Migrator {
        var m = Migrator()
        m.register(version: 1, name: "bots, sessions, command logs", sql: """
            CREATE TABLE bots (
                name TEXT PRIMARY KEY,
                token_sealed BLOB NOT NULL,
                application_id TEXT,
                intents INTEGER NOT NULL,
                prefix TEXT,
                custom_commands TEXT NOT NULL DEFAULT '[]',
                enabled INTEGER NOT NULL DEFAULT 1,
                rate_limit_count INTEGER NOT NULL DEFAULT 5,
                rate_limit_seconds REAL NOT NULL DEFAULT 10,
                command_timeout_seconds REAL NOT NULL DEFAULT 10,
                created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
            );
            CREATE TABLE gateway_sessions (
                bot TEXT PRIMARY KEY REFERENCES bots(name) ON DELETE CASCADE,
                session_id TEXT NOT NULL,
                resume_url TEXT NOT NULL,
                seq INTEGER
            );
            CREATE TABLE command_logs (
                id TEXT PRIMARY KEY,
                bot TEXT NOT NULL,
                guild_id TEXT,
                channel_id TEXT,
                user_id TEXT NOT NULL,
                command TEXT NOT NULL,
                options TEXT NOT NULL,
                started_at INTEGER NOT NULL,
                duration_us INTEGER NOT NULL,
                outcome TEXT NOT NULL,
                error_code TEXT,
                error_message TEXT
            );
            -- Newest first per bot and per user: the monitoring queries walk these.
            CREATE INDEX command_logs_bot_time ON command_logs (bot, started_at DESC);
            CREATE INDEX command_logs_user_time ON command_logs (user_id, started_at DESC);
            """)
        m.register(version: 2, name: "full-text index over command logs", sql: """
            -- FTS5 over what operators search for: command name, options, error code and message.
            CREATE VIRTUAL TABLE command_logs_fts USING fts5(
                command, options, error_code, error_message, content='command_logs', content_rowid='rowid'
            );
            CREATE TRIGGER command_logs_ai AFTER INSERT ON command_logs BEGIN
                INSERT INTO command_logs_fts (rowid, command, options, error_code, error_message)
                VALUES (new.rowid, new.command, new.options, new.error_code, new.error_message);
            END;
            CREATE TRIGGER command_logs_ad AFTER DELETE ON command_logs BEGIN
                INSERT INTO command_logs_fts (command_logs_fts, rowid, command, options, error_code, error_message)
                VALUES ('delete', old.rowid, old.command, old.options, old.error_code, old.error_message);
            END;
            -- Filters by time alone (recent, failed, exports) walk this one.
            CREATE INDEX command_logs_time ON command_logs (started_at DESC, id DESC);
            """)
        m.register(version: 3, name: "bulk jobs", sql: """
            -- A bulk operation (start, stop, restart, message) and its items, one per bot or message target.
            CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                state TEXT NOT NULL,
                -- The same key returns the same job: a retried POST never runs twice.
                idempotency_key TEXT UNIQUE,
                request TEXT NOT NULL,
                content TEXT,
                embeds TEXT,
                created_at INTEGER NOT NULL,
                started_at INTEGER,
                finished_at INTEGER,
                -- Set when botvisord stopped while the job was queued or running.
                interrupted INTEGER NOT NULL DEFAULT 0,
                cancel_requested INTEGER NOT NULL DEFAULT 0
            );
            -- GET /api/v1/jobs lists newest first; at start, unfinished jobs are found by state.
            CREATE INDEX jobs_created ON jobs (created_at DESC, id DESC);
            CREATE INDEX jobs_state ON jobs (state);
            CREATE TABLE job_items (
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                seq INTEGER NOT NULL,
                bot TEXT NOT NULL,
                channel_id TEXT,
                state TEXT NOT NULL,
                message_id TEXT,
                error_code TEXT,
                error_message TEXT,
                started_at INTEGER,
                finished_at INTEGER,
                PRIMARY KEY (job_id, seq)
            ) WITHOUT ROWID;
            """)
        m.register(version: 4, name: "metric samples", sql: SupervisorStore.metricsSchema)
        return m
    }

    public init(stateDirectory: String) async throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        cipher = try TokenCipher.loadOrCreateKey(at: "\(stateDirectory)/token.key")
        queue = try await DatabaseQueue(path: "\(stateDirectory)/botvisor.db")
        _ = try await queue.migrate(SupervisorStore.migrator)
    }

    public func all() async throws -> [BotDefinition] {
        let rows = try await queue.read { db in try db.query("SELECT * FROM bots ORDER BY name") }
        return try rows.map { row in
            let name = try row.decode("name", as: String.self)
            let commands = try JSONDecoder().decode([CustomCommand].self, from: Data(try row.decode("custom_commands", as: String.self).utf8))
            return BotDefinition(name: name, token: try cipher.open(try row.decode("token_sealed", as: [UInt8].self), boundTo: name),
                                 applicationID: try row.decode("application_id", as: String?.self),
                                 intents: UInt64(try row.decode("intents", as: Int64.self)),
                                 prefix: try row.decode("prefix", as: String?.self), customCommands: commands,
                                 enabled: try row.decode("enabled", as: Bool.self),
                                 rateLimitCount: try row.decode("rate_limit_count", as: Int.self),
                                 rateLimitSeconds: try row.decode("rate_limit_seconds", as: Double.self),
                                 commandTimeoutSeconds: try row.decode("command_timeout_seconds", as: Double.self))
        }
    }

    public func add(_ bot: BotDefinition) async throws {
        let sealed = try cipher.seal(bot.token, boundTo: bot.name)
        let commands = String(decoding: try JSONEncoder().encode(bot.customCommands), as: UTF8.self)
        try await queue.write { db in
            try db.execute("""
                INSERT INTO bots (name, token_sealed, application_id, intents, prefix, custom_commands, enabled,
                                  rate_limit_count, rate_limit_seconds, command_timeout_seconds)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [bot.name, sealed, bot.applicationID, Int64(bitPattern: bot.intents), bot.prefix, commands, bot.enabled,
                      bot.rateLimitCount, bot.rateLimitSeconds, bot.commandTimeoutSeconds])
        }
    }

    public func update(_ bot: BotDefinition) async throws {
        let sealed = try cipher.seal(bot.token, boundTo: bot.name)
        let commands = String(decoding: try JSONEncoder().encode(bot.customCommands), as: UTF8.self)
        try await queue.write { db in
            try db.execute("""
                UPDATE bots SET token_sealed = ?, application_id = ?, intents = ?, prefix = ?, custom_commands = ?, enabled = ?,
                                rate_limit_count = ?, rate_limit_seconds = ?, command_timeout_seconds = ? WHERE name = ?
                """, [sealed, bot.applicationID, Int64(bitPattern: bot.intents), bot.prefix, commands, bot.enabled,
                      bot.rateLimitCount, bot.rateLimitSeconds, bot.commandTimeoutSeconds, bot.name])
        }
    }

    public func remove(name: String) async throws {
        try await queue.write { db in try db.execute("DELETE FROM bots WHERE name = ?", [name]) }
    }

    public func session(bot: String) async throws -> SessionState? {
        try await queue.read { db in
            guard let row = try db.first("SELECT session_id, resume_url, seq FROM gateway_sessions WHERE bot = ?", [bot]) else { return nil }
            return SessionState(sessionID: try row.decode("session_id"), resumeURL: try row.decode("resume_url"),
                                sequence: try row.decode("seq", as: Int?.self))
        }
    }

    public func save(bot: String, session: SessionState?) async {
        _ = try? await queue.write { db in
            if let session {
                try db.execute("""
                    INSERT INTO gateway_sessions (bot, session_id, resume_url, seq) VALUES (?, ?, ?, ?)
                    ON CONFLICT (bot) DO UPDATE SET session_id = excluded.session_id, resume_url = excluded.resume_url, seq = excluded.seq
                    """, [bot, session.sessionID, session.resumeURL, session.sequence])
            } else {
                try db.execute("DELETE FROM gateway_sessions WHERE bot = ?", [bot])
            }
        }
    }

    /// Stores records in one transaction; a record id seen before is ignored (workers resend after reconnects).
    public func store(_ records: [CommandRecord]) async throws {
        let stored = try await queue.write { db in
            let stmt = try db.cachedStatement("""
                INSERT OR IGNORE INTO command_logs (id, bot, guild_id, channel_id, user_id, command, options, started_at,
                                                    duration_us, outcome, error_code, error_message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var stored = 0
            for r in records {
                try stmt.execute([r.id, r.bot, r.guildID, r.channelID, r.userID, r.command, r.options, r.startedAt, r.durationMicros,
                                  r.outcome, r.errorCode, r.errorMessage])
                stored += db.changes
            }
            return stored
        }
        storedRecords.add(stored, ordering: .relaxed)
    }

    public func commandCount(bot: String? = nil) async throws -> Int {
        try await queue.read { db in
            let row = bot == nil ? try db.first("SELECT count(*) AS n FROM command_logs")
                                 : try db.first("SELECT count(*) AS n FROM command_logs WHERE bot = ?", [bot])
            return try row?.decode("n", as: Int.self) ?? 0
        }
    }
}
