// libFuzzer target for HTTPRequestParser. Built by Fuzz/run.sh with
// Sources/HTTP/HTTPTypes.swift Sources/HTTP/HTTPParseError.swift
// Sources/HTTP/ChunkedBodyDecoder.swift Sources/HTTP/HTTPRequestParser.swift

/// Feeds the input in splits chosen by its first byte and checks invariants:
/// no crash, no request beyond the limits, and splitting never changes the result.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequestParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    var limits = HTTPRequestParser.Limits()
    limits.maximumBody = 4096
    limits.maximumHeaderBytes = 2048
    limits.maximumRequestLine = 512

    func run(step: Int) -> ([HTTPRequest], HTTPParseError?) {
        var parser = HTTPRequestParser(limits: limits)
        var out: [HTTPRequest] = []
        var offset = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            parser.feed(bytes[offset..<end])
            offset = end
            do {
                while let r = try parser.next() { out.append(r) }
            } catch {
                return (out, error)
            }
        }
        return (out, nil)
    }

    let whole = run(step: bytes.count)
    let split = run(step: Int(first % 16) + 1)
    for r in whole.0 {
        precondition(r.body.count <= limits.maximumBody, "body over the limit")
        precondition(!r.method.rawValue.isEmpty && !r.target.isEmpty, "empty method or target")
    }
    precondition(whole.0.map(\.target) == split.0.map(\.target), "splitting changed the requests")
    precondition(whole.0.map(\.body) == split.0.map(\.body), "splitting changed the bodies")
    precondition(whole.1 == split.1, "splitting changed the error")
    return 0
}
