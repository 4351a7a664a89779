import Testing
import Foundation
import IOCore
import Logging
import TestSupport
@testable import Fleet
@testable import Operations
@testable import Store

/// What follows the fleet event stream inside the daemon: the recorder's cache listeners, and the store's identify clock.
@Suite struct FleetEventConsumersTests {
    actor Counter {
        var value = 0
        func increment() { value += 1 }
    }

    @Test func aStateChangeOnTheEventStreamEmptiesTheCachesAndARecordCommitDoesNot() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            let fleet = TestFleet.idle(store: store, dir: dir)
            let recorder = MetricsRecorder(fleet: fleet, store: store, logger: Logger(label: "test"))
            let invalidations = Counter()
            recorder.onSamplesStored { await invalidations.increment() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await recorder.followEvents() }
                try await eventually(timeout: .seconds(30), "the recorder subscribed") { fleet.events.subscriberCount == 1 }
                fleet.events.publish(.commandRecordsCommitted(bot: "b1", records: []))
                fleet.events.publish(.botStateChanged(bot: "b1", from: .ready, to: .backoff, generation: 2, reason: nil))
                try await eventually(timeout: .seconds(30), "the invalidation") { await invalidations.value >= 1 }
                // Events arrive in order: the commit before the state change was seen and ignored.
                #expect(await invalidations.value == 1)
                fleet.events.publish(.metricsSampled(samples: 4))
                try await eventually(timeout: .seconds(30), "the second invalidation") { await invalidations.value == 2 }
                group.cancelAll()
            }
            await store.close()
        }
    }

    @Test func theLastIdentifyTimeIsKeptPerBotInSQLite() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            try await store.add(BotDefinition(name: "b1", token: "t1"))
            #expect(try await store.lastIdentify(bot: "b1") == nil)
            await store.saveIdentify(bot: "b1", unixMillis: 1_780_000_000_123)
            #expect(try await store.lastIdentify(bot: "b1") == 1_780_000_000_123)
            await store.close()
            let reopened = try await SupervisorStore(stateDirectory: dir)
            #expect(try await reopened.lastIdentify(bot: "b1") == 1_780_000_000_123)
            await reopened.close()
        }
    }
}
