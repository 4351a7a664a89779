import JSON
import IPC
import Logging

/// Where finished command records and state go: the supervisor over IPC, or
/// stdout as NDJSON in standalone mode.
public protocol WorkerReporter: Sendable {
    /// Called before a command is answered, with the record to store if the worker dies first
    /// (outcome `interrupted`), the gateway event it answers and that event's session position.
    /// False when the event was handled before (a replay): it is then neither answered nor recorded.
    func begin(_ interrupted: CommandRecord, event: String, position: SessionState?) async -> Bool
    func record(_ record: CommandRecord) async
    func state(_ state: GatewayStatus, detail: String?) async
    func session(_ session: SessionState?) async
    func fatal(code: Int, reason: String) async
}

extension WorkerReporter {
    /// Without a spool there is nothing to refuse a replay by: every event is handled.
    public func begin(_ interrupted: CommandRecord, event: String, position: SessionState?) async -> Bool { true }
}

/// Standalone mode: each command record as one JSON line on stdout.
public struct NDJSONReporter: WorkerReporter {
    public init() {}
    public func record(_ record: CommandRecord) async {
        guard let data = try? JSONValueEncoder().encodeBytes(record) else { return }
        FileDescriptorSink(fd: 1).write(line: String(decoding: data, as: UTF8.self) + "\n")
    }
    public func state(_ state: GatewayStatus, detail: String?) async {}
    public func session(_ session: SessionState?) async {}
    public func fatal(code: Int, reason: String) async {}
}
