import Fleet

/// The human table `botvisorctl status` prints.
public enum StatusTable {
    public static func render(_ bots: [BotStatus]) -> String {
        let header = ["NAME", "STATE", "PID", "UPTIME", "RESTARTS", "RTT", "MEMORY", "LAST EXIT / REASON"]
        var rows = [header]
        for b in bots {
            rows.append([
                b.name,
                b.state.rawValue + (b.enabled ? "" : " (disabled)"),
                b.pid.map(String.init) ?? "-",
                b.uptimeSeconds.map(formatDuration) ?? "-",
                "\(b.restarts) (\(b.restartsInWindow) recent)",
                b.gatewayRTTMillis.map { "\(Int($0.rounded())) ms" } ?? "-",
                b.memoryBytes.map { "\($0 / (1024 * 1024)) MiB" } ?? "-",
                b.reason ?? b.lastExit ?? "-",
            ])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    package static func formatDuration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(s % 60)s" }
        if s < 86_400 { return "\(s / 3600)h\(s % 3600 / 60)m" }
        return "\(s / 86_400)d\(s % 86_400 / 3600)h"
    }
}
