#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Synchronization

/// A listening TCP or Unix-domain socket; `accept()` suspends on the reactor.
public final class SocketListener: Sendable {
    public let fd: Int32
    public let reactor: Reactor
    /// The bound address (with the kernel-chosen port when bound to port 0).
    public let address: SocketAddress
    private let closed = Atomic<Bool>(false)

    private init(fd: Int32, address: SocketAddress, reactor: Reactor) {
        self.fd = fd
        self.address = address
        self.reactor = reactor
    }

    deinit { close() }

    /// Listens on `host:port` (numeric host; port 0 picks a free port).
    public static func tcp(host: String, port: Int, backlog: Int32 = 1024, reactor: Reactor = .shared) throws -> SocketListener {
        guard let address = SocketAddress(numericHost: host, port: port) else {
            throw ResolveError(host: host, message: "listen address must be numeric")
        }
        let fd = bv_socket_cloexec(address.family, Int32(SOCK_STREAM.rawValue))
        guard fd >= 0 else { throw SystemError.last("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        do {
            try address.withSockAddr { addr, len in
                guard Glibc.bind(fd, addr, len) == 0 else { throw SystemError.last("bind \(address)") }
            }
            guard Glibc.listen(fd, backlog) == 0 else { throw SystemError.last("listen") }
        } catch {
            Glibc.close(fd)
            throw error
        }
        return SocketListener(fd: fd, address: boundAddress(fd) ?? address, reactor: reactor)
    }

    /// Listens on a Unix-domain socket at `path` (replacing a stale file) with file `mode`.
    public static func unix(path: String, mode: mode_t = 0o600, backlog: Int32 = 128, reactor: Reactor = .shared) throws -> SocketListener {
        let address = SocketAddress(unixPath: path)
        let fd = bv_socket_cloexec(AF_UNIX, Int32(SOCK_STREAM.rawValue))
        guard fd >= 0 else { throw SystemError.last("socket") }
        // Bound in a fresh 0700 directory beside `path`, given `mode`, then renamed into place: nobody can
        // reach it while its mode is wider, and the process-wide umask is never changed (another thread
        // creating a file meanwhile would get it).
        // Short names (`DIR/.bvXXXXXX/s`): a Unix socket path has room for 107 bytes.
        let parent = path.lastIndex(of: "/").map { String(path[..<$0]) + "/" } ?? ""
        var template = Array("\(parent).bvXXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            Glibc.close(fd)
            throw SystemError.last("mkdtemp \(parent).bvXXXXXX")
        }
        let directory = String(cString: made)
        let staged = "\(directory)/s"
        defer {
            unlink(staged)
            rmdir(directory)
        }
        do {
            let rc = SocketAddress(unixPath: staged).withSockAddr { Glibc.bind(fd, $0, $1) }
            guard rc == 0 else { throw SystemError.last("bind \(staged)") }
            guard chmod(staged, mode) == 0 else { throw SystemError.last("chmod \(staged)") }
            guard Glibc.listen(fd, backlog) == 0 else { throw SystemError.last("listen") }
            // rename replaces a stale socket file at `path` atomically.
            guard rename(staged, path) == 0 else { throw SystemError.last("rename \(staged) \(path)") }
        } catch {
            Glibc.close(fd)
            throw error
        }
        return SocketListener(fd: fd, address: address, reactor: reactor)
    }

    /// The port this listener is bound to (TCP).
    public var port: Int { address.port }

    /// Waits for and returns the next connection. Throws `StreamClosed` once the listener is closed.
    public func accept() async throws -> SocketStream {
        while true {
            if closed.load(ordering: .acquiring) { throw StreamClosed() }
            let client = bv_accept4(fd)
            if client >= 0 {
                let stream = try SocketStream(adopting: client, reactor: reactor)
                if address.family != AF_UNIX { stream.setNoDelay() }
                return stream
            }
            switch errno {
            case EINTR, ECONNABORTED:
                continue
            case EAGAIN, EWOULDBLOCK:
                try await reactor.waitReadable(fd)
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                // Out of descriptors: back off briefly instead of spinning.
                try await reactor.sleep(until: .now + .milliseconds(50))
            default:
                throw SystemError.last("accept4")
            }
        }
    }

    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        reactor.deregister(fd)
        Glibc.close(fd)
    }

    private static func boundAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return SocketAddress(v4: withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee } })
        case AF_INET6:
            return SocketAddress(v6: withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee } })
        default:
            return nil
        }
    }
}
