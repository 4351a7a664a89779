import IPC
import Fleet
import Storage

extension SupervisorStore {
    /// Creates a job with its items in one transaction. With an idempotency key
    /// seen before, returns that job instead (`created == false`); the same key
    /// with a different request is `IDEMPOTENCY_KEY_REUSED`.
    package func createJob(_ spec: JobSpec, idempotencyKey: String?) async throws -> (id: String, created: Bool) {
        let id = String((0..<16).map { _ in "0123456789abcdef".randomElement()! })
        let targets = spec.targets.map { JobTarget(bot: $0.bot, channelID: $0.channelID) }
        return try await queue.write { db in
            if let key = idempotencyKey, let row = try db.first("SELECT id, request FROM jobs WHERE idempotency_key = ?", [key]) {
                guard try row.decode("request", as: String.self) == spec.request else {
                    throw JobError.idempotencyKeyReused
                }
                return (try row.decode("id", as: String.self), false)
            }
            try db.execute("""
                INSERT INTO jobs (id, kind, state, idempotency_key, request, content, embeds, created_at)
                VALUES (?, ?, 'queued', ?, ?, ?, ?, ?)
                """, [id, spec.kind.rawValue, idempotencyKey, spec.request, spec.content, spec.embeds, nowMilliseconds()])
            let insert = try db.cachedStatement("INSERT INTO job_items (job_id, seq, bot, channel_id, display_id, state) VALUES (?, ?, ?, ?, ?, 'pending')")
            for (seq, target) in targets.enumerated() {
                try insert.execute([id, seq, target.bot, target.channelID, spec.displayIDs?[seq]])
            }
            return (id, true)
        }
    }

    package func job(_ id: String, withItems: Bool = true) async throws -> Job? {
        try await queue.read { db in
            guard let row = try db.first("SELECT * FROM jobs WHERE id = ?", [id]) else { return nil }
            var job = try Self.job(row)
            job.progress = try Self.progress(of: [id], db: db)[id] ?? Job.Progress()
            if withItems {
                job.items = try db.query("SELECT * FROM job_items WHERE job_id = ? ORDER BY seq", [id]).map(Self.item)
            }
            return job
        }
    }

    /// Jobs newest first; `before` is the `(created_at, id)` of the last job of the previous page.
    package func jobs(limit: Int, before: (Int64, String)?) async throws -> [Job] {
        try await queue.read { db in
            let rows = if let before {
                try db.query("SELECT * FROM jobs WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?",
                             [before.0, before.1, limit])
            } else {
                try db.query("SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT ?", [limit])
            }
            var jobs = try rows.map(Self.job)
            let progress = try Self.progress(of: jobs.map(\.id), db: db)
            for i in jobs.indices { jobs[i].progress = progress[jobs[i].id] ?? Job.Progress() }
            return jobs
        }
    }

    package func setJobState(_ id: String, _ state: JobState) async throws {
        let column = state == .running ? "started_at" : "finished_at"
        try await queue.write { db in
            try db.execute("UPDATE jobs SET state = ?, \(column) = coalesce(\(column), ?) WHERE id = ?", [state.rawValue, nowMilliseconds(), id])
        }
    }

    package func requestCancel(_ id: String) async throws {
        try await queue.write { db in try db.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", [id]) }
    }

    package func finishItem(job: String, seq: Int, state: JobItemState, messageID: String? = nil, error: JobItem.Failure? = nil,
                    startedAt: Int64?) async throws {
        try await queue.write { db in
            try db.cachedStatement("""
                UPDATE job_items SET state = ?, message_id = ?, error_code = ?, error_message = ?, started_at = ?, finished_at = ?
                WHERE job_id = ? AND seq = ?
                """).execute([state.rawValue, messageID, error?.code.rawValue, error?.message, startedAt, nowMilliseconds(), job, seq])
        }
    }

    /// Marks every item still pending (cancelled jobs, interrupted lifecycle jobs).
    package func finishPendingItems(job: String, state: JobItemState, error: JobItem.Failure?) async throws {
        try await queue.write { db in
            try db.execute("""
                UPDATE job_items SET state = ?, error_code = ?, error_message = ?, finished_at = ?
                WHERE job_id = ? AND state = 'pending'
                """, [state.rawValue, error?.code.rawValue, error?.message, nowMilliseconds(), job])
        }
    }

    /// What a job still has to do, and what it needs to do it.
    package func pendingWork(job id: String) async throws -> (kind: JobKind, content: String?, embeds: String?, items: [JobItem])? {
        try await queue.read { db in
            guard let row = try db.first("SELECT kind, content, embeds FROM jobs WHERE id = ?", [id]),
                  let kind = JobKind(rawValue: try row.decode("kind", as: String.self)) else { return nil }
            let items = try db.query("SELECT * FROM job_items WHERE job_id = ? AND state = 'pending' ORDER BY seq", [id]).map(Self.item)
            return (kind, try row.decode("content", as: String?.self), try row.decode("embeds", as: String?.self), items)
        }
    }

    /// When the job's latest item finished (Unix milliseconds).
    package func lastItemFinish(job id: String) async throws -> Int64? {
        try await queue.read { db in
            try db.first("SELECT max(finished_at) AS t FROM job_items WHERE job_id = ?", [id])?.decode("t", as: Int64?.self)
        }
    }

    /// At start: every job that was queued or running when botvisord stopped, now marked interrupted.
    package func interruptUnfinishedJobs() async throws -> [String] {
        try await queue.write { db in
            let ids = try db.query("SELECT id FROM jobs WHERE state IN ('queued', 'running') ORDER BY created_at").map { try $0.decode("id", as: String.self) }
            try db.execute("UPDATE jobs SET interrupted = 1 WHERE state IN ('queued', 'running')")
            return ids
        }
    }

    private struct JobTarget: Sendable {
        package var bot: String
        package var channelID: String?
    }

    private static func job(_ row: Row) throws -> Job {
        Job(id: try row.decode("id"), kind: JobKind(rawValue: try row.decode("kind")) ?? .start,
            state: JobState(rawValue: try row.decode("state")) ?? .failed,
            interrupted: try row.decode("interrupted", as: Bool.self), cancel_requested: try row.decode("cancel_requested", as: Bool.self),
            created_at: try row.decode("created_at"), started_at: try row.decode("started_at"), finished_at: try row.decode("finished_at"),
            progress: Job.Progress(), items: nil)
    }

    /// Item counts by state for each of `ids`, in one query.
    private static func progress(of ids: [String], db: Database) throws -> [String: Job.Progress] {
        guard !ids.isEmpty else { return [:] }
        let rows = try db.query("""
            SELECT job_id, state, count(*) AS n FROM job_items
            WHERE job_id IN (\(ids.map { _ in "?" }.joined(separator: ", "))) GROUP BY job_id, state
            """, Bindings(ids.map { .text($0) }))
        var out: [String: Job.Progress] = [:]
        for row in rows {
            let id: String = try row.decode("job_id")
            let n = try row.decode("n", as: Int.self)
            var p = out[id, default: Job.Progress()]
            p.total += n
            switch JobItemState(rawValue: try row.decode("state")) {
            case .pending: p.pending += n
            case .ok: p.succeeded += n
            case .error: p.failed += n
            case .cancelled: p.cancelled += n
            case nil: break
            }
            out[id] = p
        }
        return out
    }

    private static func item(_ row: Row) throws -> JobItem {
        let code: ErrorCode? = try row.decode("error_code", as: String?.self).map(ErrorCode.init(rawValue:))
        return JobItem(seq: try row.decode("seq"), bot: try row.decode("bot"), channel_id: try row.decode("channel_id"),
                       display_id: try row.decode("display_id"), state: JobItemState(rawValue: try row.decode("state")) ?? .error, message_id: try row.decode("message_id"),
                       error: code.map { JobItem.Failure(code: $0, message: (try? row.decode("error_message", as: String?.self) ?? "") ?? "") },
                       started_at: try row.decode("started_at"), finished_at: try row.decode("finished_at"))
    }
}
