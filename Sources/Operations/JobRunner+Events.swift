import Fleet
import IOCore

// Jobs follow the fleet's event stream instead of polling the supervisors.
extension JobRunner {
    /// Follows `subscription` (made before the caller acted, so nothing is missed) until the bot of
    /// `supervisor` is in a state `done` accepts, given that state and the worker generation it belongs to;
    /// nil at `deadline` or on cancellation. After a lag marker the supervisor is asked directly.
    nonisolated func waitForState(of supervisor: BotSupervisor, following subscription: FleetSubscription,
                                  deadline: ContinuousClock.Instant,
                                  until done: @escaping @Sendable (WorkerState, UInt64) -> Bool) async -> WorkerState? {
        let current = await (supervisor.state, supervisor.generation)
        if done(current.0, current.1) { return current.0 }
        let bot = supervisor.name
        return await withTaskGroup(of: WorkerState?.self) { group in
            group.addTask {
                for await element in subscription {
                    switch element {
                    case .event(.botStateChanged(let name, _, let to, let generation, _)) where name == bot:
                        if done(to, generation) { return to }
                    case .lagged:
                        let now = await (supervisor.state, supervisor.generation)
                        if done(now.0, now.1) { return now.0 }
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
