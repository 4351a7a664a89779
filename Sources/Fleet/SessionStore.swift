import IPC

/// Keeps the gateway session state of each bot so a replacement worker resumes.
public protocol SessionStore: Sendable {
    func save(bot: String, session: SessionState?) async
}
