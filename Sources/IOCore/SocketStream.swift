#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Synchronization

/// A connected, non-blocking stream socket (TCP or Unix) driven by the reactor.
public final class SocketStream: ByteStream {
    /// The descriptor; owned by this stream and closed with it.
    public let fd: Int32
    public let reactor: Reactor
    private let closed = Atomic<Bool>(false)
    /// Pipes (a child's stdin) take write(2); sockets take send(2) with MSG_NOSIGNAL.
    private let isSocket: Bool

    /// Takes ownership of a connected socket (or a pipe end) and makes it non-blocking and close-on-exec.
    public init(adopting fd: Int32, reactor: Reactor = .shared) throws {
        guard bv_set_nonblocking_cloexec(fd) == 0 else { throw SystemError.last("fcntl") }
        var st = stat()
        fstat(fd, &st)
        self.isSocket = st.st_mode & S_IFMT == S_IFSOCK
        self.fd = fd
        self.reactor = reactor
    }

    deinit { close() }

    public var isClosed: Bool { closed.load(ordering: .acquiring) }

    public func read(into buffer: inout [UInt8], maxLength: Int, deadline: Deadline?) async throws -> Int {
        while true {
            if isClosed { throw StreamClosed() }
            let (n, err) = buffer.appendBytes(maxLength: maxLength) { raw -> (count: Int, result: (Int, Int32)) in
                let n = Glibc.read(fd, raw.baseAddress!, maxLength)
                return n >= 0 ? (n, (n, 0)) : (0, (-1, errno))
            }
            if n >= 0 { return n }
            if err == EINTR { continue }
            if err == EAGAIN || err == EWOULDBLOCK {
                try await reactor.waitReadable(fd, deadline: deadline)
                continue
            }
            throw SystemError(call: "read", errno: err)
        }
    }

    public func waitUntilReadable(deadline: Deadline?) async throws {
        if isClosed { throw StreamClosed() }
        // A busy keep-alive client has often sent its next request already: a zero-timeout poll
        // spares that request the reactor's round trip (registration, epoll wake, resumption).
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&ready, 1, 0) == 1 { return }
        try await reactor.waitReadable(fd, deadline: deadline)
    }

    public func write(_ bytes: [UInt8], deadline: Deadline?) async throws {
        var offset = 0
        while offset < bytes.count {
            if isClosed { throw StreamClosed() }
            let n = bytes.withUnsafeBytes { raw in
                isSocket ? send(fd, raw.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                         : Glibc.write(fd, raw.baseAddress! + offset, bytes.count - offset)
            }
            if n >= 0 {
                offset += n
                continue
            }
            let err = errno
            if err == EINTR { continue }
            if err == EAGAIN || err == EWOULDBLOCK {
                try await reactor.waitWritable(fd, deadline: deadline)
                continue
            }
            throw SystemError(call: "send", errno: err)
        }
    }

    public func shutdownWrite() async {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        reactor.deregister(fd)
        _ = Glibc.close(fd)
    }

    /// The peer's process id, user id and group id (`SO_PEERCRED`, Unix sockets only).
    public func peerCredentials() throws -> (pid: pid_t, uid: uid_t, gid: gid_t) {
        var pid: pid_t = 0, uid: uid_t = 0, gid: gid_t = 0
        guard bv_peer_credentials(fd, &pid, &uid, &gid) == 0 else { throw SystemError.last("getsockopt(SO_PEERCRED)") }
        return (pid, uid, gid)
    }

    // MARK: Connecting

    /// Connects over TCP to `host:port`. Numeric addresses skip DNS; names are
    /// resolved with `getaddrinfo` on a dedicated thread.
    public static func connect(host: String, port: Int, deadline: Deadline? = nil, reactor: Reactor = .shared) async throws -> SocketStream {
        let addresses = try await SocketAddress.resolve(host: host, port: port)
        var lastError: any Error = SystemError(call: "connect", errno: EHOSTUNREACH)
        for address in addresses {
            do {
                return try await connect(to: address, deadline: deadline, reactor: reactor)
            } catch let error as DeadlineExceeded {
                throw error
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// Connects to a Unix-domain stream socket at `path`.
    public static func connect(unixPath path: String, deadline: Deadline? = nil, reactor: Reactor = .shared) async throws -> SocketStream {
        try await connect(to: SocketAddress(unixPath: path), deadline: deadline, reactor: reactor)
    }

    public static func connect(to address: SocketAddress, deadline: Deadline?, reactor: Reactor = .shared) async throws -> SocketStream {
        let fd = bv_socket_cloexec(address.family, Int32(SOCK_STREAM.rawValue))
        guard fd >= 0 else { throw SystemError.last("socket") }
        let stream: SocketStream
        do { stream = try SocketStream(adopting: fd, reactor: reactor) } catch { Glibc.close(fd); throw error }
        if address.family != AF_UNIX { stream.setNoDelay() }
        let rc = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        if rc != 0 {
            let err = errno
            guard err == EINPROGRESS || err == EAGAIN || err == EINTR else {
                stream.close()
                throw SystemError(call: "connect", errno: err)
            }
            do {
                try await reactor.waitWritable(fd, deadline: deadline)
            } catch {
                stream.close()
                throw error
            }
            var soError: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len)
            if soError != 0 {
                stream.close()
                throw SystemError(call: "connect", errno: soError)
            }
        }
        return stream
    }

    /// Disables Nagle's algorithm: request/response traffic must not wait 40 ms.
    public func setNoDelay() {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
}
