// Worker benchmarks against the Discord simulator (Benchmarks/worker.sh runs this, release build):
//   dispatch  MESSAGE_CREATE events parsed and routed per second by one worker
//   latency   interaction received -> callback sent, p50/p99, real worker process
//   memory    worker RSS idle after READY, and PSS of 10 workers: plain, then over TLS (as against real Discord),
//             with where one worker's resident memory is (smaps, by mapping)
import BotWorker
import Discord
import DiscordSim
import Foundation
import IOCore
import IPC
import JSON
import Logging
import TLS

LoggingSystem.bootstrap(level: .error)
let mode = CommandLine.arguments.dropFirst().first ?? "all"
let binDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path

struct Silent: WorkerReporter {
    func record(_ record: CommandRecord) async {}
    func state(_ state: GatewayStatus, detail: String?) async {}
    func session(_ session: SessionState?) async {}
    func fatal(code: Int, reason: String) async {}
}

func withSim(tls: TLSServerContext? = nil, _ body: (DiscordSimulator) async throws -> Void) async throws {
    var c = DiscordSimulator.Configuration()
    c.heartbeatInterval = .seconds(30)
    let sim = try DiscordSimulator(configuration: c, tls: tls)
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

func spawnWorker(_ sim: DiscordSimulator, token: String, dir: String, trust: String? = nil) throws -> ChildProcess {
    try AtomicFile.replace("\(dir)/\(token)", with: Array(token.utf8), mode: 0o600)
    var environment = ["PATH": "/usr/bin:/bin", "BOTVISOR_LOG_LEVEL": "error"]
    if let trust { environment["SSL_CERT_FILE"] = trust }
    return try ChildProcess(path: "\(binDir)/botvisor-worker",
                            arguments: ["--standalone", "--token-file", "\(dir)/\(token)", "--api-base", sim.apiBase],
                            environment: environment, output: .discard)
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

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A throwaway self-signed certificate for localhost (the openssl tool), for the simulator to serve TLS with and
/// the workers to trust through SSL_CERT_FILE.
func makeCertificate(in dir: String) async throws -> (certificate: String, key: String) {
    let (certificate, key) = ("\(dir)/sim.pem", "\(dir)/sim.key")
    let openssl = try ChildProcess(path: "/usr/bin/openssl", arguments: [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", certificate], environment: ["PATH": "/usr/bin:/bin"], output: .discard)
    guard try await openssl.waitForExit() == .exited(0) else { throw BenchError("openssl could not make a certificate") }
    return (certificate, key)
}

func memory(tls: Bool) async throws {
    let dir = NSTemporaryDirectory() + "bvbench-mem-\(getpid())-\(tls)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var context: TLSServerContext?
    var trust: String?
    if tls {
        let (certificate, key) = try await makeCertificate(in: dir)
        context = try TLSServerContext(certificateChainFile: certificate, privateKeyFile: key)
        trust = certificate
    }
    try await withSim(tls: context) { sim in
        var workers: [ChildProcess] = []
        for i in 0..<10 {
            await sim.addBot(name: "m\(i)", token: "tok-m\(i)")
            workers.append(try spawnWorker(sim, token: "tok-m\(i)", dir: dir, trust: trust))
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
        let median = rss.sorted()[5]
        print(String(format: "memory%@: worker RSS idle after READY %.1f MB (median of 10); PSS of 10 workers %.1f MB total, %.1f MB each",
                     tls ? " (TLS)" : "", Double(median) / 1024, Double(pss.reduce(0, +)) / 1024, Double(pss.reduce(0, +)) / 10240))
        // Where the median worker's resident memory is, by mapping.
        let pid = workers[rss.firstIndex(of: median)!].pid
        var byMapping: [String: Int] = [:]
        var name = "[anon]"
        // Read to the end: a /proc file reports size 0, and a reader that trusts the size stops after one page.
        for line in String(decoding: (try? readFile("/proc/\(pid)/smaps")) ?? [], as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = parts.first, !first.hasSuffix(":") {
                name = parts.count > 5 ? String(parts[5].split(separator: "/").last ?? "") : "[anon]"
            } else if parts.first == "Rss:", parts.count > 1 {
                byMapping[name, default: 0] += Int(parts[1]) ?? 0
            }
        }
        let top = byMapping.sorted { $0.value > $1.value }.prefix(8).map { String(format: "%@ %.1f", $0.key, Double($0.value) / 1024) }
        print("  RSS by mapping (MB): " + top.joined(separator: ", "))
        for w in workers { w.signal(SIGTERM) }
        for w in workers { _ = try await w.waitForExit() }
    }
}

if mode == "dispatch" || mode == "all" { try await dispatchThroughput() }
if mode == "latency" || mode == "all" { try await interactionLatency() }
if mode == "memory" || mode == "all" {
    try await memory(tls: false)
    try await memory(tls: true)
}
