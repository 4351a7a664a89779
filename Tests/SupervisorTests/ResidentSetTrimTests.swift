import Fleet
@testable import Supervisor
import Testing

@Suite struct ResidentSetTrimTests {
    @Test func trimsOnceTheFleetSettlesThenOncePerPeriodAndAgainAfterEachStartUp() {
        var trim = ResidentSetTrim(period: .seconds(600))
        let t0 = ContinuousClock.now
        func at(_ seconds: Int, settled: Bool = true) -> Bool { trim.shouldTrim(settled: settled, now: t0 + .seconds(seconds)) }
        #expect(!at(0, settled: false))
        #expect(at(5))
        #expect(!at(10))
        #expect(!at(604))
        #expect(at(605))
        // A bot restarting runs start-up code again: the next settled moment trims at once.
        #expect(!at(610, settled: false))
        #expect(at(615))
        #expect(!at(620))
    }

    @Test func aBotStartingConnectingOrResumingIsNotSettled() {
        #expect(ResidentSetTrim.isSettled([.ready, .backoff, .failed, .authFailed, .stopped, .stopping]))
        #expect(ResidentSetTrim.isSettled([]))
        for state in [WorkerState.starting, .connecting, .resuming] {
            #expect(!ResidentSetTrim.isSettled([.ready, state]))
        }
    }
}
