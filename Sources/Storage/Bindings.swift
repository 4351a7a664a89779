/// The values bound to a statement's parameters: positional (`?`) from an
/// array literal, or named (`:name`) from a dictionary literal.
///
///     try db.execute("INSERT INTO bots(name, token) VALUES (?, ?)", [name, nil])
///     try db.query("SELECT * FROM bots WHERE name = :name", [":name": name])
///
/// The count must match the statement's parameters exactly: a forgotten value
/// would otherwise be bound as NULL without a word.
public struct Bindings: Sendable, Equatable, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    /// The values, by position or by name.
    enum Storage: Sendable, Equatable {
        case positional([DatabaseValue])
        case named([String: DatabaseValue])
    }

    let storage: Storage

    public init(_ values: [DatabaseValue]) {
        storage = .positional(values)
    }

    /// Named values; a name without SQLite's `:`, `@` or `$` prefix gets `:`.
    public init(named values: [String: DatabaseValue]) {
        var normalized: [String: DatabaseValue] = [:]
        for (name, value) in values {
            let hasPrefix = name.first.map { ":@$".contains($0) } ?? false
            let key = hasPrefix ? name : ":" + name
            precondition(normalized[key] == nil, "parameter \(key) bound twice")
            normalized[key] = value
        }
        storage = .named(normalized)
    }

    public init(arrayLiteral elements: (any DatabaseValueConvertible)?...) {
        self.init(elements.map { $0?.databaseValue ?? .null })
    }

    public init(dictionaryLiteral elements: (String, (any DatabaseValueConvertible)?)...) {
        var values: [String: DatabaseValue] = [:]
        for (name, value) in elements {
            precondition(values[name] == nil, "parameter \(name) bound twice")
            values[name] = value?.databaseValue ?? .null
        }
        self.init(named: values)
    }

    public var count: Int {
        switch storage {
        case .positional(let values): values.count
        case .named(let values): values.count
        }
    }
}
