import IPC

/// Group commit for command records: batches that arrive while a transaction
/// is being committed wait, and the next transaction takes all of them at once.
///
/// With ten workers streaming, one commit per 500-record batch leaves the
/// SQLite thread writing the same index pages over and over (the per-bot and
/// time indexes are appended at a few points; each commit rewrites those pages
/// into the WAL). Committing whatever has queued up amortizes that and the
/// commit itself, with no timer: an idle supervisor commits a lone batch at
/// once. Every caller returns only after the transaction holding its records
/// committed, so "acknowledge after commit" holds for each batch.
///
/// The caller whose arrival finds no transaction running becomes the
/// committer; when it is done it hands the role to the first waiter, whose
/// records then lead the next transaction, so no caller commits for others forever.
actor CommandLogWriter {
    enum Turn { case committed, commitNext }

    private struct Waiter {
        var records: [CommandRecord]
        /// Nil for the current committer's own entry.
        var continuation: CheckedContinuation<Turn, any Error>?
    }

    private var waiting: [Waiter] = []
    private var committing = false
    /// A transaction takes waiting batches until it holds at least this many records.
    let maximumRecordsPerTransaction: Int
    private let commit: @Sendable ([CommandRecord]) async throws -> Void

    init(maximumRecordsPerTransaction: Int = 4_000, commit: @escaping @Sendable ([CommandRecord]) async throws -> Void) {
        self.maximumRecordsPerTransaction = maximumRecordsPerTransaction
        self.commit = commit
    }

    /// Returns once `records` are committed; throws when their transaction failed.
    func write(_ records: [CommandRecord]) async throws {
        if committing {
            let turn = try await withCheckedThrowingContinuation { continuation in
                waiting.append(Waiter(records: records, continuation: continuation))
            }
            // `commitNext`: our entry is still first in `waiting`, its continuation spent.
            if case .committed = turn { return }
        } else {
            committing = true
            waiting.insert(Waiter(records: records, continuation: nil), at: 0)
        }
        var taken = 0, count = 0
        while taken < waiting.count && (taken == 0 || count < maximumRecordsPerTransaction) {
            count += waiting[taken].records.count
            taken += 1
        }
        let batch = Array(waiting.prefix(taken))
        waiting.removeFirst(taken)
        var failure: (any Error)?
        do {
            try await commit(batch.count == 1 ? batch[0].records : batch.flatMap(\.records))
        } catch {
            failure = error
        }
        for waiter in batch {
            if let failure { waiter.continuation?.resume(throwing: failure) } else { waiter.continuation?.resume(returning: .committed) }
        }
        if waiting.isEmpty {
            committing = false
        } else {
            let next = waiting[0].continuation
            waiting[0].continuation = nil
            next?.resume(returning: .commitNext)
        }
        if let failure { throw failure }
    }
}
