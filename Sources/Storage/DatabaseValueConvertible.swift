/// A Swift type that can be bound to a statement parameter and read back from a column.
///
/// Conversions are exact: reading refuses a storage class that would lose
/// information (text into `Int`, a real into `Int`) instead of guessing, the
/// one exception being an integer read as `Double`.
public protocol DatabaseValueConvertible: Sendable {
    /// The value to store.
    var databaseValue: DatabaseValue { get }
    /// The Swift value for a stored value, or nil when `databaseValue` cannot represent `Self`.
    init?(databaseValue: DatabaseValue)
}

extension DatabaseValue: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { self }
    public init?(databaseValue: DatabaseValue) { self = databaseValue }
}

extension Int64: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .integer(self) }
    public init?(databaseValue: DatabaseValue) {
        guard case .integer(let v) = databaseValue else { return nil }
        self = v
    }
}

extension Int: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .integer(Int64(self)) }
    public init?(databaseValue: DatabaseValue) {
        guard case .integer(let v) = databaseValue, let exact = Int(exactly: v) else { return nil }
        self = exact
    }
}

extension Double: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .real(self) }
    public init?(databaseValue: DatabaseValue) {
        switch databaseValue {
        case .real(let v): self = v
        // `SELECT 1` and sum() over integers yield integers where a caller means a number.
        case .integer(let v): self = Double(v)
        default: return nil
        }
    }
}

extension Bool: DatabaseValueConvertible {
    /// SQLite has no boolean storage class: "Boolean values are stored as integers 0 (false) and 1 (true)"
    /// (https://www.sqlite.org/datatype3.html §2.1).
    public var databaseValue: DatabaseValue { .integer(self ? 1 : 0) }
    public init?(databaseValue: DatabaseValue) {
        guard case .integer(let v) = databaseValue else { return nil }
        self = v != 0
    }
}

extension String: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .text(self) }
    public init?(databaseValue: DatabaseValue) {
        guard case .text(let v) = databaseValue else { return nil }
        self = v
    }
}

extension Array: DatabaseValueConvertible where Element == UInt8 {
    public var databaseValue: DatabaseValue { .blob(self) }
    public init?(databaseValue: DatabaseValue) {
        guard case .blob(let v) = databaseValue else { return nil }
        self = v
    }
}

extension Optional: DatabaseValueConvertible where Wrapped: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { self?.databaseValue ?? .null }
    public init?(databaseValue: DatabaseValue) {
        if databaseValue == .null {
            self = .none
        } else if let wrapped = Wrapped(databaseValue: databaseValue) {
            self = .some(wrapped)
        } else {
            return nil
        }
    }
}
