import CSQLite

/// An SQLite result code, primary or extended (https://www.sqlite.org/rescode.html).
///
/// The low 8 bits are the primary code; an extended code adds detail in the
/// higher bits (`SQLITE_CONSTRAINT_UNIQUE` is `SQLITE_CONSTRAINT | 8 << 8`).
/// `==` compares exactly; in a `switch`, a primary constant also matches its
/// extended codes:
///
///     switch error.extendedResultCode {
///     case .constraintUnique: ...   // only UNIQUE
///     case .constraint: ...         // any other constraint violation
///     default: ...
///     }
public struct ResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// The primary code: "the least significant 8 bits" (rescode.html §2).
    public var primary: ResultCode { ResultCode(rawValue: rawValue & 0xFF) }

    public var isPrimary: Bool { self == primary }

    /// SQLite's own name, `SQLITE_CONSTRAINT_UNIQUE`, or nil for a code this file does not list.
    public var name: String? { Self.names[self] }

    /// `SQLITE_BUSY (5)`, or `SQLITE_IOERR+3338` for an unlisted extended code.
    public var description: String {
        if let name { return "\(name) (\(rawValue))" }
        if let primaryName = primary.name { return "\(primaryName)+\(rawValue >> 8) (\(rawValue))" }
        return "SQLite result code \(rawValue)"
    }

    /// A primary pattern matches itself and every extended code built on it;
    /// an extended pattern matches only itself.
    public static func ~= (pattern: ResultCode, code: ResultCode) -> Bool {
        pattern.isPrimary ? pattern == code.primary : pattern == code
    }

    // Primary result codes (https://www.sqlite.org/rescode.html#primary_result_code_list).
    public static let ok = ResultCode(rawValue: SQLITE_OK)
    public static let error = ResultCode(rawValue: SQLITE_ERROR)
    public static let `internal` = ResultCode(rawValue: SQLITE_INTERNAL)
    public static let permission = ResultCode(rawValue: SQLITE_PERM)
    public static let abort = ResultCode(rawValue: SQLITE_ABORT)
    public static let busy = ResultCode(rawValue: SQLITE_BUSY)
    public static let locked = ResultCode(rawValue: SQLITE_LOCKED)
    public static let noMemory = ResultCode(rawValue: SQLITE_NOMEM)
    public static let readOnly = ResultCode(rawValue: SQLITE_READONLY)
    public static let interrupt = ResultCode(rawValue: SQLITE_INTERRUPT)
    public static let ioError = ResultCode(rawValue: SQLITE_IOERR)
    public static let corrupt = ResultCode(rawValue: SQLITE_CORRUPT)
    public static let notFound = ResultCode(rawValue: SQLITE_NOTFOUND)
    public static let full = ResultCode(rawValue: SQLITE_FULL)
    public static let cantOpen = ResultCode(rawValue: SQLITE_CANTOPEN)
    public static let `protocol` = ResultCode(rawValue: SQLITE_PROTOCOL)
    public static let schema = ResultCode(rawValue: SQLITE_SCHEMA)
    public static let tooBig = ResultCode(rawValue: SQLITE_TOOBIG)
    public static let constraint = ResultCode(rawValue: SQLITE_CONSTRAINT)
    public static let mismatch = ResultCode(rawValue: SQLITE_MISMATCH)
    public static let misuse = ResultCode(rawValue: SQLITE_MISUSE)
    public static let auth = ResultCode(rawValue: SQLITE_AUTH)
    public static let range = ResultCode(rawValue: SQLITE_RANGE)
    public static let notADatabase = ResultCode(rawValue: SQLITE_NOTADB)
    public static let row = ResultCode(rawValue: SQLITE_ROW)
    public static let done = ResultCode(rawValue: SQLITE_DONE)

    // Extended result codes the supervisor reacts to
    // (https://www.sqlite.org/rescode.html#extended_result_code_list).
    public static let busyRecovery = ResultCode(rawValue: SQLITE_BUSY | 1 << 8)
    public static let busySnapshot = ResultCode(rawValue: SQLITE_BUSY | 2 << 8)
    public static let busyTimeout = ResultCode(rawValue: SQLITE_BUSY | 3 << 8)
    public static let constraintCheck = ResultCode(rawValue: SQLITE_CONSTRAINT | 1 << 8)
    public static let constraintForeignKey = ResultCode(rawValue: SQLITE_CONSTRAINT | 3 << 8)
    public static let constraintNotNull = ResultCode(rawValue: SQLITE_CONSTRAINT | 5 << 8)
    public static let constraintPrimaryKey = ResultCode(rawValue: SQLITE_CONSTRAINT | 6 << 8)
    public static let constraintTrigger = ResultCode(rawValue: SQLITE_CONSTRAINT | 7 << 8)
    public static let constraintUnique = ResultCode(rawValue: SQLITE_CONSTRAINT | 8 << 8)
    public static let constraintRowID = ResultCode(rawValue: SQLITE_CONSTRAINT | 10 << 8)
    public static let constraintDatatype = ResultCode(rawValue: SQLITE_CONSTRAINT | 12 << 8)
    public static let readOnlyDatabaseMoved = ResultCode(rawValue: SQLITE_READONLY | 4 << 8)
    public static let abortRollback = ResultCode(rawValue: SQLITE_ABORT | 2 << 8)

    private static let names: [ResultCode: String] = [
        .ok: "SQLITE_OK", .error: "SQLITE_ERROR", .internal: "SQLITE_INTERNAL",
        .permission: "SQLITE_PERM", .abort: "SQLITE_ABORT", .busy: "SQLITE_BUSY",
        .locked: "SQLITE_LOCKED", .noMemory: "SQLITE_NOMEM", .readOnly: "SQLITE_READONLY",
        .interrupt: "SQLITE_INTERRUPT", .ioError: "SQLITE_IOERR", .corrupt: "SQLITE_CORRUPT",
        .notFound: "SQLITE_NOTFOUND", .full: "SQLITE_FULL", .cantOpen: "SQLITE_CANTOPEN",
        .protocol: "SQLITE_PROTOCOL", .schema: "SQLITE_SCHEMA", .tooBig: "SQLITE_TOOBIG",
        .constraint: "SQLITE_CONSTRAINT", .mismatch: "SQLITE_MISMATCH", .misuse: "SQLITE_MISUSE",
        .auth: "SQLITE_AUTH", .range: "SQLITE_RANGE", .notADatabase: "SQLITE_NOTADB",
        .row: "SQLITE_ROW", .done: "SQLITE_DONE",
        .busyRecovery: "SQLITE_BUSY_RECOVERY", .busySnapshot: "SQLITE_BUSY_SNAPSHOT",
        .busyTimeout: "SQLITE_BUSY_TIMEOUT",
        .constraintCheck: "SQLITE_CONSTRAINT_CHECK", .constraintForeignKey: "SQLITE_CONSTRAINT_FOREIGNKEY",
        .constraintNotNull: "SQLITE_CONSTRAINT_NOTNULL", .constraintPrimaryKey: "SQLITE_CONSTRAINT_PRIMARYKEY",
        .constraintTrigger: "SQLITE_CONSTRAINT_TRIGGER", .constraintUnique: "SQLITE_CONSTRAINT_UNIQUE",
        .constraintRowID: "SQLITE_CONSTRAINT_ROWID", .constraintDatatype: "SQLITE_CONSTRAINT_DATATYPE",
        .readOnlyDatabaseMoved: "SQLITE_READONLY_DBMOVED", .abortRollback: "SQLITE_ABORT_ROLLBACK",
    ]
}
