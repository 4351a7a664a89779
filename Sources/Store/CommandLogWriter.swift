import Fleet
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
/// A caller that arrives while fewer than `maximumTransactionsInFlight`
/// transactions are queued or running becomes a committer; when it is done it
/// hands the role to the first waiter, whose records then lead the next
/// transaction, so no caller commits for others forever. Two in flight keep
/// the SQLite thread busy: the next transaction is queued on it while the
/// current one commits, instead of waiting for the hand-off to be scheduled.
package actor CommandLogWriter {
    package enum Turn { case committed, commitNext }

    private struct Waiter {
        package var records: [CommandRecord]
        /// Nil for the current committer's own entry.
        package var continuation: CheckedContinuation<Turn, any Error>?
    }

    private var waiting: [Waiter] = []
    private var committing = 0
    package let maximumTransactionsInFlight = 2
    /// A transaction takes waiting batches until it holds at least this many records.
    package let maximumRecordsPerTransaction: Int
    private let commit: @Sendable ([CommandRecord]) async throws -> Void

    package init(maximumRecordsPerTransaction: Int = 4_000, commit: @escaping @Sendable ([CommandRecord]) async throws -> Void) {
        self.maximumRecordsPerTransaction = maximumRecordsPerTransaction
        self.commit = commit
    }

    /// Returns once `records` are committed; throws when their transaction failed.
    package func write(_ records: [CommandRecord]) async throws {
        if committing >= maximumTransactionsInFlight {
            let turn = try await withCheckedThrowingContinuation { continuation in
                waiting.append(Waiter(records: records, continuation: continuation))
            }
            // `commitNext`: a finishing committer took our entry out of `waiting` and passed us its role.
            if case .committed = turn { return }
        } else {
            committing += 1
        }
        // Our own records lead; then whoever waits, up to the transaction size. Every entry left in
        // `waiting` has a continuation, so a hand-off always reaches a caller whose records are uncommitted.
        var batch = [Waiter(records: records, continuation: nil)]
        var count = records.count
        while !waiting.isEmpty && count < maximumRecordsPerTransaction {
            let next = waiting.removeFirst()
            count += next.records.count
            batch.append(next)
        }
        var failure: (any Error)?
        do {
            try await commit(batch.count == 1 ? records : batch.flatMap(\.records))
        } catch {
            failure = error
        }
        for waiter in batch {
            if let failure { waiter.continuation?.resume(throwing: failure) } else { waiter.continuation?.resume(returning: .committed) }
        }
        if waiting.isEmpty {
            committing -= 1
        } else {
            waiting.removeFirst().continuation?.resume(returning: .commitNext)
        }
        if let failure { throw failure }
    }
}
