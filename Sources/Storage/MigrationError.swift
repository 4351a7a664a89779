/// The database records migrations this build does not know: it was written by
/// a newer build, and running an older one against it would corrupt data.
public struct MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var unknownVersions: [Int]
    public var latestKnownVersion: Int
    public var path: String

    public var description: String {
        let versions = unknownVersions.map(String.init).joined(separator: ", ")
        return "database \(path) has migrations \(versions) that this build does not know "
            + "(latest known: \(latestKnownVersion)); refusing to downgrade: run a newer botvisor"
    }
}
