import Foundation
import IPC

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
        guard var data = try? JSONEncoder().encode(record) else { return }
        data.append(UInt8(ascii: "\n"))
        FileHandle.standardOutput.write(data)
    }
    public func state(_ state: String, detail: String?) async {}
    public func session(_ session: SessionState?) async {}
    public func fatal(code: Int, reason: String) async {}
}
