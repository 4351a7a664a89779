import Testing
import IOCore
@testable import Fleet

@Suite struct FleetEventStreamTests {
    func changed(_ i: Int) -> FleetEvent {
        .botStateChanged(bot: "b\(i)", from: .starting, to: .ready, generation: UInt64(i), reason: nil)
    }

    @Test func everySubscriberGetsEveryEventInOrder() async {
        let stream = FleetEventStream()
        let a = stream.subscribe(), b = stream.subscribe()
        for i in 0..<5 { stream.publish(changed(i)) }
        for subscription in [a, b] {
            var got: [FleetEventStream.Element] = []
            for _ in 0..<5 { if let e = await subscription.next() { got.append(e) } }
            #expect(got == (0..<5).map { .event(changed($0)) })
        }
    }

    @Test func aWaitingSubscriberIsWokenByThePublish() async {
        let stream = FleetEventStream()
        let subscription = stream.subscribe()
        async let first = subscription.next()
        // Published from elsewhere once the subscriber waits (or before: either way it arrives once).
        Task.detached { stream.publish(.sessionHandedOver(bot: "b1")) }
        #expect(await first == .event(.sessionHandedOver(bot: "b1")))
    }

    @Test func aSlowSubscriberLosesItsOldestEventsIsToldHowManyAndNeverBlocksThePublisher() async {
        let stream = FleetEventStream()
        let slow = stream.subscribe(bufferSize: 4), fast = stream.subscribe(bufferSize: 100)
        // Publishing 10 into a buffer of 4 returns without anyone reading.
        for i in 0..<10 { stream.publish(changed(i)) }
        #expect(await slow.next() == .lagged(6))
        var rest: [FleetEventStream.Element] = []
        for _ in 0..<4 { if let e = await slow.next() { rest.append(e) } }
        #expect(rest == (6..<10).map { .event(changed($0)) })
        // The other subscriber lost nothing.
        var all: [FleetEventStream.Element] = []
        for _ in 0..<10 { if let e = await fast.next() { all.append(e) } }
        #expect(all == (0..<10).map { .event(changed($0)) })
    }

    @Test func cancellingAWaitingSubscriberEndsIt() async {
        let stream = FleetEventStream()
        let subscription = stream.subscribe()
        let task = Task { await subscription.next() }
        task.cancel()
        #expect(await task.value == nil)
        stream.publish(.botAdded(bot: "b1"))
        #expect(await subscription.next() == nil)
    }

    @Test func droppingASubscriptionUnsubscribes() {
        let stream = FleetEventStream()
        var subscription: FleetSubscription? = stream.subscribe()
        #expect(stream.subscriberCount == 1)
        _ = subscription
        subscription = nil
        #expect(stream.subscriberCount == 0)
    }

    @Test func aSubscriptionIsAnAsyncSequence() async {
        let stream = FleetEventStream()
        let subscription = stream.subscribe()
        stream.publish(.botAdded(bot: "a"))
        stream.publish(.botRemoved(bot: "a"))
        subscription.cancel()
        var seen: [FleetEventStream.Element] = []
        for await element in subscription { seen.append(element) }
        // A cancelled subscription ends at once; what it had buffered is dropped with it.
        #expect(seen.isEmpty)
    }
}
