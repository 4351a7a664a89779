import IPC
/// A control or API failure with a stable code.
public struct FleetError: Error, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(code): \(message)" }

    public static func botNotFound(_ name: String) -> FleetError { FleetError(.botNotFound, "no bot named \(name)") }
}
