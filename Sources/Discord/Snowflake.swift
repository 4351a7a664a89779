import Logging

/// Discord ids: 64-bit snowflakes whose top 42 bits are milliseconds since the
/// Discord epoch, 2015-01-01T00:00:00Z (Discord API reference, "Snowflakes":
/// https://discord.com/developers/docs/reference#snowflakes). The age of an
/// interaction is read from its id: Discord's 3 s response deadline counts from it.
public enum Snowflake {
    /// 2015-01-01T00:00:00Z in Unix milliseconds.
    public static let discordEpoch: Int64 = 1_420_070_400_000

    /// The creation time of `id` in Unix milliseconds, or nil when `id` is not a number.
    public static func unixMilliseconds(of id: String) -> Int64? {
        guard let value = UInt64(id) else { return nil }
        return Int64(value >> 22) + discordEpoch
    }

    /// A snowflake created at `unixMilliseconds`, with `increment` in the low 22 bits.
    public static func make(unixMilliseconds: Int64, increment: UInt64 = 0) -> UInt64 {
        (UInt64(max(0, unixMilliseconds - discordEpoch)) << 22) | (increment & 0x3F_FFFF)
    }

    /// The wall clock in Unix milliseconds (snowflakes are wall-clock times, not monotonic ones).
    public static func nowUnixMilliseconds() -> Int64 {
        WallClock.now().milliseconds
    }
}
