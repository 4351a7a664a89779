#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Control
import Logging

/// How many HTTP and control connections botvisord serves at once, so that a connection flood can never take
/// the descriptors a worker's respawn (pipes, a pidfd, its IPC connection), SQLite or a spool need (reliability
/// review, row 4e: a flood at NOFILE 1024 made spawns fail with EMFILE and SQLite with SQLITE_CANTOPEN).
///
/// At start the soft RLIMIT_NOFILE is raised to the hard limit (the shipped unit sets `LimitNOFILE=65536`);
/// `[limits] fd_reserve` descriptors stay free beyond what is open already, and the configured caps are
/// lowered (and the log says so) when the rest cannot hold them.
struct ConnectionCaps: Sendable, Equatable {
    var http: Int
    var control: Int
    /// The soft RLIMIT_NOFILE in force.
    var descriptorLimit: Int

    init(_ config: Configuration, logger: Logger) {
        let limit = Int(bv_raise_nofile_limit())
        let open = max(0, Int(bv_open_descriptor_count()))
        self.init(http: config.httpMaxConnections, control: config.controlMaxConnections, reserve: config.fileDescriptorReserve,
                  descriptorLimit: limit > 0 ? limit : 1024, openNow: open)
        if http < config.httpMaxConnections || control < config.controlMaxConnections {
            logger.warning("connection caps lowered to keep descriptors for workers",
                           ["nofile": descriptorLimit, "fd_reserve": config.fileDescriptorReserve,
                            "http_max_connections": http, "control_max_connections": control])
        } else {
            logger.info("descriptor budget", ["nofile": descriptorLimit, "http_max_connections": http, "control_max_connections": control])
        }
    }

    /// The caps for a descriptor limit: each connection takes one descriptor; `reserve` and what is open now
    /// stay out of reach. The control socket keeps at least a few, so an operator can still get in.
    init(http: Int, control: Int, reserve: Int, descriptorLimit: Int, openNow: Int) {
        self.descriptorLimit = descriptorLimit
        let available = max(0, descriptorLimit - reserve - openNow)
        self.control = max(4, min(control, available / 8))
        self.http = max(1, min(http, available - min(self.control, available)))
    }
}
