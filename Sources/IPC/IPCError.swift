/// Why an IPC connection was closed.
public enum IPCError: Error, Equatable, CustomStringConvertible {
    case emptyFrame
    case frameTooLarge(Int, limit: Int)
    case malformedMessage(String)
    case unexpectedMessage(String)
    case versionMismatch(Int)
    case unauthenticatedPeer(pid: Int32)
    case closed
    case timedOut

    public var description: String {
        switch self {
        case .emptyFrame: "empty frame"
        case .frameTooLarge(let n, let limit): "frame of \(n) bytes exceeds the limit of \(limit)"
        case .malformedMessage(let why): "malformed message: \(why)"
        case .unexpectedMessage(let type): "unexpected message \(type)"
        case .versionMismatch(let v): "unsupported protocol version \(v)"
        case .unauthenticatedPeer(let pid): "peer pid \(pid) is not a worker we spawned"
        case .closed: "connection closed"
        case .timedOut: "timed out"
        }
    }
}
