/// What an account or token may do. Each role includes everything the roles below
/// it may do: `viewer` reads, `operator` also drives bots and jobs, `admin` also
/// manages configuration, accounts, tokens and the audit log.
public enum Role: String, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case viewer
    case `operator`
    case admin

    var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }

    /// Whether this role may do what `required` may do.
    public func allows(_ required: Role) -> Bool { self >= required }

    public var description: String { rawValue }
}
