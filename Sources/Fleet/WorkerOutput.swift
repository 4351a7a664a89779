import IOCore
import Logging

/// Forwards a worker's stdout/stderr into the supervisor's log, one line per
/// event tagged with the bot, rate-limited so a chatty worker cannot flood it.
/// A line the worker's `Logger` wrote keeps its level (so a worker's `critical`
/// line reaches the journal at `<2>` and `journalctl -p err` finds it) and loses
/// its timestamp and level word (the daemon's line has its own). Every line, even
/// a suppressed one, is kept in the bot's ring for `botvisorctl logs`.
package enum WorkerOutput {
    /// Lines allowed per second on average, and the burst above it.
    package static let linesPerSecond = 20.0
    package static let burst = 100.0
    package static let maximumLineLength = 2048

    package static func forward(_ output: SocketStream, to logger: Logger, bot: String? = nil, keep logs: WorkerOutputLogs? = nil) async {
        var buffer: [UInt8] = []
        var tokens = burst
        var refilledAt = ContinuousClock.now
        var suppressed = 0
        while true {
            let n: Int
            // A quiet worker (most of the time): no 8 KiB buffer held while waiting for its next line (issue 16).
            if buffer.isEmpty { buffer = [] }
            do { n = try await output.read(into: &buffer, maxLength: 8192, deadline: nil) } catch { break }
            if n == 0 { break }
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) ?? (buffer.count > maximumLineLength ? maximumLineLength : nil) {
                let line = String(decoding: buffer[..<min(newline, maximumLineLength)], as: UTF8.self)
                buffer.removeFirst(min(newline + 1, buffer.count))
                let (level, text) = WorkerOutputLine.parse(line)
                if let logs, let bot { logs.append(bot: bot, level: level, text: String(text)) }
                let now = ContinuousClock.now
                tokens = min(burst, tokens + (now - refilledAt).seconds * linesPerSecond)
                refilledAt = now
                guard tokens >= 1 else {
                    if suppressed == 0 { logger.warning("worker output rate-limited; suppressing lines") }
                    suppressed += 1
                    continue
                }
                tokens -= 1
                if suppressed > 0 {
                    logger.warning("worker output rate-limited", ["suppressed_lines": suppressed])
                    suppressed = 0
                }
                logger.log(level ?? .info, String(text), ["stream": "worker"])
            }
        }
        if !buffer.isEmpty {
            let (level, text) = WorkerOutputLine.parse(String(decoding: buffer.prefix(maximumLineLength), as: UTF8.self))
            if let logs, let bot { logs.append(bot: bot, level: level, text: String(text)) }
            logger.log(level ?? .info, String(text), ["stream": "worker"])
        }
        if suppressed > 0 { logger.warning("worker output rate-limited", ["suppressed_lines": suppressed]) }
        output.close()
    }
}
