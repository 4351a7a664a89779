import IPC

extension WorkerState {
    /// The supervisor's state for what a running worker reports, or nil when the report is not the worker's to
    /// make: a worker that stopped or failed is judged by its exit (code, restart budget), not by its word.
    public init?(reported status: GatewayStatus) {
        switch status {
        case .connecting: self = .connecting
        case .resuming: self = .resuming
        case .ready: self = .ready
        case .stopped, .failed: return nil
        }
    }
}
