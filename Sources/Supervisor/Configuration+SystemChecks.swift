#if canImport(Glibc)
import Glibc
#endif
import Control
import IOCore

extension Configuration {
    /// What the configuration asks of this machine that the file alone cannot show.
    public struct SystemCheck: Sendable, Equatable {
        /// The daemon would fail to start (`botvisord --check-config` exits 78).
        public var errors: [String] = []
        /// True for whoever runs the check, which may not be the daemon's user: under systemd
        /// (`ExecStartPre=`) the checker is the daemon, so the daemon treats these as errors.
        public var membershipProblems: [String] = []
    }

    /// Checks `[control] group`: it must exist, and the daemon must be in it (the daemon can only give
    /// control.sock to a group it belongs to; with the shipped unit that means `SupplementaryGroups=`).
    /// Also that `[http] tls_certificate` and `tls_key` name files that exist (whether they hold a matching
    /// certificate and key, the daemon finds out when it loads them, and refuses to start if not).
    public func checkSystem() -> SystemCheck {
        var check = SystemCheck()
        for (key, path) in [("tls_certificate", tlsCertificate), ("tls_key", tlsKey)] {
            if let path, !FileSystem.exists(path) { check.errors.append("[http] \(key): no file at \(path)") }
        }
        guard let controlGroup else { return check }
        guard let entry = getgrnam(controlGroup) else {
            check.errors.append("[control] group: no group named `\(controlGroup)` on this machine (create it with `groupadd \(controlGroup)`, or remove the line)")
            return check
        }
        let gid = entry.pointee.gr_gid
        if geteuid() != 0 && !Self.processIsInGroup(gid) {
            let user = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid \(geteuid())"
            check.membershipProblems.append(
                "[control] group: \(user) is not in group `\(controlGroup)`, so it cannot give control.sock to it; "
                    + "under systemd add `SupplementaryGroups=\(controlGroup)` to the unit (`systemctl edit botvisor`)")
        }
        return check
    }

    static func processIsInGroup(_ gid: gid_t) -> Bool {
        if getegid() == gid { return true }
        let count = getgroups(0, nil)
        guard count > 0 else { return false }
        var groups = [gid_t](repeating: 0, count: Int(count))
        let filled = getgroups(count, &groups)
        return filled > 0 && groups[..<Int(filled)].contains(gid)
    }
}
