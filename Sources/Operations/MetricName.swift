/// A metric `MetricsRecorder` stores in `metric_samples.metric` (the raw value). Counters are stored as
/// per-second rates, hence the `_per_second` names.
public enum MetricName: String, Sendable, CaseIterable, Hashable {
    case cpuPercent = "cpu_percent"
    case rssBytes = "rss_bytes"
    case uptimeSeconds = "uptime_seconds"
    case gatewayRTTMillis = "gateway_rtt_ms"
    case eventsPerSecond = "events_per_second"
    case commandsPerSecond = "commands_per_second"
    case restCallsPerSecond = "rest_calls_per_second"
    case rest429PerSecond = "rest_429_per_second"
    case reconnectsPerSecond = "reconnects_per_second"
    case resumesPerSecond = "resumes_per_second"
    case identifiesPerSecond = "identifies_per_second"
    /// botvisord's database file.
    case dbBytes = "db_bytes"
    /// Command records stored per second, fleet-wide.
    case ingestPerSecond = "ingest_per_second"

    /// Every metric stored per bot.
    public static let bot: [MetricName] = [.cpuPercent, .rssBytes, .uptimeSeconds, .gatewayRTTMillis, .eventsPerSecond,
                                           .commandsPerSecond, .restCallsPerSecond, .rest429PerSecond, .reconnectsPerSecond,
                                           .resumesPerSecond, .identifiesPerSecond]
    /// Every metric stored for `_system` (botvisord itself).
    public static let system: [MetricName] = [.cpuPercent, .rssBytes, .uptimeSeconds, .dbBytes, .ingestPerSecond]
}
