/// A control or API failure with a stable code.
public struct FleetError: Error, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(code): \(message)" }

    public static func botNotFound(_ name: String) -> FleetError { FleetError("BOT_NOT_FOUND", "no bot named \(name)") }
}
