// Worker benchmarks against the Discord simulator (Benchmarks/worker.sh runs this, release build):
//   dispatch  MESSAGE_CREATE events parsed and routed per second by one worker
//   latency   interaction received -> callback sent, p50/p99, real worker process
//   memory    worker RSS idle after READY, and PSS of 10 workers
import BotWorker
import Discord
import DiscordSim
import Foundation
import IOCore
import IPC
import JSON
import Logging

LoggingSystem.bootstrap(level: .error)
let mode = CommandLine.arguments.dropFirst().first ?? "all"
let binDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path

struct Silent: WorkerReporter {
    func record(_ record: CommandRecord) async {}
    func state(_ state: GatewayStatus, detail: String?) async {}
    func session(_ session: SessionState?) async {}
    func fatal(code: Int, reason: String) async {}
}

func withSim(_ body: (DiscordSimulator) async throws -> Void) async throws {
    var c = DiscordSimulator.Configuration()
    c.heartbeatInterval = .seconds(30)
    let sim = try DiscordSimulator(configuration: c)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await sim.run() }
        try await body(sim)
        await sim.shutdown()
        group.cancelAll()
    }
}

func dispatchThroughput() async throws {
    try await withSim { sim in
        await sim.addBot(name: "bench", token: "tok-bench")
        let runtime = BotRuntime(config: WorkerConfig(bot: "bench", token: "tok-bench", prefix: "!", apiBase: sim.apiBase),
                                 reporter: Silent(), logger: Logger(label: "bench"))
        let task = Task { try await runtime.run() }
        while true {
            let injected = await sim.injectEvent(bot: "bench", name: "PING_PROBE", data: [:])
            let identified = await runtime.metrics.identifies
            if injected && identified > 0 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let n = 100_000
        let before = await runtime.metrics.events
        let start = ContinuousClock.now
        // Realistic MESSAGE_CREATE payloads (not commands: parsed, routed and dropped).
        for i in 0..<n { await sim.injectMessage(bot: "bench", content: "hello world \(i), nothing to see", channelID: "\(7000 + i % 50)") }
        while await runtime.metrics.events - before < n { try await Task.sleep(for: .milliseconds(5)) }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "dispatch: %d MESSAGE_CREATE in %.2f s = %.0f events/s (simulator in the same process)", n, seconds, Double(n) / seconds))
        await runtime.stop(handover: false)
        _ = try? await task.value
    }
}

func spawnWorker(_ sim: DiscordSimulator, token: String, dir: String) throws -> ChildProcess {
    try token.write(toFile: "\(dir)/\(token)", atomically: true, encoding: .utf8)
    return try ChildProcess(path: "\(binDir)/botvisor-worker",
                            arguments: ["--standalone", "--token-file", "\(dir)/\(token)", "--api-base", sim.apiBase],
                            environment: ["PATH": "/usr/bin:/bin", "BOTVISOR_LOG_LEVEL": "error"], output: .discard)
}

func interactionLatency() async throws {
    try await withSim { sim in
        let dir = NSTemporaryDirectory() + "bvbench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        await sim.addBot(name: "lat", token: "tok-lat")
        let worker = try spawnWorker(sim, token: "tok-lat", dir: dir)
        while await sim.injectEvent(bot: "lat", name: "PING_PROBE", data: [:]) == false { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(500))
        let n = 2000
        for i in 0..<n {
            let id = await sim.injectInteraction(bot: "lat", command: "help", userID: "\(10_000 + i)")
            while await sim.snapshot().callbacks.last?.interactionID != id { try await Task.sleep(for: .microseconds(200)) }
        }
        let latencies = await sim.snapshot().callbacks.map { Double($0.latency.components.attoseconds) / 1e12 + Double($0.latency.components.seconds) * 1e6 }.sorted()
        func p(_ q: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))] }
        print(String(format: "interaction: %d /help, event sent -> callback received: p50 %.0f µs, p99 %.0f µs, max %.0f µs",
                     latencies.count, p(0.5), p(0.99), latencies.last ?? 0))
        worker.signal(SIGTERM)
        _ = try await worker.waitForExit()
    }
}

func memory() async throws {
    try await withSim { sim in
        let dir = NSTemporaryDirectory() + "bvbench-mem-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var workers: [ChildProcess] = []
        for i in 0..<10 {
            await sim.addBot(name: "m\(i)", token: "tok-m\(i)")
            workers.append(try spawnWorker(sim, token: "tok-m\(i)", dir: dir))
        }
        while await sim.liveConnectionCount < 10 { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .seconds(2))
        func field(_ pid: Int32, _ file: String, _ name: String) -> Int {
            let text = (try? String(contentsOfFile: "/proc/\(pid)/\(file)", encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
                return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
            }
            return 0
        }
        let rss = workers.map { field($0.pid, "status", "VmRSS") }
        let pss = workers.map { field($0.pid, "smaps_rollup", "Pss") }
        print(String(format: "memory: worker RSS idle after READY %.1f MB (median of 10); PSS of 10 workers %.1f MB total, %.1f MB each",
                     Double(rss.sorted()[5]) / 1024, Double(pss.reduce(0, +)) / 1024, Double(pss.reduce(0, +)) / 10240))
        for w in workers { w.signal(SIGTERM) }
        for w in workers { _ = try await w.waitForExit() }
    }
}

if mode == "dispatch" || mode == "all" { try await dispatchThroughput() }
if mode == "latency" || mode == "all" { try await interactionLatency() }
if mode == "memory" || mode == "all" { try await memory() }
