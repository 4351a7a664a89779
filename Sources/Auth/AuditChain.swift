import Crypto

/// One security-relevant event as the audit log stores it. `details` must not
/// hold secrets; values under secret-sounding keys, and values that look like
/// botvisor tokens, are replaced by `[redacted]` when the entry is made.
public struct AuditEntry: Sendable, Equatable {
    /// The row id: strictly increasing along the chain.
    public var sequence: Int64
    /// Unix milliseconds.
    public var time: Int64
    /// `admin` (account), `token:grafana`, `control:0` ...
    public var actor: String
    public var address: String?
    /// `auth.login`, `bot.stop` ...
    public var action: String
    public var target: String?
    /// `success`, `failure`, `denied`.
    public var outcome: String
    public var requestID: String?
    public private(set) var details: [String: String]

    public init(sequence: Int64, time: Int64, actor: String, address: String? = nil, action: String,
                target: String? = nil, outcome: String, requestID: String? = nil, details: [String: String] = [:]) {
        self.sequence = sequence
        self.time = time
        self.actor = actor
        self.address = address
        self.action = action
        self.target = target
        self.outcome = outcome
        self.requestID = requestID
        self.details = AuditEntry.redacted(details)
    }

    static let secretKeyWords = ["password", "passwd", "secret", "token", "authorization", "bearer", "cookie", "key"]
    /// Keys that name a token but hold no secret.
    static let harmlessKeys: Set<String> = ["token_name", "token_id", "key_id", "kid"]

    static func redacted(_ details: [String: String]) -> [String: String] {
        details.reduce(into: [:]) { out, pair in
            let key = pair.key.lowercased()
            let namesSecret = !harmlessKeys.contains(key) && secretKeyWords.contains { key.utf8.containsBytes(of: $0) }
            let looksLikeToken = pair.value.hasPrefix("bvr_") || pair.value.hasPrefix("bva_")
                || pair.value.hasPrefix("eyJ") || pair.value.lowercased().hasPrefix("bearer ")
            out[pair.key] = namesSecret || looksLikeToken ? "[redacted]" : pair.value
        }
    }

    /// The bytes the chain hashes: a version tag, then every field in a fixed order
    /// as `name=<byte count>:<bytes>\n` (netstring-like, so no field can bleed into
    /// the next), an absent optional as `name\n`, details sorted by key.
    public var canonicalBytes: [UInt8] {
        var out = Array("botvisor-audit-v1\n".utf8)
        func field(_ name: String, _ value: String?) {
            out += Array(name.utf8)
            if let value {
                let bytes = Array(value.utf8)
                out += Array("=\(bytes.count):".utf8)
                out += bytes
            }
            out.append(0x0A)
        }
        field("sequence", String(sequence))
        field("time", String(time))
        field("actor", actor)
        field("address", address)
        field("action", action)
        field("target", target)
        field("outcome", outcome)
        field("request_id", requestID)
        field("details", String(details.count))
        for key in details.keys.sorted() {
            field("details.key", key)
            field("details.value", details[key])
        }
        return out
    }
}

/// A stored audit row: the entry, the hash of the row before it, and its own hash.
public struct AuditRow: Sendable, Equatable {
    public var entry: AuditEntry
    public var previousHash: [UInt8]
    public var hash: [UInt8]

    public init(entry: AuditEntry, previousHash: [UInt8], hash: [UInt8]) {
        self.entry = entry
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// Where a chain starts: the genesis, or, after retention removed a prefix, the
/// last removed row's sequence and hash (recorded when the prefix was removed).
public struct AuditAnchor: Sendable, Equatable {
    public var sequence: Int64
    public var hash: [UInt8]

    public init(sequence: Int64, hash: [UInt8]) {
        self.sequence = sequence
        self.hash = hash
    }

    /// The start of a chain that never lost a row: sequence 0, 32 zero bytes.
    public static let genesis = AuditAnchor(sequence: 0, hash: [UInt8](repeating: 0, count: 32))
}

/// The hash chain over audit rows: `hash = SHA-256(previousHash || canonical)`.
/// Editing a row changes its hash; removing one breaks the next row's link; so a
/// verifier walking the rows in order names the first row that was touched.
/// It cannot see a rewrite of the whole tail from some row on by someone who can
/// also recompute hashes; the journald copy of each event is the outside witness.
public enum AuditChain {
    /// The hash of `entry` following a row whose hash is `previous`.
    public static func hash(_ entry: AuditEntry, previous: [UInt8]) -> [UInt8] {
        SHA256.hash(previous + entry.canonicalBytes)
    }

    /// `entry` sealed onto the chain after `previous` (the last row's hash, or the anchor's).
    public static func seal(_ entry: AuditEntry, after previous: [UInt8]) -> AuditRow {
        AuditRow(entry: entry, previousHash: previous, hash: hash(entry, previous: previous))
    }

    /// The first problem found while walking a chain.
    public enum Break: Sendable, Equatable, CustomStringConvertible {
        /// The row's contents do not match its hash: it was edited.
        case altered(sequence: Int64)
        /// The row's link does not match the row before it, and the sequence numbers
        /// skip `missing`: rows were removed.
        case removed(after: Int64, before: Int64)
        /// The row's link does not match the (intact) row before it, which was
        /// therefore edited and re-hashed; or the link itself was edited.
        case relinked(sequence: Int64, previous: Int64)
        /// Sequences go backwards or repeat.
        case outOfOrder(sequence: Int64, previous: Int64)

        /// The row to name in `botvisorctl audit verify`.
        public var sequence: Int64 {
            switch self {
            case .altered(let s), .relinked(_, let s), .outOfOrder(let s, _): s
            case .removed(let after, _): after + 1
            }
        }

        public var description: String {
            switch self {
            case .altered(let s): "row \(s) was altered: its contents do not match its hash"
            case .removed(let a, let b):
                b - a == 2 ? "row \(a + 1) was removed" : "rows \(a + 1) to \(b - 1) were removed"
            case .relinked(let s, let p): "row \(p) was altered (row \(s) no longer follows it)"
            case .outOfOrder(let s, let p): "row \(s) follows row \(p): out of order"
            }
        }
    }

    /// The result of `verify`.
    public enum Verification: Sendable, Equatable {
        /// Every row checks out; `head` is the last row's sequence and hash.
        case intact(rows: Int, head: AuditAnchor)
        case broken(Break)
    }

    /// Walks `rows` in order from `anchor`, and answers the first break.
    public static func verify(_ rows: some Sequence<AuditRow>, from anchor: AuditAnchor = .genesis) -> Verification {
        var previous = anchor
        var count = 0
        for row in rows {
            let s = row.entry.sequence
            guard s > previous.sequence else { return .broken(.outOfOrder(sequence: s, previous: previous.sequence)) }
            guard ConstantTime.equals(hash(row.entry, previous: row.previousHash), row.hash) else {
                return .broken(.altered(sequence: s))
            }
            guard ConstantTime.equals(row.previousHash, previous.hash) else {
                // Ids come from one AUTOINCREMENT column, so a gap at a broken link means removed rows.
                if s > previous.sequence + 1 { return .broken(.removed(after: previous.sequence, before: s)) }
                // The first row must hang from the anchor itself: there is no earlier row to blame.
                if count == 0 { return .broken(.altered(sequence: s)) }
                return .broken(.relinked(sequence: s, previous: previous.sequence))
            }
            previous = AuditAnchor(sequence: s, hash: row.hash)
            count += 1
        }
        return .intact(rows: count, head: previous)
    }
}

extension String.UTF8View {
    /// Whether `word`'s bytes appear in these bytes (`String.contains(_:)` is `_StringProcessing`'s, which this
    /// module does not import; for the ASCII words it is used with, bytes and characters agree).
    fileprivate func containsBytes(of word: String) -> Bool {
        let text = Array(self), word = Array(word.utf8)
        guard word.count <= text.count else { return false }
        return (0...(text.count - word.count)).contains { text[$0..<$0 + word.count].elementsEqual(word) }
    }
}
