#if canImport(Glibc)
import Glibc
#endif
import Discord
import IOCore
import IPC
import Logging

// Split from BotSupervisor.swift by concern; members are internal (not private) so the files share them.
extension BotSupervisor {
    func handle(message envelope: IPCEnvelope, group: inout DiscardingTaskGroup) {
        switch envelope.message {
        case .state(let report):
            // Only the states a running worker is in come from it; stopped and failed are the supervisor's to decide.
            if stopRequestedAt == nil, let s = WorkerState(reported: report.state) {
                // Ready, not from resuming: the worker identified (its session report may come later).
                if s == .ready && state != .resuming { lastIdentifyAt = .now }
                setState(s)
            }
        case .session(let s):
            // A session reported while the worker closes it for good (a stop without handover) is already over.
            if stopRequestedAt != nil && !handoverRequested { return }
            // Kept in memory at once (a replacement worker gets it); written to SQLite on the next tick,
            // or at once for a new session, so a busy gateway does not cost a transaction per event.
            let isNew = s.sessionID != session?.sessionID
            if isNew { lastIdentifyAt = .now }
            session = s
            sessionDirty = true
            if isNew { persistSession(group: &group) }
        case .metrics(let m):
            metrics = m
            metricsReceivedAt = .now
        case .fatal(let report):
            fatal = report
        case .commands(let batch):
            guard let connection else { return }
            let sink = environment.records, log = logger
            group.addTask {
                do {
                    try await sink.store(batch.records)
                    // Acknowledge only after the commit: the worker resends anything unacknowledged.
                    try await connection.send(.ack(Ack(ids: batch.records.map(\.id))))
                } catch {
                    log.error("storing command records failed; the worker will resend them", ["error": error])
                }
            }
        case .heartbeat, .reply, .hello, .welcome, .configure, .ack, .stop, .sendMessage:
            break
        }
    }
}
