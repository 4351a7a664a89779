import Testing
import Crypto
@testable import Auth

@Suite struct AuditChainTests {
    /// Five sealed rows starting after `anchor`.
    func chain(count: Int = 5, from anchor: AuditAnchor = .genesis) -> [AuditRow] {
        var rows: [AuditRow] = []
        var previous = anchor.hash
        for i in 0..<count {
            let s = anchor.sequence + Int64(i) + 1
            let entry = AuditEntry(sequence: s, time: 1_800_000_000_000 + s, actor: i == 0 ? "control:0" : "admin",
                                   address: i == 0 ? nil : "127.0.0.1", action: i % 2 == 0 ? "auth.login" : "bot.stop",
                                   target: i % 2 == 0 ? nil : "shopbot", outcome: "success", requestID: "req-\(s)",
                                   details: ["reason": "test \(s)"])
            let row = AuditChain.seal(entry, after: previous)
            rows.append(row)
            previous = row.hash
        }
        return rows
    }

    @Test func anUntouchedChainVerifies() {
        let rows = chain()
        #expect(AuditChain.verify(rows) == .intact(rows: 5, head: AuditAnchor(sequence: 5, hash: rows[4].hash)))
        #expect(AuditChain.verify([]) == .intact(rows: 0, head: .genesis))
    }

    @Test func theHashIsSHA256OfThePreviousHashAndTheCanonicalRow() {
        let rows = chain()
        #expect(rows[0].previousHash == [UInt8](repeating: 0, count: 32))
        #expect(rows[1].hash == SHA256.hash(rows[0].hash + rows[1].entry.canonicalBytes))
    }

    @Test func anEditedRowIsNamed() {
        var rows = chain()
        rows[2].entry.outcome = "failure"
        #expect(AuditChain.verify(rows) == .broken(.altered(sequence: 3)))
        #expect(AuditChain.Break.altered(sequence: 3).sequence == 3)
    }

    @Test func anEditedAndRehashedRowIsNamedThroughTheNextLink() {
        var rows = chain()
        rows[2].entry.actor = "someone-else"
        rows[2] = AuditChain.seal(rows[2].entry, after: rows[2].previousHash)
        let result = AuditChain.verify(rows)
        #expect(result == .broken(.relinked(sequence: 4, previous: 3)))
        if case .broken(let b) = result { #expect(b.sequence == 3 && "\(b)" == "row 3 was altered (row 4 no longer follows it)") }
    }

    @Test func aRemovedRowIsNamed() {
        var rows = chain()
        rows.remove(at: 1)
        let result = AuditChain.verify(rows)
        #expect(result == .broken(.removed(after: 1, before: 3)))
        if case .broken(let b) = result { #expect(b.sequence == 2 && "\(b)" == "row 2 was removed") }
        var head = chain()
        head.removeFirst(2)
        #expect(AuditChain.verify(head) == .broken(.removed(after: 0, before: 3)))
    }

    @Test func aChainAfterARetentionCutVerifiesFromItsAnchorOnly() {
        let full = chain(count: 8)
        let anchor = AuditAnchor(sequence: 3, hash: full[2].hash)
        let kept = Array(full[3...])
        #expect(AuditChain.verify(kept, from: anchor) == .intact(rows: 5, head: AuditAnchor(sequence: 8, hash: full[7].hash)))
        // Without the anchor the cut looks like removed rows; with a wrong anchor the first row is blamed.
        #expect(AuditChain.verify(kept) == .broken(.removed(after: 0, before: 4)))
        #expect(AuditChain.verify(kept, from: AuditAnchor(sequence: 3, hash: full[1].hash)) == .broken(.altered(sequence: 4)))
    }

    @Test func reorderedOrRepeatedRowsAreRefused() {
        var swapped = chain()
        swapped.swapAt(1, 2)
        // Row 3 now follows row 1: its link names row 2, which is not there.
        #expect(AuditChain.verify(swapped) == .broken(.removed(after: 1, before: 3)))
        var repeated = chain()
        repeated.append(repeated[0])
        #expect(AuditChain.verify(repeated) == .broken(.outOfOrder(sequence: 1, previous: 5)))
    }

    @Test func theCanonicalEncodingSeparatesFieldsAndAbsentValues() {
        let a = AuditEntry(sequence: 1, time: 0, actor: "ab", action: "c", outcome: "ok")
        let b = AuditEntry(sequence: 1, time: 0, actor: "a", action: "bc", outcome: "ok")
        #expect(a.canonicalBytes != b.canonicalBytes)
        let none = AuditEntry(sequence: 1, time: 0, actor: "a", address: nil, action: "c", outcome: "ok")
        let empty = AuditEntry(sequence: 1, time: 0, actor: "a", address: "", action: "c", outcome: "ok")
        #expect(none.canonicalBytes != empty.canonicalBytes)
        // Details are hashed in key order, whatever order the dictionary keeps.
        let d1 = AuditEntry(sequence: 1, time: 0, actor: "a", action: "c", outcome: "ok", details: ["x": "1", "y": "2"])
        let d2 = AuditEntry(sequence: 1, time: 0, actor: "a", action: "c", outcome: "ok", details: ["y": "2", "x": "1"])
        #expect(d1.canonicalBytes == d2.canonicalBytes)
        #expect(String(decoding: a.canonicalBytes, as: UTF8.self).hasPrefix("botvisor-audit-v1\nsequence=1:1\ntime=1:0\nactor=2:ab\naddress\n"))
    }

    @Test func secretsNeverReachTheDetails() {
        let token = OpaqueToken.generate(.api).printed
        let entry = AuditEntry(sequence: 1, time: 0, actor: "admin", action: "token.create", outcome: "success",
                               details: ["password": "hunter2", "new_password": "x", "token": token, "note": token,
                                         "authorization": "Bearer abc", "signing_key": "k", "token_name": "grafana",
                                         "role": "viewer", "jwt": "eyJhbGciOiJIUzI1NiJ9.e30.x"])
        #expect(entry.details["password"] == "[redacted]" && entry.details["new_password"] == "[redacted]")
        #expect(entry.details["token"] == "[redacted]" && entry.details["note"] == "[redacted]")
        #expect(entry.details["authorization"] == "[redacted]" && entry.details["signing_key"] == "[redacted]")
        #expect(entry.details["jwt"] == "[redacted]")
        #expect(entry.details["token_name"] == "grafana" && entry.details["role"] == "viewer")
        let text = String(decoding: entry.canonicalBytes, as: UTF8.self)
        #expect(!text.contains("hunter2") && !text.contains(token))
    }
}
