import Fleet
import IPC

/// A job request the jobs layer refuses, with the stable code the API reports
/// (the API maps each case to its HTTP status; this layer knows nothing of HTTP).
public enum JobError: Error, Equatable, CustomStringConvertible {
    /// The idempotency key was used before for a different request.
    case idempotencyKeyReused
    /// The job is already finished and cannot be cancelled.
    case alreadyFinished(id: String, state: String)
    /// The job row disappeared between its creation and its read-back.
    case vanished(id: String)

    public var code: ErrorCode {
        switch self {
        case .idempotencyKeyReused: .idempotencyKeyReused
        case .alreadyFinished: .jobFinished
        case .vanished: .internal
        }
    }

    public var message: String {
        switch self {
        case .idempotencyKeyReused: "this Idempotency-Key was used for a different request"
        case let .alreadyFinished(id, state): "job \(id) already \(state)"
        case .vanished: "job vanished"
        }
    }

    public var description: String { "\(code): \(message)" }
}
