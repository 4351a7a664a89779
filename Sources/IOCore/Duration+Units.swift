/// The one set of `Duration` helpers: whole milliseconds, fractional seconds, and the
/// `500ms`/`10s`/`5m`/`2h`/`30d` spelling that the configuration file and the API's
/// `window` parameters share.
extension Duration {
    /// Whole milliseconds, truncated toward zero.
    public var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
    /// Seconds as a `Double`, with the fraction.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// Parses `1500ms`, `10s`, `5m`, `2h`, `30d`; a bare number is seconds. Only positive
    /// durations below about 290 million years (where milliseconds leave Int64) are accepted,
    /// and zero (`0`, `0s`, `0ms` ...) where `allowingZero`.
    public static func parse(_ value: String, allowingZero: Bool = false) throws(DurationParseError) -> Duration {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, scale) in units where value.hasSuffix(suffix) {
            let number = value.dropLast(suffix.count)
            // `ms` must not be read as `m` + `s`.
            if suffix == "s" && number.hasSuffix("m") { continue }
            if let n = Double(number), n > 0 || (allowingZero && n == 0), n * scale < 9e15 { return .milliseconds(Int64((n * scale * 1000).rounded())) }
        }
        if let n = Double(value), n > 0 || (allowingZero && n == 0), n < 9e15 { return .milliseconds(Int64((n * 1000).rounded())) }
        throw DurationParseError(text: value, allowingZero: allowingZero)
    }
}

/// A duration that `Duration.parse` cannot read.
public struct DurationParseError: Error, Equatable, CustomStringConvertible {
    public var text: String
    public var allowingZero: Bool
    public init(text: String, allowingZero: Bool = false) {
        self.text = text
        self.allowingZero = allowingZero
    }
    public var description: String {
        allowingZero ? "expected a duration such as 0, 500ms, 10s, 5m, 2h or 30d, got `\(text)`"
            : "expected a positive duration such as 500ms, 10s, 5m, 2h or 30d, got `\(text)`"
    }
}
