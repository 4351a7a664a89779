/// One result row, copied out of SQLite so it can outlive the statement and
/// cross to other tasks.
public struct Row: Sendable, Equatable, CustomStringConvertible {
    /// Column names as SQLite reports them (`sqlite3_column_name`), in order.
    public let columnNames: [String]
    public let values: [DatabaseValue]

    public init(columnNames: [String], values: [DatabaseValue]) {
        precondition(columnNames.count == values.count, "a row needs one name per value")
        self.columnNames = columnNames
        self.values = values
    }

    public var count: Int { values.count }

    /// The value of the column at `index` (0-based, like SQLite's column API).
    public subscript(index: Int) -> DatabaseValue { values[index] }

    /// The value of the first column named `column`, or nil when there is none.
    public subscript(column: String) -> DatabaseValue? {
        columnNames.firstIndex(of: column).map { values[$0] }
    }

    /// The column at `index` as a `T`; throws `SQLITE_MISMATCH` when the stored value cannot be one.
    public func decode<T: DatabaseValueConvertible>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw DatabaseError(.range, message: "no column \(index) in a row of \(values.count)")
        }
        return try convert(values[index], column: columnNames[index])
    }

    /// The column named `column` as a `T`; throws `SQLITE_RANGE` for an unknown
    /// name and `SQLITE_MISMATCH` when the stored value cannot be a `T`.
    public func decode<T: DatabaseValueConvertible>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columnNames.firstIndex(of: column) else {
            throw DatabaseError(.range, message: "no column named \(column) (columns: \(columnNames.joined(separator: ", ")))")
        }
        return try convert(values[index], column: column)
    }

    private func convert<T: DatabaseValueConvertible>(_ value: DatabaseValue, column: String) throws -> T {
        guard let converted = T(databaseValue: value) else {
            throw DatabaseError(.mismatch, message: "column \(column) holds \(value.storageClass), not \(T.self)")
        }
        return converted
    }

    public var description: String {
        "[" + zip(columnNames, values).map { "\($0)=\($1)" }.joined(separator: " ") + "]"
    }
}
