import Fleet

/// A failure of the control socket itself (not of the command it carried), with a stable code.
public struct ControlError: Error, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(code): \(message)" }
}
