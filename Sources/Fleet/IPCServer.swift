#if canImport(Glibc)
import Glibc
#endif
import IOCore
import IPC
import Logging

/// Accepts worker connections on `ipc.sock` (mode 0600). A connection is
/// accepted only from a pid we spawned (SO_PEERCRED) whose hello names the
/// bot that pid runs; anything else is closed with a logged reason.
///
/// The hello is read first and the bot found by the name it gives (one lookup), then the bot's supervisor
/// checks that the peer's pid is its current worker: asking every supervisor for its pid on each hello made
/// a daemon starting 50 workers at once answer the last hellos late (the start-up storm of issue 13).
package struct IPCServer: Sendable {
    package let listener: SocketListener
    package let logger: Logger
    /// Finds the supervisor of the bot a hello names.
    package let lookup: @Sendable (String) async -> BotSupervisor?
    package var helloTimeout: Duration = .seconds(5)
    package var maximumFrameSize = IPCFrame.defaultMaximumSize

    package init(path: String, logger: Logger, lookup: @escaping @Sendable (String) async -> BotSupervisor?) throws {
        listener = try SocketListener.unix(path: path, mode: 0o600)
        self.logger = logger.with("socket", "ipc")
        self.lookup = lookup
    }

    package func run() async {
        await listener.serve { stream in await self.handshake(stream) }
    }

    package func close() { listener.close() }

    private func handshake(_ stream: SocketStream) async {
        let credentials: (pid: pid_t, uid: uid_t, gid: gid_t)
        do { credentials = try stream.peerCredentials() } catch {
            logger.warning("ipc connection rejected: no peer credentials", ["error": error])
            stream.close()
            return
        }
        let log = logger.with("peer_pid", credentials.pid)
        // Only our uid can connect (0600); its pid is checked against the named bot's worker right after the hello.
        let connection = IPCConnection(stream: stream, maximumFrameSize: maximumFrameSize)
        do {
            let envelope = try await connection.receive(deadline: .now + helloTimeout)
            guard case .hello(let hello) = envelope.message else { throw IPCError.unexpectedMessage(envelope.message.type) }
            guard hello.version == ipcProtocolVersion else { throw IPCError.versionMismatch(hello.version) }
            guard let bot = await lookup(hello.bot), await bot.attach(connection, pid: credentials.pid) else {
                throw IPCError.unauthenticatedPeer(pid: credentials.pid)
            }
        } catch {
            log.warning("ipc connection rejected: \(error)")
            await connection.close()
        }
    }
}
