#if canImport(Glibc)
import Glibc
#endif
import IOCore

/// The state directory holds the bot tokens (sealed, with their key) and every command record: it is 0700
/// and its database files 0600 whatever the umask the daemon started under, and an existing directory or
/// file that is looser is tightened at start (reliability review, row 5b). Modes are set with `chmod`
/// after creating, never left to `mkdir`/`open` and the umask.
public enum PrivateFiles {
    /// A path whose mode was tightened, with the mode it had.
    public struct Tightened: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var from: mode_t
        public var to: mode_t
        public var description: String { "\(path) \(String(from, radix: 8)) -> \(String(to, radix: 8))" }
    }

    /// The database and the files SQLite keeps beside it in WAL mode.
    public static func databaseFiles(_ database: String) -> [String] {
        [database, database + "-wal", database + "-shm"]
    }

    /// Creates `path` (and missing parents) 0700, or tightens it to 0700 when group or others have any access.
    @discardableResult
    public static func secureDirectory(_ path: String) throws -> [Tightened] {
        var st = stat()
        if stat(path, &st) != 0 {
            guard errno == ENOENT else { throw SystemError.last("stat \(path)") }
            let parent = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
            if !parent.isEmpty, stat(parent, &st) != 0 {
                // Parents get the usual 0755: only the directory itself holds secrets.
                try makeDirectory(parent, mode: 0o755)
            }
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw SystemError.last("mkdir \(path)") }
            guard chmod(path, 0o700) == 0 else { throw SystemError.last("chmod \(path)") }
            return []
        }
        return try tighten(path, to: 0o700, current: st.st_mode)
    }

    /// Makes sure the database file exists with mode 0600 before SQLite opens it: SQLite creates its `-wal` and
    /// `-shm` files with the database file's mode (https://www.sqlite.org/tempfiles.html), so they follow.
    /// Existing files that are looser are tightened.
    @discardableResult
    public static func secureDatabase(_ path: String) throws -> [Tightened] {
        var tightened: [Tightened] = []
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SystemError.last("open \(path)") }
        close(fd)
        for file in databaseFiles(path) {
            var st = stat()
            guard stat(file, &st) == 0 else { continue }
            tightened += try tighten(file, to: 0o600, current: st.st_mode)
        }
        return tightened
    }

    private static func tighten(_ path: String, to mode: mode_t, current: mode_t) throws -> [Tightened] {
        let old = current & 0o7777
        // Only what the owner should not share is removed; an owner-only mode stricter than ours is left alone.
        guard old & 0o077 != 0 || old & ~mode & 0o7777 != 0 else { return [] }
        guard chmod(path, mode) == 0 else { throw SystemError.last("chmod \(path)") }
        return [Tightened(path: path, from: old, to: mode)]
    }

    private static func makeDirectory(_ path: String, mode: mode_t) throws {
        var st = stat()
        if stat(path, &st) == 0 { return }
        let parent = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
        if !parent.isEmpty { try makeDirectory(parent, mode: mode) }
        guard mkdir(path, mode) == 0 || errno == EEXIST else { throw SystemError.last("mkdir \(path)") }
    }
}
