import Fleet
import IOCore

// Jobs follow the fleet's event stream instead of polling the supervisors.
extension JobRunner {
    /// A bot's state as the fleet announced it.
    struct Observed: Sendable {
        var state: WorkerState
        var generation: UInt64
        var reason: String?
    }

    /// Follows `subscription` (made before the caller acted, so nothing is missed) until the bot of
    /// `supervisor` is in a state `done` accepts (with the worker generation it belongs to and its reason);
    /// nil at `deadline` or on cancellation. After a lag marker the supervisor is asked directly.
    nonisolated func waitForState(of supervisor: BotSupervisor, following subscription: FleetSubscription,
                                  deadline: ContinuousClock.Instant,
                                  until done: @escaping @Sendable (Observed) -> Bool) async -> Observed? {
        @Sendable func ask() async -> Observed {
            let status = await supervisor.status()
            return Observed(state: status.state, generation: await supervisor.generation, reason: status.reason)
        }
        let current = await ask()
        if done(current) { return current }
        let bot = supervisor.name
        return await withTaskGroup(of: Observed?.self) { group in
            group.addTask {
                for await element in subscription {
                    switch element {
                    case .event(.botStateChanged(let name, _, let to, let generation, let reason)) where name == bot:
                        let observed = Observed(state: to, generation: generation, reason: reason)
                        if done(observed) { return observed }
                    case .lagged:
                        let now = await ask()
                        if done(now) { return now }
                    default:
                        continue
                    }
                }
                return nil
            }
            group.addTask {
                try? await Reactor.shared.sleep(until: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
