import FoundationEssentials
import IPC
import Logging

/// Where finished command records and state go: the supervisor over IPC, or
/// stdout as NDJSON in standalone mode.
public protocol WorkerReporter: Sendable {
    func record(_ record: CommandRecord) async
    func state(_ state: String, detail: String?) async
    func session(_ session: SessionState?) async
    func fatal(code: Int, reason: String) async
}

/// Standalone mode: each command record as one JSON line on stdout.
public struct NDJSONReporter: WorkerReporter {
    public init() {}
    public func record(_ record: CommandRecord) async {
        guard let data = try? JSONEncoder().encode(record) else { return }
        FileDescriptorSink(fd: 1).write(line: String(decoding: data, as: UTF8.self) + "\n")
    }
    public func state(_ state: String, detail: String?) async {}
    public func session(_ session: SessionState?) async {}
    public func fatal(code: Int, reason: String) async {}
}
