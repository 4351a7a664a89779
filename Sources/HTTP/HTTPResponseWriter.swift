import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Serializes response heads (RFC 9112 §4): status line, the handler's
/// headers, then the framing headers the server owns.
enum HTTPResponseWriter {
    static func head(_ response: HTTPResponse, bodyLength: Int?, chunked: Bool, keepAlive: Bool, version: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendInt(response.status.code, to: &out)
        out.append(32)
        out.append(contentsOf: response.status.reason.utf8)
        out.append(contentsOf: "\r\n".utf8)
        for (name, value) in response.headers {
            // Framing is the server's job; a handler's own values would desynchronize the stream.
            if name.caseInsensitiveEquals("Content-Length") || name.caseInsensitiveEquals("Transfer-Encoding")
                || name.caseInsensitiveEquals("Connection") {
                continue
            }
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        if response.headers["Date"] == nil {
            out.append(contentsOf: "Date: ".utf8)
            out.append(contentsOf: HTTPDate.now())
            out.append(contentsOf: "\r\n".utf8)
        }
        if response.status.code == 101 {
            out.append(contentsOf: "Connection: Upgrade\r\n".utf8)
        } else {
            if let bodyLength {
                out.append(contentsOf: "Content-Length: ".utf8)
                appendInt(bodyLength, to: &out)
                out.append(contentsOf: "\r\n".utf8)
            } else if chunked {
                out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
            }
            if !keepAlive {
                out.append(contentsOf: "Connection: close\r\n".utf8)
            } else if version == "HTTP/1.0" {
                out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
            }
        }
        out.append(contentsOf: "\r\n".utf8)
        return out
    }

    static func appendInt(_ value: Int, to out: inout [UInt8]) {
        if value == 0 { out.append(48); return }
        var digits: [UInt8] = []
        var v = value
        while v > 0 {
            digits.append(UInt8(48 + v % 10))
            v /= 10
        }
        out.append(contentsOf: digits.reversed())
    }

    /// One chunk of a chunked body (RFC 9112 §7.1).
    static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        var out = Array(String(bytes.count, radix: 16).utf8)
        out.append(contentsOf: [13, 10])
        out.append(contentsOf: bytes)
        out.append(contentsOf: [13, 10])
        return out
    }
}

/// The IMF-fixdate for the Date header (RFC 9110 §5.6.7), cached per second.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, bytes: [UInt8])>((-1, []))
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func now() -> [UInt8] {
        let second = WallClock.now().seconds
        return cache.withLock { c in
            if c.second == second { return c.bytes }
            c = (second, format(second))
            return c.bytes
        }
    }

    static func format(_ second: Int) -> [UInt8] {
        var t = time_t(second)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let s = "\(days[Int(tmv.tm_wday)]), \(two(tmv.tm_mday)) \(months[Int(tmv.tm_mon)]) \(tmv.tm_year + 1900) "
            + "\(two(tmv.tm_hour)):\(two(tmv.tm_min)):\(two(tmv.tm_sec)) GMT"
        return Array(s.utf8)
    }
}
