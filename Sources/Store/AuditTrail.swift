import Auth
import Logging

/// The one way events enter the audit log: the API's audit middleware and the daemon's control socket
/// call `record`, which seals the event onto the hash chain in SQLite (`appendAudit`) and writes it as
/// one journald line (warning for refusals and failed logins, notice otherwise). The journal copy is the
/// outside witness the chain itself cannot be (see `AuditChain`).
///
/// `rate.limited` is aggregated: one row per actor and client address per minute with the number of
/// refused requests, not one row per request (a flood must not become a flood of rows).
public actor AuditTrail {
    /// Refusals counted in the current minute, per (actor, address). Bounded: past `maximumPending`
    /// keys the rest are counted under one `*` key, so a flood from many addresses costs fixed memory.
    struct PendingKey: Hashable { var actor: String; var address: String }
    struct Pending { var count: Int; var policy: String; var firstRequestID: String? }

    let store: SupervisorStore
    let logger: Logger
    let now: @Sendable () -> Int64
    static let maximumPending = 1024
    private var pendingMinute: Int64 = -1
    private var pending: [PendingKey: Pending] = [:]
    /// Events that could not be written (the database failed): also on the journal as errors.
    public private(set) var failedWrites = 0
    /// Called with each row once it is on the chain: the daemon puts it on the fleet event stream, where
    /// the live feed's `audit` topic shows it to admins (`seq` orders them).
    let published: (@Sendable (AuditRow) -> Void)?

    public init(store: SupervisorStore, logger: Logger = Logger(label: "audit"),
                now: @escaping @Sendable () -> Int64 = { WallClock.now().milliseconds },
                published: (@Sendable (AuditRow) -> Void)? = nil) {
        self.store = store
        self.logger = logger
        self.now = now
        self.published = published
    }

    /// Records one event. Never throws: a failed write is logged at error (with the event) and counted.
    @discardableResult
    public func record(actor: String, address: String? = nil, action: AuditAction, target: String? = nil, outcome: AuditOutcome,
                       requestID: String? = nil, details: [String: String] = [:]) async -> AuditRow? {
        let entry = AuditEntry(sequence: 0, time: now(), actor: actor, address: address, action: action.rawValue, target: target,
                               outcome: outcome.rawValue, requestID: requestID, details: details)
        return await write(entry, warning: action.isWarning || outcome == .denied)
    }

    /// Counts one rate-limited request; rows for earlier minutes are written first.
    public func noteRateLimited(actor: String, address: String?, policy: String, requestID: String?) async {
        let minute = now() / 60_000
        if minute != pendingMinute { await flushRateLimited() }
        pendingMinute = minute
        var key = PendingKey(actor: actor, address: address ?? "-")
        if pending[key] == nil && pending.count >= AuditTrail.maximumPending { key = PendingKey(actor: "*", address: "*") }
        pending[key, default: Pending(count: 0, policy: policy, firstRequestID: requestID)].count += 1
    }

    /// Writes one `rate.limited` row per key counted so far (when the minute turns, and at shutdown).
    public func flushRateLimited() async {
        let batch = pending
        let minute = pendingMinute
        pending = [:]
        for (key, value) in batch.sorted(by: { ($0.key.actor, $0.key.address) < ($1.key.actor, $1.key.address) }) {
            let entry = AuditEntry(sequence: 0, time: now(), actor: key.actor, address: key.address == "-" ? nil : key.address,
                                   action: AuditAction.rateLimited.rawValue, target: nil, outcome: AuditOutcome.denied.rawValue,
                                   requestID: value.firstRequestID,
                                   details: ["requests": String(value.count), "policy": value.policy, "minute": String(minute * 60_000)])
            await write(entry, warning: true)
        }
    }

    /// Writes the counted refusals once their minute has ended (the daemon calls it every few seconds).
    public func flushEndedMinute() async {
        guard !pending.isEmpty, now() / 60_000 != pendingMinute else { return }
        await flushRateLimited()
    }

    /// Retention: removes every row older than `age` (a whole prefix), notes where the chain starts
    /// (`audit_anchor`), and records that as an `audit.pruned` row.
    public func prune(olderThan age: Duration) async {
        let cutoff = now() - age.components.seconds * 1000
        do {
            guard let (anchor, removed) = try await store.pruneAudit(olderThan: cutoff) else { return }
            await record(actor: "botvisord", action: .auditPruned, outcome: .success,
                         details: ["removed": String(removed), "chain_starts_after": String(anchor.sequence),
                                   "anchor_hash": SupervisorStore.hex(anchor.hash)])
        } catch {
            logger.error("audit retention failed", ["error": error])
        }
    }

    @discardableResult
    private func write(_ entry: AuditEntry, warning: Bool) async -> AuditRow? {
        func fields(_ seq: Int64) -> KeyValuePairs<String, Any> {
            ["seq": seq, "action": entry.action, "actor": entry.actor, "address": entry.address ?? "-", "target": entry.target ?? "-",
             "outcome": entry.outcome, "request_id": entry.requestID ?? "-",
             "details": entry.details.keys.sorted().map { "\($0)=\(entry.details[$0]!)" }.joined(separator: ",")]
        }
        do {
            let row = try await store.appendAudit(entry)
            logger.log(warning ? .warning : .notice, "audit", fields(row.entry.sequence))
            published?(row)
            return row
        } catch {
            failedWrites += 1
            logger.error("audit write failed", ["action": entry.action, "actor": entry.actor, "error": error])
            return nil
        }
    }
}
