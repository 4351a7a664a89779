import Fleet
import IPC

/// A failure of the control socket itself (not of the command it carried), with a stable code.
public struct ControlError: Error, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(code): \(message)" }
}
