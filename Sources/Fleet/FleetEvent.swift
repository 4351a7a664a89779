import IOCore
import IPC
import JSON

/// Something that happened in the fleet, as every consumer inside the daemon sees it (jobs, caches,
/// the live feed, the audit log and the dashboard). Published on `FleetEventStream`.
public enum FleetEvent: Sendable, Equatable {
    /// A bot's shown state changed; `generation` is its worker's (a new value means a new process).
    case botStateChanged(bot: String, from: WorkerState, to: WorkerState, generation: UInt64, reason: String?)
    case workerExited(bot: String, generation: UInt64, status: ExitStatus, ranFor: Duration)
    /// A worker stopped with handover: its successor resumes the session.
    case sessionHandedOver(bot: String)
    /// A batch of a bot's command records is committed (and acknowledged), with the records themselves
    /// (the live feed shows each one).
    case commandRecordsCommitted(bot: String, records: [CommandRecord])
    /// The metrics recorder stored samples or averages.
    case metricsSampled(samples: Int)
    /// A bulk job's item finished (`seq`), or the job itself changed state (`seq` nil).
    case jobProgress(job: String, seq: Int?, state: String)
    case botAdded(bot: String)
    /// A bot's configuration was changed (the API or `botvisorctl`): its status shows the new one.
    case botUpdated(bot: String)
    case botRemoved(bot: String)
    /// Products of a catalog changed (stock, visibility or anything else a display shows).
    case stockChanged(catalog: Int64, skus: [String])
    /// A stock display's messages on Discord now show its current rendering.
    case displayUpdated(display: Int64, bot: String, messageIDs: [String])
    /// Discord refused a stock display for good (unknown channel, no access); `code` is Discord's.
    case displayBroken(display: Int64, bot: String, code: String, message: String)
    /// An audit row was written: `row` is the row as `GET /api/v1/audit` lists it (details hold no secret).
    case audited(row: JSON)

    /// The number of records in a `commandRecordsCommitted`, else 0.
    public var recordCount: Int {
        if case .commandRecordsCommitted(_, let records) = self { records.count } else { 0 }
    }

    /// The bot the event is about, if any.
    public var bot: String? {
        switch self {
        case .botStateChanged(let bot, _, _, _, _), .workerExited(let bot, _, _, _), .sessionHandedOver(let bot),
             .commandRecordsCommitted(let bot, _), .botAdded(let bot), .botUpdated(let bot), .botRemoved(let bot), .displayUpdated(_, let bot, _),
             .displayBroken(_, let bot, _, _):
            bot
        case .metricsSampled, .jobProgress, .stockChanged, .audited:
            nil
        }
    }
}
