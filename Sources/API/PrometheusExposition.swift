import Fleet
import Operations
import Storage
import Store

/// `GET /metrics` in the Prometheus text exposition format (version 0.0.4).
package enum PrometheusExposition {
    /// Upper bounds of the command duration histogram, in seconds.
    /// They are `command_totals`' columns, so the store and the exposition cannot disagree.
    package static let buckets: [Double] = SupervisorStore.durationBucketsMicros.map { Double($0) / 1e6 }

    package typealias CommandCount = SupervisorStore.CommandCount
    package typealias Histogram = SupervisorStore.CommandHistogram

    package static func render(statuses: [BotStatus], commands: [CommandCount], histograms: [Histogram]) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
            let rendered = labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",")
            out += "\(name)\(labels.isEmpty ? "" : "{\(rendered)}") \(format(value))\n"
        }
        family("botvisor_bot_state", "gauge", "1 for the state each bot's worker is in.")
        for s in statuses {
            for state in WorkerState.allCases { sample("botvisor_bot_state", [("bot", s.name), ("state", state.rawValue)], s.state == state ? 1 : 0) }
        }
        family("botvisor_worker_restarts_total", "counter", "Worker restarts since botvisord started.")
        for s in statuses { sample("botvisor_worker_restarts_total", [("bot", s.name)], Double(s.restarts)) }
        family("botvisor_gateway_rtt_seconds", "gauge", "Gateway heartbeat round trip.")
        for s in statuses { if let ms = s.gatewayRTTMillis { sample("botvisor_gateway_rtt_seconds", [("bot", s.name)], ms / 1000) } }
        family("botvisor_worker_resident_bytes", "gauge", "Worker resident memory.")
        for s in statuses { if let b = s.memoryBytes { sample("botvisor_worker_resident_bytes", [("bot", s.name)], Double(b)) } }
        family("botvisor_discord_429_total", "counter", "429 responses from Discord, as reported by the current worker.")
        for s in statuses { sample("botvisor_discord_429_total", [("bot", s.name)], Double(s.metrics?.rest429 ?? 0)) }
        family("botvisor_gateway_resumes_total", "counter", "Gateway resumes by the current worker.")
        for s in statuses { sample("botvisor_gateway_resumes_total", [("bot", s.name)], Double(s.metrics?.resumes ?? 0)) }
        family("botvisor_gateway_identifies_total", "counter", "Gateway identifies by the current worker.")
        for s in statuses { sample("botvisor_gateway_identifies_total", [("bot", s.name)], Double(s.metrics?.identifies ?? 0)) }
        family("botvisor_gateway_events_total", "counter", "Gateway dispatches received by the current worker.")
        for s in statuses { sample("botvisor_gateway_events_total", [("bot", s.name)], Double(s.metrics?.events ?? 0)) }
        family("botvisor_gateway_reconnects_total", "counter", "Gateway reconnects by the current worker.")
        for s in statuses { sample("botvisor_gateway_reconnects_total", [("bot", s.name)], Double(s.metrics?.reconnects ?? 0)) }
        family("botvisor_discord_rest_calls_total", "counter", "REST requests to Discord by the current worker.")
        for s in statuses { sample("botvisor_discord_rest_calls_total", [("bot", s.name)], Double(s.metrics?.restCalls ?? 0)) }
        family("botvisor_worker_cpu_seconds_total", "counter", "User and system CPU time of the current worker.")
        for s in statuses {
            if let pid = s.pid, let cpu = ProcessSampler.cpuSeconds(pid: pid) { sample("botvisor_worker_cpu_seconds_total", [("bot", s.name)], cpu) }
        }
        family("botvisor_commands_total", "counter", "Commands handled, by bot, command and outcome (from the command log).")
        for c in commands { sample("botvisor_commands_total", [("bot", c.bot), ("command", c.command), ("outcome", c.outcome.rawValue)], Double(c.count)) }
        family("botvisor_command_duration_seconds", "histogram", "Time from receipt to response.")
        for h in histograms {
            for (bound, count) in zip(buckets, h.cumulative) {
                sample("botvisor_command_duration_seconds_bucket", [("bot", h.bot), ("le", format(bound))], Double(count))
            }
            sample("botvisor_command_duration_seconds_bucket", [("bot", h.bot), ("le", "+Inf")], Double(h.count))
            sample("botvisor_command_duration_seconds_sum", [("bot", h.bot)], h.sumSeconds)
            sample("botvisor_command_duration_seconds_count", [("bot", h.bot)], Double(h.count))
        }
        return out
    }

    /// Label values escape backslash, double quote and newline.
    package static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    package static func format(_ v: Double) -> String {
        if v.rounded() == v && abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
