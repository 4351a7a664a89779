import IPC

/// Where bots are kept (the SQLite `bots` table in production).
public protocol BotRepository: Sendable {
    func all() async throws -> [BotDefinition]
    func add(_ bot: BotDefinition) async throws
    func update(_ bot: BotDefinition) async throws
    func remove(name: String) async throws
    func session(bot: String) async throws -> SessionState?
    /// When a worker of `bot` last identified, in Unix milliseconds.
    func lastIdentify(bot: String) async throws -> Int64?
}

extension BotRepository {
    public func lastIdentify(bot: String) async throws -> Int64? { nil }
}
