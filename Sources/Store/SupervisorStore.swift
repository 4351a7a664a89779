import Fleet
import IPC
import JSON
import Storage
import Synchronization

/// The supervisor's SQLite database: bots (tokens sealed with `TokenCipher`),
/// the gateway session each bot can resume, and command records.
public final class SupervisorStore: BotRepository, SessionStore, CommandRecordSink {
    package let queue: DatabaseQueue
    /// A read-only connection on its own thread for the log API's reads (search, stats, exports,
    /// /metrics): in WAL mode they read the last commit while an ingest transaction is being
    /// written, instead of queueing behind it on the writer (https://www.sqlite.org/wal.html).
    package let reader: DatabaseQueue
    package let cipher: TokenCipher
    /// The token key file (`token.key` in the state directory): a backup copies it beside the database.
    package let keyPath: String
    /// Command records stored since start (duplicates not counted): the ingest rate's counter.
    package let storedRecords: StoredRecordCounter
    private let writer: CommandLogWriter
    /// The state directory and database files whose modes were looser than 0700/0600 at open, now tightened.
    public let tightened: [PrivateFiles.Tightened]

    /// Upper bounds of the `command_totals` histogram columns `le_0` ... `le_10`, in microseconds
    /// (`PrometheusExposition.buckets`, which must stay in step with migration 5).
    package static let durationBucketsMicros: [Int64] = [5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000]

    package static var migrator: Migrator {
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
        // Reading the log fast at 10M rows.
        m.register(version: 5, name: "covering time index, command totals for /metrics", sql: """
            -- /logs/stats reads (bot, command, outcome, duration_us) of every row in a window: with them in
            -- the time index it walks index entries only, never the table (EXPLAIN QUERY PLAN: COVERING
            -- INDEX). The leading (started_at DESC, id DESC) is the old index's, so time-ordered searches
            -- and cursors walk it as before. Records arrive in time order, so the wider entries are
            -- appended at the end of the index, which costs little at insert.
            DROP INDEX command_logs_time;
            CREATE INDEX command_logs_time ON command_logs (started_at DESC, id DESC, bot, command, outcome, duration_us);
            -- Counters for /metrics per bot, command and outcome: count, total duration and cumulative
            -- histogram buckets (le_0 ... le_10 = 5 ms ... 10 s). The store adds each batch's figures in
            -- the transaction that inserts it, so a scrape reads a few rows instead of scanning the log,
            -- and the counters never go down when retention deletes old rows.
            CREATE TABLE command_totals (
                bot TEXT NOT NULL,
                command TEXT NOT NULL,
                outcome TEXT NOT NULL,
                count INTEGER NOT NULL,
                duration_sum_us INTEGER NOT NULL,
                \(SupervisorStore.durationBucketsMicros.indices.map { "le_\($0) INTEGER NOT NULL" }.joined(separator: ", ")),
                PRIMARY KEY (bot, command, outcome)
            ) WITHOUT ROWID;
            -- The full-text index is filled by the store, once per transaction for all its rows
            -- (INSERT ... SELECT rowid > the largest rowid before the batch), not by a trigger row by
            -- row: measured with Python's sqlite3 and 4000-row transactions, the trigger halved the
            -- insert rate (22,900 against 46,400 rows/s). SupervisorStore.insert is the only writer of
            -- command_logs; the delete trigger stays, so retention keeps the index in step.
            DROP TRIGGER command_logs_ai;
            INSERT INTO command_totals
                SELECT bot, command, outcome, count(*), SUM(duration_us),
                       \(SupervisorStore.durationBucketsMicros.map { "SUM(duration_us <= \($0))" }.joined(separator: ", "))
                FROM command_logs GROUP BY bot, command, outcome;
            """)
        // One error-code vocabulary (IPC/ErrorCode.swift): command records wrote `E_TIMEOUT`,
        // `E_DISCORD_50035`, `E_TRANSPORT`, and job items named four Discord codes. Old rows are
        // rewritten to today's spelling (as `ErrorCode.migrating` reads them), full-text index included.
        m.register(version: 6, name: "one error-code vocabulary", sql: """
            CREATE TEMP TABLE recoded AS SELECT rowid AS id FROM command_logs WHERE error_code LIKE 'E\\_%' ESCAPE '\\';
            INSERT INTO command_logs_fts (command_logs_fts, rowid, command, options, error_code, error_message)
                SELECT 'delete', rowid, command, options, error_code, error_message FROM command_logs WHERE rowid IN (SELECT id FROM recoded);
            UPDATE command_logs SET error_code = CASE error_code WHEN 'E_TRANSPORT' THEN 'DISCORD_UNREACHABLE' ELSE substr(error_code, 3) END
                WHERE rowid IN (SELECT id FROM recoded);
            INSERT INTO command_logs_fts (rowid, command, options, error_code, error_message)
                SELECT rowid, command, options, error_code, error_message FROM command_logs WHERE rowid IN (SELECT id FROM recoded);
            DROP TABLE temp.recoded;
            UPDATE job_items SET error_code = CASE error_code
                WHEN 'UNKNOWN_CHANNEL' THEN 'DISCORD_10003' WHEN 'MISSING_ACCESS' THEN 'DISCORD_50001'
                WHEN 'MISSING_PERMISSIONS' THEN 'DISCORD_50013' WHEN 'INVALID_FORM_BODY' THEN 'DISCORD_50035'
                WHEN 'TRANSPORT' THEN 'DISCORD_UNREACHABLE' ELSE error_code END
                WHERE error_code IN ('UNKNOWN_CHANNEL', 'MISSING_ACCESS', 'MISSING_PERMISSIONS', 'INVALID_FORM_BODY', 'TRANSPORT');
            """)
        // Reliability review row 8: the identify spacing must hold across a daemon restart.
        m.register(version: 7, name: "last identify per bot", sql: """
            ALTER TABLE bots ADD COLUMN last_identify_ms INTEGER;
            """)
        // Issue 12: who may use the HTTP API (SupervisorStore+Accounts.swift).
        m.register(version: 8, name: "accounts, API tokens, refresh tokens, revoked access tokens", sql: SupervisorStore.accountsSchema)
        // Issue 12: the tamper-evident audit log (AuditChain). `id` is the chain's sequence; AUTOINCREMENT
        // keeps ids from being reused after retention (https://www.sqlite.org/autoinc.html), so a gap at a
        // broken link means removed rows, and sqlite_sequence remembers the highest id ever written (a
        // removed tail shows). `audit_anchor` is where the chain starts after retention removed a prefix.
        m.register(version: 9, name: "audit log", sql: """
            CREATE TABLE audit_log (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                time_ms INTEGER NOT NULL,
                actor TEXT NOT NULL,
                address TEXT,
                action TEXT NOT NULL,
                target TEXT,
                outcome TEXT NOT NULL,
                request_id TEXT,
                details TEXT NOT NULL DEFAULT '{}',
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            );
            CREATE INDEX audit_log_time ON audit_log (time_ms);
            CREATE INDEX audit_log_actor ON audit_log (actor, id);
            CREATE INDEX audit_log_action ON audit_log (action, id);
            CREATE TABLE audit_anchor (
                only INTEGER PRIMARY KEY CHECK (only = 1),
                sequence INTEGER NOT NULL,
                hash TEXT NOT NULL,
                removed_at_ms INTEGER NOT NULL
            );
            """)
        // Versions 8 and 9 are taken by work on other branches; 10 is the stock displays' (issue 14).
        m.register(version: 10, name: "catalogs, products, stock displays", sql: SupervisorStore.stockSchema)
        // Issue 16: a rare word's search window found without walking the window (SupervisorStore+SearchWindow.swift).
        m.register(version: 11, name: "rowid blocks for the search window", sql: SupervisorStore.searchBlocksSchema)
        return m
    }

    public init(stateDirectory: String) async throws {
        // 0700 and 0600 whatever the umask; looser modes found here are tightened and reported (`tightened`).
        var tightened = try PrivateFiles.secureDirectory(stateDirectory)
        tightened += try PrivateFiles.secureDatabase("\(stateDirectory)/botvisor.db")
        self.tightened = tightened
        keyPath = "\(stateDirectory)/token.key"
        cipher = try TokenCipher.loadOrCreateKey(at: keyPath)
        let queue = try await DatabaseQueue(path: "\(stateDirectory)/botvisor.db")
        self.queue = queue
        let counter = StoredRecordCounter()
        storedRecords = counter
        writer = CommandLogWriter { records in
            counter.add(try await queue.write { db in try SupervisorStore.insert(records, into: db) })
        }
        _ = try await queue.migrate(SupervisorStore.migrator)
        try await queue.writeWithoutTransaction { db in
            // SQLite's default page cache is 2 MiB. With millions of rows the user index takes random
            // inserts, and every page missing from the cache is a pread; 64 MiB keeps the hot part of
            // every index in memory (https://www.sqlite.org/pragma.html#pragma_cache_size).
            try db.execute("PRAGMA cache_size = -65536")
            // A checkpoint copies every page written since the last one from the WAL into the database.
            // At the default of 1000 pages (4 MiB) a busy log checkpoints after nearly every commit and
            // copies the same hot index pages again each time; every 20000 pages (80 MiB) they are
            // copied once per many commits (measured by Benchmarks/ingest.sh: checkpoints were most of
            // the writer's I/O). The WAL file may grow to that size (https://www.sqlite.org/wal.html §4).
            try db.execute("PRAGMA wal_autocheckpoint = 20000")
            // Reads map the file instead of copying each page out of the kernel with pread: a user's
            // last 50 records sit on 50 different pages (https://www.sqlite.org/mmap.html). SQLite caps
            // this at its build's SQLITE_MAX_MMAP_SIZE (2 GiB in Debian's); the rest is read as before.
            try db.execute("PRAGMA mmap_size = 2147418112")
        }
        reader = try await DatabaseQueue(path: "\(stateDirectory)/botvisor.db", flags: .readOnly)
        try await reader.writeWithoutTransaction { db in
            try db.execute("PRAGMA cache_size = -65536")
            try db.execute("PRAGMA mmap_size = 2147418112")
        }
        // Space freed by retention goes back to the file system (`releaseFreePages`).
        try await enableIncrementalVacuum()
    }

    /// Closes the reader, then the writer (the last connection to close checkpoints the WAL).
    public func close() async {
        await reader.close()
        await queue.close()
    }

    public func all() async throws -> [BotDefinition] {
        let rows = try await queue.read { db in try db.query("SELECT * FROM bots ORDER BY name") }
        return try rows.map { row in
            let name = try row.decode("name", as: String.self)
            let commands = try JSONValueDecoder().decode([CustomCommand].self, from: Array(try row.decode("custom_commands", as: String.self).utf8))
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
        let commands = String(decoding: try JSONValueEncoder().encodeBytes(bot.customCommands), as: UTF8.self)
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
        let commands = String(decoding: try JSONValueEncoder().encodeBytes(bot.customCommands), as: UTF8.self)
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

    /// Writes a bot's gateway session. Within one session the position only moves forward: writes come from
    /// several tasks (ticks, record batches, the daemon's stop), and an older one arriving late must not make a
    /// replacement resume from before events it already handled.
    public func save(bot: String, session: SessionState?) async {
        _ = try? await queue.write { db in
            if let session {
                try db.execute("""
                    INSERT INTO gateway_sessions (bot, session_id, resume_url, seq) VALUES (?, ?, ?, ?)
                    ON CONFLICT (bot) DO UPDATE SET session_id = excluded.session_id, resume_url = excluded.resume_url, seq = excluded.seq
                    WHERE excluded.session_id IS NOT gateway_sessions.session_id OR COALESCE(excluded.seq, -1) >= COALESCE(gateway_sessions.seq, -1)
                    """, [bot, session.sessionID, session.resumeURL, session.sequence])
            } else {
                try db.execute("DELETE FROM gateway_sessions WHERE bot = ?", [bot])
            }
        }
    }

    /// Stores records; a record id seen before is ignored (workers resend after reconnects).
    /// Returns once they are committed: batches arriving together share one transaction (`CommandLogWriter`).
    public func store(_ records: [CommandRecord]) async throws {
        guard !records.isEmpty else { return }
        try await writer.write(records)
    }

    public func commandCount(bot: String? = nil) async throws -> Int {
        try await queue.read { db in
            let row = bot == nil ? try db.first("SELECT count(*) AS n FROM command_logs")
                                 : try db.first("SELECT count(*) AS n FROM command_logs WHERE bot = ?", [bot])
            return try row?.decode("n", as: Int.self) ?? 0
        }
    }
}

/// Counts command records stored since start (the ingest rate's source).
package final class StoredRecordCounter: Sendable {
    private let value = Atomic<Int>(0)
    package func add(_ n: Int) { value.add(n, ordering: .relaxed) }
    package var count: Int { value.load(ordering: .relaxed) }
}
