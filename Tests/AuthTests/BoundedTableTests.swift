import Testing
@testable import Auth

@Suite struct BoundedTableTests {
    @Test func theLeastRecentlyUsedEntryIsEvictedAndRemovalKeepsTheListIntact() {
        var table = BoundedTable<Int, String>(capacity: 3)
        table.set(1, "a")
        table.set(2, "b")
        table.set(3, "c")
        #expect(table.touch(1) == "a")
        let evicted = table.set(4, "d")
        #expect(evicted?.key == 2)
        #expect(table.entries.map(\.key) == [4, 1, 3])
        table.remove(1)
        #expect(table.entries.map(\.key) == [4, 3])
        table.set(5, "e")
        table.set(6, "f")
        #expect(table.entries.map(\.key) == [6, 5, 4])
        #expect(table.count == 3 && table.storageCount == 3)
        table.removeAll { key, _ in key % 2 == 0 }
        #expect(table.entries.map(\.key) == [5])
        #expect(table.peek(5) == "e" && table.peek(6) == nil)
    }
}
