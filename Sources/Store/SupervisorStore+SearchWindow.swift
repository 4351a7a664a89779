import Storage

/// Where a time window starts in rowid order, for the windowed full-text search (`textSearch`).
///
/// The search needs the smallest rowid of any row that started at or after `lo`. rowids are not in
/// time order (late records), so the time index alone answers it by walking every entry of the
/// window: for a rare word the window holds tens of thousands of rows (2-3 ms at 10M rows).
/// `command_log_blocks` keeps, per block of 256 consecutive rowids, the newest `started_at` in it:
/// the first block whose newest start is in the window is found from its index in a few entries,
/// and the first row of that block in the window by reading at most 256 rows in rowid order.
/// The store adds each transaction's blocks in that transaction (`insert`, the only writer of
/// `command_logs`); retention deletes blocks wholly below the oldest row. A block's figure can
/// only be too new (rows deleted from it), which makes the bound lower, never wrong.
extension SupervisorStore {
    /// rowids per block: 2^8.
    package static let searchBlockShift: Int64 = 8

    package static let searchBlocksSchema = """
        -- Per block of 256 rowids (rowid >> 8), the newest started_at in it: the full-text search finds where a
        -- time window starts in rowid order from here (SupervisorStore+SearchWindow.swift).
        CREATE TABLE command_log_blocks (
            block INTEGER PRIMARY KEY,
            max_started_at INTEGER NOT NULL
        );
        CREATE INDEX command_log_blocks_time ON command_log_blocks (max_started_at);
        \(searchBlocksFill)
        """

    /// Fills `command_log_blocks` from the rows there are (migration 11).
    package static let searchBlocksFill = """
        -- Block by block in rowid order: a GROUP BY over the whole log would sort it first.
        WITH RECURSIVE blocks(n) AS (
            SELECT (SELECT min(rowid) FROM command_logs) >> 8
            UNION ALL SELECT n + 1 FROM blocks WHERE n < (SELECT max(rowid) FROM command_logs) >> 8
        )
        INSERT INTO command_log_blocks
            SELECT n, newest FROM (
                SELECT n, (SELECT max(started_at) FROM command_logs WHERE rowid >= n << 8 AND rowid < (n + 1) << 8) AS newest FROM blocks
            ) WHERE newest IS NOT NULL;
        """

    /// Raises each block's newest start to the newest of the rows just inserted into it.
    static func noteBlocks(_ newest: [Int64: Int64], db: Database) throws {
        let upsert = try db.cachedStatement("""
            INSERT INTO command_log_blocks (block, max_started_at) VALUES (?, ?)
            ON CONFLICT (block) DO UPDATE SET max_started_at = max(max_started_at, excluded.max_started_at)
            """)
        for (block, startedAt) in newest {
            try upsert.execute([block, startedAt])
        }
    }

    /// A rowid at or below that of every row started at or after `lo`, and equal to the smallest
    /// such rowid when the block holding it still has a row in the window; nil when no row is.
    static func firstRowID(startedFrom lo: Int64, db: Database) throws -> Int64? {
        // INDEXED BY: on its own the planner answers min(block) by walking every block in order.
        guard let block = try db.first("SELECT min(block) FROM command_log_blocks INDEXED BY command_log_blocks_time WHERE max_started_at >= ?",
                                       [lo])?.decode(0, as: Int64?.self) else { return nil }
        let start = block << searchBlockShift, end = (block + 1) << searchBlockShift
        // No row of the block in the window (retention deleted it): every such row lies above the block.
        return try db.first("SELECT min(rowid) FROM command_logs WHERE rowid >= ? AND rowid < ? AND started_at >= ?",
                            [start, end, lo])?.decode(0, as: Int64?.self) ?? end
    }

    /// Blocks wholly below the oldest row (all of them when the log is empty), in the deleting transaction.
    static func forgetDeletedBlocks(db: Database) throws {
        try db.execute("""
            DELETE FROM command_log_blocks
            WHERE block < ifnull((SELECT min(rowid) FROM command_logs) >> 8, (SELECT max(block) + 1 FROM command_log_blocks))
            """, [])
    }
}
