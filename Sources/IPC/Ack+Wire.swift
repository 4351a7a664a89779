import JSON

extension Ack {
    /// The envelope `{"body":{"ids":[...]},"id":N,"reply_to":N,"type":"ack"}` written by hand: the bytes
    /// `JSONValueEncoder` writes (keys sorted, nil left out), without building a `JSON` value per id. The
    /// supervisor sends one per committed batch, so one per 500 records under load.
    func envelopeBytes(id: UInt64?, replyTo: UInt64?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(40 + ids.reduce(0) { $0 + $1.utf8.count + 3 })
        out += Array(#"{"body":{"ids":["#.utf8)
        for (i, id) in ids.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSON.appendQuoted(id, to: &out)
        }
        out += Array("]}".utf8)
        if let id { out += Array(#","id":\#(id)"#.utf8) }
        if let replyTo { out += Array(#","reply_to":\#(replyTo)"#.utf8) }
        out += Array(#","type":"ack"}"#.utf8)
        return out
    }
}
