import Auth
import Crypto
import IOCore
import Glibc

/// The JWT key file in the state directory (`jwt.key`, mode 0600; its format is `JWTKeyRing+File`).
/// Created with O_EXCL at first start; rewritten by `key rotate` through a new 0600 file renamed over
/// the old, so a crash leaves either the old ring or the new one, never half of one.
enum JWTKeyFile {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func loadOrCreate(at path: String, issuer: String, now: Int64) throws -> JWTKeyRing {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd >= 0 {
            defer { close(fd) }
            var st = stat()
            fstat(fd, &st)
            guard st.st_mode & 0o077 == 0 else {
                throw Failure(description: "\(path) is readable by others (mode \(String(st.st_mode & 0o777, radix: 8))); chmod 600 it")
            }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fd, &chunk, chunk.count)
                guard n > 0 else { break }
                bytes += chunk[..<n]
                guard bytes.count < 1 << 20 else { throw Failure(description: "\(path) is too large for a key file") }
            }
            do {
                var ring = try JWTKeyRing(issuer: issuer, fileContents: String(decoding: bytes, as: UTF8.self))
                if !ring.removeRetired(now: now).isEmpty { try write(ring, to: path) }
                return ring
            } catch let error as KeyFileError {
                // Never echo the line: it holds a secret.
                switch error {
                case .invalidLine(let n): throw Failure(description: "\(path):\(n): not `current|previous KID SECRET [UNTIL]`")
                case .noCurrentKey: throw Failure(description: "\(path): no `current` key")
                }
            }
        }
        guard errno == ENOENT else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        let ring = JWTKeyRing(issuer: issuer, current: try SigningKey.generate(id: newKeyID()))
        let out = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(out) }
        let text = Array(ring.fileContents.utf8)
        guard Glibc.write(out, text, text.count) == text.count, fsync(out) == 0 else { throw Failure(description: "cannot write \(path)") }
        return ring
    }

    /// Replaces the file with `ring` atomically (a new 0600 file renamed over the old one).
    static func write(_ ring: JWTKeyRing, to path: String) throws {
        do {
            try AtomicFile.replace(path, with: Array(ring.fileContents.utf8), mode: 0o600)
        } catch {
            throw Failure(description: "cannot replace \(path): \(error)")
        }
    }

    /// `k` and 12 hex digits: unique without a clock, short in every token header.
    static func newKeyID() -> String {
        "k" + SecureRandom.bytes(6).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
