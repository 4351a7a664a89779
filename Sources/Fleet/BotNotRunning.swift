/// The bot has no connected worker to do what was asked.
public struct BotNotRunning: Error {
    public var state: WorkerState
    package init(state: WorkerState) {
        self.state = state
    }
}
