#if canImport(Glibc)
import Glibc
#endif
import JSON
import IOCore
import IPC

/// A bot's command spool, `<runtime dir>/spool/<bot>.records` (mode 0600, the
/// directory 0700): the record of every command leaves the worker's memory
/// before it can be lost, so a `kill -9` of the worker or of botvisord (which
/// ends the worker through the parent-death signal) loses no record.
///
/// One JSON object per line, each appended with a single `write(2)` on an
/// `O_APPEND` descriptor, so the kernel holds it the moment the call returns
/// (a process crash cannot lose it; power loss can, as for SQLite's
/// `synchronous=NORMAL`). Kinds of line:
///
/// - `started`: written before a command is answered. It holds the record as
///   it would be stored if the worker died now (outcome `interrupted`), the
///   gateway event id it answers (interaction or message id), and the gateway
///   session position of that event.
/// - `finished`: the final record (outcome `ok`, `error`, `rate_limited`,
///   `timeout` or `expired`).
/// - `acked`: ids the supervisor committed to SQLite.
/// - `handled`: event ids carried over by a compaction.
///
/// A worker that opens the spool (a replacement of the same bot, or the same
/// worker after it reconnects, which keeps its copy) sends every finished
/// record not acked, and every started one that never finished as
/// `interrupted`; the supervisor ignores ids it already stored. The ids of
/// handled events make the worker refuse a replayed event it already
/// answered; the newest session position lets a replacement resume after
/// every event it handled although the supervisor writes its copy of the
/// position to SQLite only once a second.
///
/// One worker of a bot uses the spool at a time: `<bot>.lock` is held with
/// `flock` for the worker's life (the kernel drops it when the process dies),
/// and a replacement waits for it before reading. The file is rewritten
/// (to a temporary file, then `rename`) when it passes `compactAfterBytes`, so it stays small: unacked
/// records, the newest `handledMemory` event ids and the position.
struct CommandSpool {
    struct Line: Codable {
        enum Kind: String, Codable { case started, finished, acked, handled }
        var kind: Kind
        var record: CommandRecord?
        var event: String?
        var position: SessionState?
        var ids: [String]?
    }

    static let compactAfterBytes = 1 << 20
    /// Event ids remembered for refusing replays: a resume replays at most what the gateway
    /// buffered since the position, far fewer than this.
    static let handledMemory = 10_000
    /// Unacked records kept when the supervisor is away for long; older ones are dropped (and logged by the caller).
    static let pendingLimit = 100_000

    let path: String
    private var fd: Int32 = -1
    private var lockFD: Int32 = -1
    private var bytes = 0
    /// Finished records not acked yet, in order, and their ids.
    private(set) var pending: [CommandRecord] = []
    private var pendingIDs: Set<String> = []
    /// Started and not finished: record id -> the `interrupted` record to store if the worker dies.
    private var started: [String: CommandRecord] = [:]
    private var handledOrder: [String] = []
    private var handled: Set<String> = []
    /// The newest gateway position written with a started command.
    private(set) var position: SessionState?
    /// Records dropped because more than `pendingLimit` waited.
    private(set) var dropped = 0

    /// The spool of `bot` beside the IPC socket: `<dirname(socketPath)>/spool/<bot>.records`.
    static func path(socketPath: String, bot: String) -> String {
        let directory = socketPath.lastIndex(of: "/").map { String(socketPath[..<$0]) } ?? "."
        return (directory.isEmpty ? "" : directory) + "/spool/" + bot + ".records"
    }

    /// Opens (creating) the spool, waiting up to `lockTimeout` for a previous worker of the bot to let go,
    /// and reads what it holds: started-but-unfinished commands become `interrupted` records.
    static func open(path: String, lockTimeout: Duration = .seconds(5)) async throws -> CommandSpool {
        var spool = CommandSpool(path: path)
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !directory.isEmpty, mkdir(directory, 0o700) != 0, errno != EEXIST { throw SystemError(call: "mkdir", errno: errno) }
        spool.lockFD = Glibc.open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard spool.lockFD >= 0 else { throw SystemError(call: "open", errno: errno) }
        let deadline = ContinuousClock.now + lockTimeout
        while flock(spool.lockFD, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, ContinuousClock.now < deadline else {
                let e = errno
                spool.close()
                throw SystemError(call: "flock", errno: e)
            }
            try await Reactor.shared.sleep(until: .now + .milliseconds(10))
        }
        spool.load()
        // Whatever was started and never finished will not finish now.
        for record in spool.started.values.sorted(by: { $0.id < $1.id }) { spool.addPending(record) }
        spool.started.removeAll()
        try spool.compact()
        return spool
    }

    private init(path: String) { self.path = path }

    /// A spool that writes nothing: what the worker falls back to when the file cannot be opened.
    static func inMemory() -> CommandSpool { CommandSpool(path: "") }

    var isInMemory: Bool { fd < 0 }

    /// Takes over what an in-memory spool holds (after the file could be opened at last) and writes it out.
    mutating func adopt(_ other: CommandSpool) throws {
        for event in other.handledOrder { remember(event) }
        for (id, record) in other.started { started[id] = record }
        for record in other.pending { addPending(record) }
        if let p = other.position { position = p }
        try compact()
    }

    private mutating func load() {
        guard let data = try? readFile(path) else { return }
        let decoder = JSONValueDecoder()
        // A torn last line (a write cut by a crash mid-call cannot happen for one write(2) of a regular
        // file, but a full disk can cut one) fails to decode and is skipped.
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let entry = try? decoder.decode(Line.self, from: Array(line)) else { continue }
            apply(entry)
        }
    }

    private mutating func apply(_ line: Line) {
        switch line.kind {
        case .started:
            if let record = line.record { started[record.id] = record }
            if let event = line.event { remember(event) }
            if let p = line.position { position = p }
        case .finished:
            if let record = line.record {
                started[record.id] = nil
                addPending(record)
            }
        case .acked:
            acknowledge(Set(line.ids ?? []))
        case .handled:
            for id in line.ids ?? [] { remember(id) }
            if let p = line.position { position = p }
        }
    }

    private mutating func addPending(_ record: CommandRecord) {
        guard pendingIDs.insert(record.id).inserted else { return }
        pending.append(record)
        if pending.count > Self.pendingLimit {
            pendingIDs.remove(pending.removeFirst().id)
            dropped += 1
        }
    }

    private mutating func remember(_ event: String) {
        guard handled.insert(event).inserted else { return }
        handledOrder.append(event)
        if handledOrder.count > 2 * Self.handledMemory {
            for old in handledOrder.prefix(Self.handledMemory) { handled.remove(old) }
            handledOrder.removeFirst(Self.handledMemory)
        }
    }

    private mutating func acknowledge(_ ids: Set<String>) {
        guard !ids.isEmpty else { return }
        let before = pending.count
        pending.removeAll { ids.contains($0.id) }
        if pending.count != before { pendingIDs.subtract(ids) }
    }

    func hasHandled(_ event: String) -> Bool { handled.contains(event) }

    /// Notes a command about to be answered; false (and nothing written) when `event` was handled before.
    mutating func begin(_ interrupted: CommandRecord, event: String, position: SessionState?) throws -> Bool {
        guard !handled.contains(event) else { return false }
        remember(event)
        started[interrupted.id] = interrupted
        if let position { self.position = position }
        try append(Line(kind: .started, record: interrupted, event: event, position: position))
        return true
    }

    /// Notes a finished command's record; it stays pending until acked.
    mutating func finish(_ record: CommandRecord) throws {
        started[record.id] = nil
        addPending(record)
        try append(Line(kind: .finished, record: record))
    }

    /// Notes records the supervisor committed.
    mutating func acknowledged(_ ids: [String]) throws {
        let set = Set(ids)
        let relevant = ids.filter { pendingIDs.contains($0) }
        acknowledge(set)
        guard !relevant.isEmpty else { return }
        try append(Line(kind: .acked, ids: relevant))
        if bytes > Self.compactAfterBytes { try compact() }
    }

    private mutating func append(_ line: Line) throws {
        guard fd >= 0 else { return }
        var data = try JSONValueEncoder().encodeBytes(line)
        data.append(UInt8(ascii: "\n"))
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else { throw SystemError(call: "write", errno: written < 0 ? errno : EIO) }
        bytes += written
    }

    /// Rewrites the file with only what is still needed.
    mutating func compact() throws {
        guard !path.isEmpty else { return }
        let temporary = path + ".tmp"
        let out = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw SystemError(call: "open", errno: errno) }
        let encoder = JSONValueEncoder()
        var data = try encoder.encodeBytes(Line(kind: .handled, position: position, ids: Array(handledOrder.suffix(Self.handledMemory))))
        data.append(UInt8(ascii: "\n"))
        for record in started.values {
            data.append(contentsOf: try encoder.encodeBytes(Line(kind: .started, record: record)))
            data.append(UInt8(ascii: "\n"))
        }
        for record in pending {
            data.append(contentsOf: try encoder.encodeBytes(Line(kind: .finished, record: record)))
            data.append(UInt8(ascii: "\n"))
        }
        var offset = 0
        while offset < data.count {
            let n = data.withUnsafeBytes { write(out, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let e = errno
                Glibc.close(out)
                throw SystemError(call: "write", errno: e)
            }
            offset += n
        }
        Glibc.close(out)
        guard rename(temporary, path) == 0 else { throw SystemError(call: "rename", errno: errno) }
        if fd >= 0 { Glibc.close(fd) }
        fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError(call: "open", errno: errno) }
        bytes = data.count
    }

    /// Lets go of the files (the lock goes with them).
    mutating func close() {
        if fd >= 0 { Glibc.close(fd) }
        if lockFD >= 0 { Glibc.close(lockFD) }
        fd = -1
        lockFD = -1
    }
}
