#if canImport(Glibc)
import Glibc
#endif
import IOCore
import Testing

@Suite struct MemoryTests {
    /// Resident kB of the file-backed executable mappings of this process, from /proc/self/smaps.
    static func residentCodeKB() throws -> Int {
        let text = String(decoding: try readFile("/proc/self/smaps"), as: UTF8.self)
        var total = 0, inCode = false
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), !first.hasSuffix(":") {
                inCode = fields.count > 5 && fields[1] == "r-xp" && fields[5].hasPrefix("/")
            } else if inCode, fields.first == "Rss:", fields.count > 1 {
                total += Int(fields[1]) ?? 0
            }
        }
        return total
    }

    @Test func droppingCodePagesShrinksTheResidentSetAndTheCodeStillRuns() throws {
        let before = try Self.residentCodeKB()
        #expect(before > 0)
        let advised = Memory.dropCodePages()
        // Counted right after the drop: only the pages this test touches again come back.
        let after = try Self.residentCodeKB()
        #expect(advised >= before * 1024)
        #expect(after < before)
        // The code faults back in from the file as it runs: the same computation gives the same answer.
        var hasher = Hasher()
        hasher.combine("botvisor")
        _ = hasher.finalize()
        #expect(String(decoding: Array("résumé".utf8), as: UTF8.self).count == 6)
        #expect(try Self.residentCodeKB() > 0)
    }
}
