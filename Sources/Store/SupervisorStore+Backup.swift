#if canImport(Glibc)
import Glibc
#endif
import Storage

extension SupervisorStore {
    /// What `backup(to:)` wrote.
    public struct BackupResult: Sendable, Equatable {
        /// The database copy and the token key copy (`FILE.key`), both mode 0600.
        public var databasePath: String
        public var keyPath: String
        public var databaseBytes: Int
    }

    /// Writes a consistent copy of the live database to `path` (SQLite's online backup API, on the reader
    /// connection so the writer and the workers' command records never wait for it) and the token key
    /// to `path + ".key"`. Neither file may exist yet. The copy alone is useless without the key: every
    /// bot token in it is sealed with it (`TokenCipher`). Restore: see README, "Backup and restore".
    public func backup(to path: String) async throws -> BackupResult {
        guard path.hasPrefix("/") else { throw BackupError("the backup path must be absolute, got \(path)") }
        let key = try Self.readKey(at: keyPath)
        let keyCopy = path + ".key"
        // The key first: a failure leaves no database copy that nothing can decrypt.
        let fd = Glibc.open(keyCopy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BackupError("cannot create \(keyCopy): \(String(cString: strerror(errno)))") }
        fchmod(fd, 0o600)
        let written = Glibc.write(fd, key, key.count)
        let synced = fsync(fd)
        Glibc.close(fd)
        guard written == key.count, synced == 0 else {
            unlink(keyCopy)
            throw BackupError("cannot write \(keyCopy): \(String(cString: strerror(errno)))")
        }
        do {
            let bytes = try await reader.writeWithoutTransaction { db in try db.backup(to: path) }
            return BackupResult(databasePath: path, keyPath: keyCopy, databaseBytes: bytes)
        } catch {
            unlink(keyCopy)
            throw error
        }
    }

    private static func readKey(at path: String) throws -> [UInt8] {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BackupError("cannot read the token key \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        var key = [UInt8](repeating: 0, count: 64)
        let n = Glibc.read(fd, &key, key.count)
        guard n > 0 else { throw BackupError("cannot read the token key \(path)") }
        return Array(key.prefix(n))
    }
}

/// A backup that could not be written, with the reason a person can act on.
public struct BackupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
