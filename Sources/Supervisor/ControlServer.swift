#if canImport(Glibc)
import Glibc
#endif
import API
import Control
import Fleet
import IOCore
import JSON
import Logging
import Operations
import Store
import Synchronization

/// The control socket: JSON requests and replies, one per line. Every request
/// is logged with the peer's uid (never its secrets).
final class ControlServer: Sendable {
    let listener: SocketListener
    let logger: Logger
    /// Answers a request from the peer with this uid (SO_PEERCRED).
    let handle: @Sendable (ControlRequest, UInt32) async -> ControlReply
    let maxConnections: Int
    private let open = Mutex<Int>(0)
    static let maximumLineLength = 64 * 1024

    init(path: String, group: String?, maxConnections: Int = 64, logger: Logger,
         handle: @escaping @Sendable (ControlRequest, UInt32) async -> ControlReply) throws {
        self.maxConnections = maxConnections
        listener = try SocketListener.unix(path: path, mode: 0o660)
        if let group {
            guard let entry = getgrnam(group) else {
                listener.close()
                throw ControlError("CONFIG_INVALID", "control group \(group) does not exist")
            }
            guard chown(path, getuid(), entry.pointee.gr_gid) == 0 else {
                let error = SystemError.last("chown \(path)")
                listener.close()
                throw error
            }
        }
        self.logger = logger.with("socket", "control")
        self.handle = handle
    }

    func run() async {
        let max = maxConnections
        await listener.serve(prepare: { stream in
            // Counted before the next accept: a flood cannot slip past the cap between accepts.
            (stream, open.withLock { n -> Bool in
                guard n < max else { return false }
                n += 1
                return true
            })
        }) { (stream, admitted) in
            guard admitted else {
                await self.refuse(stream)
                return
            }
            await self.serve(stream)
            self.open.withLock { $0 -= 1 }
        }
    }

    /// One connection too many: an error line, then closed (never read).
    private func refuse(_ stream: SocketStream) async {
        defer { stream.close() }
        logger.debug("control connection refused: too many open", ["max": maxConnections])
        guard var bytes = try? JSONValueEncoder().encodeBytes(ControlReply.failure("TOO_MANY_CONNECTIONS",
                                                                   "\(maxConnections) control connections are open; try again shortly")) else { return }
        bytes.append(UInt8(ascii: "\n"))
        try? await stream.write(bytes, deadline: .now + .milliseconds(500))
    }

    func close() { listener.close() }

    private func serve(_ stream: SocketStream) async {
        defer { stream.close() }
        let uid = (try? stream.peerCredentials().uid) ?? uid_t.max
        var buffer: [UInt8] = []
        let encoder = JSONValueEncoder()
        while true {
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                if line.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) { continue }
                let reply: ControlReply
                do {
                    let request = try JSONValueDecoder().decode(ControlRequest.self, from: line)
                    // `watch botvisorctl status` and `logs -f` poll: routine reads log at debug.
                    logger.log(request.command.isRoutine ? .debug : .info, "request",
                               ["uid": uid, "command": request.command.rawValue, "bots": (request.bots ?? []).joined(separator: ",")])
                    reply = await handle(request, uid)
                } catch let DecodingError.dataCorrupted(context) where context.codingPath.first?.stringValue == "command" {
                    logger.warning("unknown control command", ["uid": uid])
                    reply = .failure("UNKNOWN_COMMAND", "unknown command; known: \(ControlCommand.allCases.map(\.rawValue).joined(separator: ", "))")
                } catch {
                    logger.warning("malformed control request", ["uid": uid, "bytes": line.count])
                    reply = .failure("BAD_REQUEST", "expected one JSON object per line with a `command` field")
                }
                guard var bytes = try? encoder.encodeBytes(reply) else { return }
                bytes.append(UInt8(ascii: "\n"))
                do { try await stream.write(bytes, deadline: .now + .seconds(10)) } catch { return }
            }
            if buffer.count > ControlServer.maximumLineLength {
                logger.warning("control request too long; closing", ["uid": uid])
                var bytes = (try? encoder.encodeBytes(ControlReply.failure("REQUEST_TOO_LARGE", "a request line is limited to 64 KiB"))) ?? []
                bytes.append(UInt8(ascii: "\n"))
                try? await stream.write(bytes, deadline: .now + .seconds(2))
                return
            }
            do {
                let deadline = Deadline.now + .seconds(300)
                if buffer.isEmpty {
                    // Idle between requests: no read buffer held (a flood of idle connections costs little memory).
                    buffer = []
                    try await stream.waitUntilReadable(deadline: deadline)
                }
                if try await stream.read(into: &buffer, maxLength: 16_384, deadline: deadline) == 0 { return }
            } catch {
                return
            }
        }
    }
}
