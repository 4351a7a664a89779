import Testing
import Glibc
import Foundation
@testable import IOCore
import TestSupport

@Suite struct ChildProcessTests {
    @Test func aChildsOutputAndExitStatusArrive() async throws {
        let child = try ChildProcess(path: "/bin/sh", arguments: ["-c", "echo hello; echo oops >&2; exit 3"], environment: [:])
        var out: [UInt8] = []
        while try await child.output!.read(into: &out) > 0 {}
        #expect(String(decoding: out, as: UTF8.self) == "hello\noops\n")
        #expect(try await child.waitForExit() == .exited(3))
    }

    @Test func aKilledChildIsReapedWithItsSignal() async throws {
        let child = try ChildProcess(path: "/bin/sleep", arguments: ["30"], environment: [:], output: .discard)
        #expect(child.signal(SIGKILL))
        #expect(try await child.waitForExit() == .signaled(SIGKILL))
        // Reaped: no zombie left behind.
        var st: Int32 = 0
        #expect(waitpid(child.pid, &st, WNOHANG) == -1)
    }

    @Test func theChildRunsInItsOwnProcessGroupWithOnlyTheGivenEnvironment() async throws {
        let child = try ChildProcess(path: "/bin/sh", arguments: ["-c", "ps -o pgid= -p $$; env"], environment: ["ONLY": "this"], output: .merged)
        var out: [UInt8] = []
        while try await child.output!.read(into: &out) > 0 {}
        _ = try await child.waitForExit()
        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first == String(child.pid))
        #expect(lines.contains("ONLY=this"))
        #expect(!lines.contains { $0.hasPrefix("HOME=") })
    }
}
