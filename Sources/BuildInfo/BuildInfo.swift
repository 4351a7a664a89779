import CBuildInfo

/// What `--version` prints on every botvisor binary.
///
/// The version lives here and only here; bump it with a release. The commit and its date are known only
/// when the build was given them (scripts/install.sh does, with `-Xcc -DBOTVISOR_GIT_COMMIT=...`);
/// a plain `swift build` says `development build` rather than guess.
public enum BuildInfo {
    public static let version = "0.1.0"

    /// `abc1234` (or `abc1234-dirty`), nil for a development build.
    public static var commit: String? {
        let value = String(cString: botvisor_build_commit())
        return value.isEmpty ? nil : value
    }

    /// `2026-12-03`, the commit's date, when the build was given it.
    public static var date: String? {
        let value = String(cString: botvisor_build_date())
        return value.isEmpty ? nil : value
    }

    /// `botvisord 0.1.0 (git abc1234, 2026-12-03)` or `botvisord 0.1.0 (development build)`.
    public static func versionLine(program: String) -> String {
        guard let commit else { return "\(program) \(version) (development build)" }
        return "\(program) \(version) (git \(commit)\(date.map { ", \($0)" } ?? ""))"
    }
}
