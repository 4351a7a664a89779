/// A dictionary with a hard cap on its entries that evicts the least recently
/// used entry to make room, in O(1). Rate-limit and lockout state are kept in it so
/// that a flood from many client addresses costs a fixed amount of memory.
/// Entries live in one array (the storage never grows past `capacity`) linked
/// into a recency list by index.
public struct BoundedTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    struct Node: Sendable {
        var key: Key
        var value: Value
        var newer: Int   // toward the most recently used; -1 at the head
        var older: Int   // toward the least recently used; -1 at the tail
    }

    public let capacity: Int
    private var nodes: [Node] = []
    private var index: [Key: Int] = [:]
    private var newest = -1
    private var oldest = -1
    /// How many entries were evicted to make room since the table was made.
    public private(set) var evictions = 0

    public init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
        nodes.reserveCapacity(capacity)
        index.reserveCapacity(capacity)
    }

    public var count: Int { index.count }
    /// Slots allocated for entries; never more than `capacity`.
    public var storageCount: Int { nodes.count }

    /// The value for `key`, marking it most recently used.
    public mutating func touch(_ key: Key) -> Value? {
        guard let i = index[key] else { return nil }
        moveToFront(i)
        return nodes[i].value
    }

    /// The value for `key` without changing recency.
    public func peek(_ key: Key) -> Value? {
        index[key].map { nodes[$0].value }
    }

    /// Stores `value` for `key` as most recently used; returns the entry evicted to make room, if any.
    @discardableResult
    public mutating func set(_ key: Key, _ value: Value) -> (key: Key, value: Value)? {
        if let i = index[key] {
            nodes[i].value = value
            moveToFront(i)
            return nil
        }
        var evicted: (key: Key, value: Value)? = nil
        let slot: Int
        if nodes.count < capacity {
            nodes.append(Node(key: key, value: value, newer: -1, older: -1))
            slot = nodes.count - 1
        } else {
            // Full: reuse the least recently used entry's slot.
            slot = oldest
            evicted = (nodes[slot].key, nodes[slot].value)
            unlink(slot)
            index.removeValue(forKey: nodes[slot].key)
            nodes[slot] = Node(key: key, value: value, newer: -1, older: -1)
            evictions += 1
        }
        index[key] = slot
        linkAtFront(slot)
        return evicted
    }

    /// Updates the value for `key` in place (inserting `make()` first if absent).
    public mutating func update<R>(_ key: Key, default make: () -> Value, _ body: (inout Value) -> R) -> R {
        if index[key] == nil { set(key, make()) } else { moveToFront(index[key]!) }
        let i = index[key]!
        return body(&nodes[i].value)
    }

    /// Removes `key`.
    public mutating func remove(_ key: Key) {
        guard let i = index.removeValue(forKey: key) else { return }
        unlink(i)
        // Keep the array dense: move the last node into the hole.
        let last = nodes.count - 1
        if i != last {
            let moved = nodes[last]
            nodes[i] = moved
            index[moved.key] = i
            if moved.newer >= 0 { nodes[moved.newer].older = i } else { newest = i }
            if moved.older >= 0 { nodes[moved.older].newer = i } else { oldest = i }
        }
        nodes.removeLast()
    }

    /// Removes every entry for which `isStale` holds (idle entries that carry no state).
    public mutating func removeAll(where isStale: (Key, Value) -> Bool) {
        for key in index.keys where isStale(key, nodes[index[key]!].value) { remove(key) }
    }

    /// The entries, most recently used first.
    public var entries: [(key: Key, value: Value)] {
        var out: [(key: Key, value: Value)] = []
        var i = newest
        while i >= 0 {
            out.append((nodes[i].key, nodes[i].value))
            i = nodes[i].older
        }
        return out
    }

    private mutating func unlink(_ i: Int) {
        let (newer, older) = (nodes[i].newer, nodes[i].older)
        if newer >= 0 { nodes[newer].older = older } else { newest = older }
        if older >= 0 { nodes[older].newer = newer } else { oldest = newer }
        nodes[i].newer = -1
        nodes[i].older = -1
    }

    private mutating func linkAtFront(_ i: Int) {
        nodes[i].older = newest
        nodes[i].newer = -1
        if newest >= 0 { nodes[newest].newer = i }
        newest = i
        if oldest < 0 { oldest = i }
    }

    private mutating func moveToFront(_ i: Int) {
        guard newest != i else { return }
        unlink(i)
        linkAtFront(i)
    }
}
