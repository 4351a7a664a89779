#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file all at once: the bytes go to `PATH.new` beside it (created with `mode`, whatever the
/// umask), are flushed, and the new file is renamed over `path`, so a reader sees the old file or the whole
/// new one. Foundation's `write(toFile:atomically:)` is not used: on Linux it leaves an empty
/// `TemporaryDirectory.*` behind in /tmp on every call.
public enum AtomicFile {
    public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) throws {
        let temporary = "\(path).new"
        unlink(temporary)
        let out = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard out >= 0 else { throw SystemError.last("open \(temporary)") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(out, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let error = SystemError.last("write \(temporary)")
                close(out)
                unlink(temporary)
                throw error
            }
            offset += n
        }
        let flushed = fchmod(out, mode) == 0 && fsync(out) == 0
        close(out)
        guard flushed, rename(temporary, path) == 0 else {
            let error = SystemError.last("replace \(path)")
            unlink(temporary)
            throw error
        }
    }
}

/// A whole file's bytes, read to its end (a /proc file reports size 0, so its size cannot be trusted). Reading stops
/// once more than `limit` bytes are in: a caller that expects a small file sees `count > limit` instead of
/// reading a mistaken path such as /dev/zero forever.
public func readFile(_ path: String, limit: Int = .max) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw SystemError.last("open \(path)") }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16_384)
    while out.count <= limit {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n >= 0 else { throw SystemError.last("read \(path)") }
        if n == 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
    return out
}
