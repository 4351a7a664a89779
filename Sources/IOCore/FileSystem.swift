#if canImport(Glibc)
import Glibc
#endif

/// The few file system questions the daemon asks, as plain system calls (the daemon links no Foundation, so no
/// `FileManager`). Paths are taken as given; errors are `SystemError`s naming the call and the path.
public enum FileSystem {
    /// Whether anything (file, directory, socket; a symbolic link is followed) is at `path`.
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Creates `path` with `mode` (applied whatever the umask) and any missing parents (created 0777 less the
    /// umask, as `mkdir -p` does). An existing directory is left as it is.
    public static func createDirectories(_ path: String, mode: mode_t) throws {
        guard !exists(path) else { return }
        try createParents(of: path)
        guard mkdir(path, mode) == 0 else {
            guard errno == EEXIST else { throw SystemError.last("mkdir \(path)") }
            return
        }
        guard chmod(path, mode) == 0 else { throw SystemError.last("chmod \(path)") }
    }

    private static func createParents(of path: String) throws {
        let parent = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
        guard !parent.isEmpty, !exists(parent) else { return }
        try createParents(of: parent)
        guard mkdir(parent, 0o777) == 0 || errno == EEXIST else { throw SystemError.last("mkdir \(parent)") }
    }

    /// Removes `path`: a file, or a directory with everything under it (symbolic links are removed, not followed).
    public static func removeTree(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return }
            throw SystemError.last("lstat \(path)")
        }
        if st.st_mode & S_IFMT == S_IFDIR {
            for name in try entries(path) { try removeTree("\(path)/\(name)") }
            guard rmdir(path) == 0 || errno == ENOENT else { throw SystemError.last("rmdir \(path)") }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else { throw SystemError.last("unlink \(path)") }
        }
    }

    /// The names in a directory, without `.` and `..`, in the order the directory lists them.
    public static func entries(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw SystemError.last("opendir \(path)") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// What the symbolic link at `path` points to (`readlink(2)`).
    public static func linkDestination(_ path: String) throws -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = buffer.withUnsafeMutableBufferPointer { readlink(path, $0.baseAddress!, $0.count) }
        guard n >= 0 else { throw SystemError.last("readlink \(path)") }
        return String(decoding: buffer[..<n], as: UTF8.self)
    }

    /// The directory for temporary files: `$TMPDIR` when set, else /tmp.
    public static var temporaryDirectory: String {
        guard let value = getenv("TMPDIR").map({ String(cString: $0) }), !value.isEmpty else { return "/tmp" }
        return value.hasSuffix("/") && value.count > 1 ? String(value.dropLast()) : value
    }
}
