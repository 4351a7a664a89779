import BuildInfo
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

    /// The daemon's own figures: `process_*` as client libraries export them, the database's size.
    package struct DaemonFigures: Sendable {
        package var process: ProcessSampler.Figures?
        package var databaseBytes: Int?
        package var now: Double
        package init(process: ProcessSampler.Figures?, databaseBytes: Int?, now: Double) {
            self.process = process
            self.databaseBytes = databaseBytes
            self.now = now
        }
    }

    package static func render(statuses: [BotStatus], commands: [CommandCount], histograms: [Histogram],
                               daemon: DaemonFigures? = nil, invalidRequests: InvalidRequestStatus? = nil) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
            let rendered = labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",")
            out += "\(name)\(labels.isEmpty ? "" : "{\(rendered)}") \(format(value))\n"
        }
        family("botvisor_build_info", "gauge", "Always 1; the labels say which botvisord build is running.")
        sample("botvisor_build_info", [("version", BuildInfo.version), ("commit", BuildInfo.commit ?? "")], 1)
        if let daemon {
            if let p = daemon.process {
                family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
                sample("process_cpu_seconds_total", [], p.cpuSeconds)
                family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
                sample("process_resident_memory_bytes", [], Double(p.residentBytes))
                family("process_open_fds", "gauge", "Number of open file descriptors.")
                sample("process_open_fds", [], Double(p.openFDs))
                family("process_max_fds", "gauge", "Maximum number of open file descriptors.")
                sample("process_max_fds", [], Double(p.maxFDs))
                family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
                sample("process_start_time_seconds", [], p.startTimeSeconds)
            }
            if let bytes = daemon.databaseBytes {
                family("botvisor_db_size_bytes", "gauge", "Size of the SQLite database on disk, its write-ahead log included.")
                sample("botvisor_db_size_bytes", [], Double(bytes))
            }
            family("botvisor_worker_start_time_seconds", "gauge", "When each bot's current worker started, Unix seconds (counters reset then).")
            for s in statuses {
                if s.pid != nil, let up = s.uptimeSeconds { sample("botvisor_worker_start_time_seconds", [("bot", s.name)], (daemon.now - up).rounded()) }
            }
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
        family("botvisor_discord_invalid_requests", "gauge",
               "401/403/429 answers from Discord in the last 10 minutes, as reported by the current worker (the host shares a budget).")
        for s in statuses { sample("botvisor_discord_invalid_requests", [("bot", s.name)], Double(s.metrics?.invalidRequests ?? 0)) }
        if let invalidRequests {
            family("botvisor_discord_invalid_requests_used", "gauge", "Invalid requests the whole host spent in the last 10 minutes.")
            sample("botvisor_discord_invalid_requests_used", [], Double(invalidRequests.used))
            family("botvisor_discord_invalid_request_budget", "gauge", "Discord's invalid-request budget per 10 minutes for this host.")
            sample("botvisor_discord_invalid_request_budget", [], Double(invalidRequests.budget))
            family("botvisor_bot_discord_paused", "gauge", "1 while a bot's REST calls are held to keep the host under the invalid-request budget.")
            for s in statuses { sample("botvisor_bot_discord_paused", [("bot", s.name)], invalidRequests.pausedBots.contains(s.name) ? 1 : 0) }
        }
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
