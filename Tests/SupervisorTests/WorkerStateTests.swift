import Testing
import IPC
@testable import Fleet

@Suite struct WorkerStateTests {
    @Test func aRunningWorkersReportMapsOntoTheSameStateAndAnEndingOneIsLeftToItsExit() {
        #expect(WorkerState(reported: .connecting) == .connecting)
        #expect(WorkerState(reported: .resuming) == .resuming)
        #expect(WorkerState(reported: .ready) == .ready)
        #expect(WorkerState(reported: .stopped) == nil)
        #expect(WorkerState(reported: .failed) == nil)
        // Every state a worker can take over the wire is spelled the way the supervisor spells it.
        for status in GatewayStatus.allCases { #expect(WorkerState(rawValue: status.rawValue) != nil) }
    }
}
