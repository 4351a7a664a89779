// ingest-bench: a fake worker for Benchmarks/ingest.sh (release build).
//
// botvisord spawns it as a bot's worker (`botvisord --worker .../ingest-bench`), so it is
// started as `ingest-bench --ipc PATH --bot NAME`. It speaks the real IPC protocol: hello,
// welcome, state `ready`, heartbeats answered. Then it waits for `start` to appear beside
// the IPC socket (its text is the duration in seconds, optionally followed by a rate in records
// per second: `30 1000`), streams `commands` batches of 500 realistic records (with a rate: a
// batch of rate/20 every 50 ms) with unique ids for that long, keeping at most `window` batches
// unacknowledged, waits for the last acks, and writes `result-NAME.txt` beside the socket:
//   sent=N acked=N first_send_us=T last_ack_us=T
// It then stays connected (answering heartbeats) until botvisord stops it.
import Glibc
import IOCore
import IPC

let arguments = Array(CommandLine.arguments.dropFirst())
func argument(_ flag: String) -> String? {
    guard let i = arguments.firstIndex(of: flag), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
guard let socketPath = argument("--ipc"), let bot = argument("--bot") else {
    FileHandleless.write("usage: ingest-bench --ipc PATH --bot NAME (spawned by botvisord)\n")
    exit(2)
}
let runDirectory = String(socketPath[..<(socketPath.lastIndex(of: "/") ?? socketPath.startIndex)])
let batchSize = 500
let window = 8

enum FileHandleless {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    static func read(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var buffer = [CChar](repeating: 0, count: 256)
        guard fgets(&buffer, 256, f) != nil else { return nil }
        return String(cString: buffer)
    }

    static func writeFile(_ path: String, _ text: String) {
        guard let f = fopen(path + ".tmp", "w") else { return }
        fputs(text, f)
        fclose(f)
        rename(path + ".tmp", path)
    }
}

func nowMicros() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
}

/// Frames written to the socket one whole frame at a time: the lock is held across the
/// write's suspensions (an actor alone would let a heartbeat in mid-frame).
struct Writer: Sendable {
    let stream: SocketStream
    let lock = AsyncLock()
    init(_ stream: SocketStream) { self.stream = stream }
    func write(_ frame: [UInt8]) async throws {
        await lock.lock()
        defer { lock.unlock() }
        try await stream.write(frame, deadline: nil)
    }
}

/// Batches in flight: the sender waits while `window` are unacknowledged.
actor Flow {
    private(set) var inFlight = 0
    private(set) var acked = 0
    private(set) var lastAck: Int64 = 0
    private var waiter: CheckedContinuation<Void, Never>?
    private let window: Int

    init(window: Int) { self.window = window }

    func acquire() async {
        while inFlight >= window { await withCheckedContinuation { waiter = $0 } }
        inFlight += 1
    }

    func acknowledged(_ count: Int) {
        inFlight -= 1
        acked += count
        lastAck = nowMicros()
        waiter?.resume()
        waiter = nil
    }

    func drained() async {
        while inFlight > 0 { await withCheckedContinuation { waiter = $0 } }
    }
}

/// Realistic command records, built straight into the IPC frame's JSON (the fake worker must
/// cost little CPU: botvisord shares the machine with it). Ids are Discord-like snowflakes,
/// unique per worker: the worker index sits in the snowflake's worker bits.
struct RecordFactory {
    static let commands = ["ping", "help", "stock", "balance", "daily", "play", "skip", "queue", "weather", "remind", "poll", "rank"]
    static let items = ["widget", "gadget", "sprocket", "gizmo", "doohickey"]
    let bot: String
    let workerBits: Int64
    var sequence: Int64 = 0
    let startMillis = nowMicros() / 1000
    var random = SystemRandomNumberGenerator()

    init(bot: String) {
        self.bot = bot
        let digits = bot.reversed().prefix { $0.isNumber }
        workerBits = (Int64(String(digits.reversed())) ?? 0) & 0x3ff
    }

    mutating func frame(count: Int) -> [UInt8] {
        var json = "{\"type\":\"commands\",\"body\":{\"records\":["
        json.reserveCapacity(count * 380)
        let now = nowMicros()
        for i in 0..<count {
            sequence += 1
            // Snowflake-shaped: the timestamp part counts up from the start one per record and the
            // worker bits differ, so ids are unique however fast we go.
            let id = ((startMillis - 1_420_070_400_000 + sequence) << 22) | (workerBits << 12)
            let user = 100_000_000_000_000_000 + Int64.random(in: 0..<100_000, using: &random)
            let guild = 800_000_000_000_000_000 + Int64.random(in: 0..<40, using: &random)
            let channel = guild + 1000 + Int64.random(in: 0..<8, using: &random)
            let command = RecordFactory.commands[Int.random(in: 0..<RecordFactory.commands.count, using: &random)]
            let roll = Int.random(in: 0..<1000, using: &random)
            let duration = roll < 5 ? 10_000_000 : Int64.random(in: 800...(roll < 100 ? 900_000 : 60_000), using: &random)
            let outcome: String, error: String
            switch roll {
            case 0..<5: outcome = "timeout"; error = ",\"error_code\":\"TIMEOUT\",\"error_message\":\"handler did not answer within 10 s\""
            case 5..<35: outcome = "error"; error = ",\"error_code\":\"OUT_OF_STOCK\",\"error_message\":\"\(RecordFactory.items[roll % 5]) sold out\""
            case 35..<45: outcome = "rate_limited"; error = ""
            default: outcome = "ok"; error = ""
            }
            if i > 0 { json += "," }
            json += "{\"id\":\"\(id)\",\"bot\":\"\(bot)\",\"guild_id\":\"\(guild)\",\"channel_id\":\"\(channel)\",\"user_id\":\"\(user)\","
            json += "\"command\":\"\(command)\",\"options\":\"{\\\"item\\\":\\\"\(RecordFactory.items[roll % 5]) \(roll)\\\",\\\"quantity\\\":\(roll % 9 + 1)}\","
            json += "\"started_at\":\(now - duration),\"duration_us\":\(duration),\"outcome\":\"\(outcome)\"\(error)}"
        }
        json += "]}}"
        return IPCFrame.encode(Array(json.utf8))
    }
}

func run() async -> Int32 {
    _ = signal(SIGPIPE, SIG_IGN)
    let stream: SocketStream
    let connection: IPCConnection
    do {
        stream = try await SocketStream.connect(unixPath: socketPath, deadline: .now + .seconds(10))
        connection = IPCConnection(stream: stream)
        try await connection.send(.hello(Hello(bot: bot, pid: getpid())))
        guard case .welcome = try await connection.receive(deadline: .now + .seconds(10)).message else { return 1 }
        try await connection.send(.state(StateReport(state: .ready)))
    } catch {
        FileHandleless.write("ingest-bench \(bot): handshake failed: \(error)\n")
        return 1
    }
    // From here on every write goes through `writer`, so frames never interleave.
    let writer = Writer(stream)
    let flow = Flow(window: window)
    return await withTaskGroup(of: Int32?.self) { group in
        group.addTask {
            while true {
                let envelope: IPCEnvelope
                do { envelope = try await connection.receive() } catch {
                    FileHandleless.writeFile("\(runDirectory)/error-\(bot)-\(getpid()).txt", "the supervisor connection ended: \(error)\n")
                    return 0
                }
                switch envelope.message {
                case .ack(let ack): await flow.acknowledged(ack.ids.count)
                case .heartbeat: try? await writer.write(try! IPCEnvelope(.heartbeat).encoded())
                case .stop: return 0
                default: break
                }
            }
        }
        group.addTask {
            var seconds = 0.0
            var rate: Int?
            while true {
                let words = FileHandleless.read("\(runDirectory)/start")?.split(whereSeparator: \.isWhitespace) ?? []
                if let first = words.first, let s = Double(first) {
                    seconds = s
                    rate = words.count > 1 ? Int(words[1]) : nil
                    break
                }
                try? await Reactor.shared.sleep(until: .now + .milliseconds(10))
            }
            var factory = RecordFactory(bot: bot)
            let firstSend = nowMicros()
            let end = firstSend + Int64(seconds * 1_000_000)
            var sent = 0
            // Paced: a batch every 50 ms on a fixed schedule (a late batch does not shift the ones after it).
            let paced = rate.map { max(1, $0 / 20) }
            var next = ContinuousClock.now
            while nowMicros() < end {
                if let paced {
                    next += .milliseconds(50)
                    try? await Reactor.shared.sleep(until: next)
                }
                await flow.acquire()
                let frame = factory.frame(count: paced ?? batchSize)
                do { try await writer.write(frame) } catch { return 1 }
                sent += paced ?? batchSize
            }
            await flow.drained()
            let acked = await flow.acked, lastAck = await flow.lastAck
            FileHandleless.writeFile("\(runDirectory)/result-\(bot).txt",
                                     "sent=\(sent) acked=\(acked) first_send_us=\(firstSend) last_ack_us=\(lastAck)\n")
            return nil
        }
        while let result = await group.next() {
            if let code = result {
                group.cancelAll()
                return code
            }
        }
        return 0
    }
}

exit(await run())
