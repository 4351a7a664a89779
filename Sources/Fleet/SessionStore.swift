import IPC

/// Keeps the gateway session state of each bot so a replacement worker resumes.
public protocol SessionStore: Sendable {
    func save(bot: String, session: SessionState?) async
    /// A worker of `bot` identified at `unixMillis`: kept so the identify spacing survives a daemon restart.
    func saveIdentify(bot: String, unixMillis: Int64) async
}

extension SessionStore {
    public func saveIdentify(bot: String, unixMillis: Int64) async {}
}
