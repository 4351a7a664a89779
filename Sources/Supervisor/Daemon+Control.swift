import Control
import Fleet
import FoundationEssentials
import IPC
import Store

extension Daemon {
    /// Answers one control request. Commands that act on several bots act on each and answer one
    /// result per name, so a typo in one name neither stops the others nor goes unreported.
    func handle(_ request: ControlRequest) async -> ControlReply {
        guard let fleet, let store else { return .failure("NOT_READY", "botvisord is starting") }
        do {
            switch request.command {
            case .status, .botList:
                guard let names = request.bots, !names.isEmpty else {
                    var reply = ControlReply.success(bots: try await fleet.statuses())
                    reply.http = httpAddress?.description
                    return reply
                }
                var bots: [BotStatus] = []
                var results: [ControlReply.BotResult] = []
                for name in names {
                    do {
                        bots += try await fleet.statuses([name])
                        results.append(.init(name: name, ok: true))
                    } catch let error as FleetError {
                        results.append(.init(name: name, ok: false, error: .init(code: error.code, message: error.message)))
                    }
                }
                var reply = ControlReply(ok: results.allSatisfy(\.ok), bots: bots, results: results)
                reply.http = httpAddress?.description
                return reply
            case .start, .stop, .restart:
                let names = request.all == true ? await fleet.names : (request.bots ?? [])
                guard !names.isEmpty else { return .failure("BOT_REQUIRED", "name one or more bots, or all") }
                var results: [ControlReply.BotResult] = []
                var found: [String] = []
                for name in names {
                    do {
                        let s = try await fleet.supervisor(named: name)
                        switch request.command {
                        case .start: s.start()
                        case .stop: await s.stop()
                        default: s.restart()
                        }
                        found.append(name)
                        results.append(.init(name: name, ok: true))
                    } catch let error as FleetError {
                        results.append(.init(name: name, ok: false, error: .init(code: error.code, message: error.message)))
                    }
                }
                return ControlReply(ok: results.allSatisfy(\.ok), bots: try await fleet.statuses(found), results: results)
            case .reload:
                return await reload()
            case .shutdown:
                shutdownContinuation.yield()
                return .success(message: "shutting down")
            case .botAdd:
                let bot: BotDefinition
                do {
                    bot = try BotConfigValidator(fields: request.botConfigFields).apply(to: BotDefinition(name: "", token: ""), creating: true)
                } catch {
                    return .failure(error)
                }
                try await fleet.add(bot)
                return .success(message: "bot \(bot.name) added", bots: try await fleet.statuses([bot.name]))
            case .botSet:
                guard let name = request.bots?.first, request.bots?.count == 1 else { return .failure("BOT_REQUIRED", "name one bot") }
                let supervisor = try await fleet.supervisor(named: name)
                let old = await supervisor.definition
                let bot: BotDefinition
                do {
                    bot = try BotConfigValidator(fields: request.botConfigFields).apply(to: old, creating: false)
                } catch {
                    return .failure(error)
                }
                // As PATCH /api/v1/bots/{name}: most fields reach the worker over IPC, a new token or
                // new intents by a restart with a fresh identify (BotSupervisor's .configure).
                if bot != old { try await fleet.update(bot) }
                return .success(message: bot == old ? "bot \(name) unchanged" : "bot \(name) updated", bots: try await fleet.statuses([name]))
            case .botEnable, .botDisable:
                guard let name = request.bots?.first else { return .failure("BOT_REQUIRED", "name a bot") }
                guard var bot = try await store.all().first(where: { $0.name == name }) else {
                    return .failure("BOT_NOT_FOUND", "no bot named \(name)")
                }
                bot.enabled = request.command == .botEnable
                try await fleet.update(bot)
                let s = try await fleet.supervisor(named: name)
                if bot.enabled { s.start() } else { await s.stop() }
                return .success(message: "bot \(name) \(bot.enabled ? "enabled" : "disabled")")
            case .botRemove:
                guard let name = request.bots?.first else { return .failure("BOT_REQUIRED", "name a bot") }
                try await fleet.remove(name)
                outputLogs.remove(bot: name)
                return .success(message: "bot \(name) removed")
            case .backup:
                guard let path = request.path, path.hasPrefix("/") else {
                    return .failure("BAD_REQUEST", "backup needs the absolute path of the copy")
                }
                do {
                    let result = try await store.backup(to: path)
                    return .success(message: "backup written: \(result.databasePath) (\(result.databaseBytes) bytes) and its token key \(result.keyPath)")
                } catch {
                    return .failure("BACKUP_FAILED", "\(error)")
                }
            case .logs:
                return try await logs(request, fleet: fleet, store: store)
            case .stockList, .stockShow, .stockHide, .stockSet, .displayList, .displayRefresh:
                return try await handleStock(request, store: store, fleet: fleet)
            }
        } catch let error as FleetError {
            return .failure(error.code, error.message)
        } catch {
            return .failure("INTERNAL", "\(error)")
        }
    }

    /// A bot's worker output and command records after the request's cursor. Polled by `logs -f`: a
    /// request-reply keeps the socket's one-line protocol, and a client that goes away costs nothing.
    private func logs(_ request: ControlRequest, fleet: Fleet, store: SupervisorStore) async throws -> ControlReply {
        let bot = request.bots?.first
        if let bot { _ = try await fleet.supervisor(named: bot) }
        guard bot != nil || request.commandsOnly == true else { return .failure("BOT_REQUIRED", "name a bot (or ask for --commands only)") }
        let limit = min(max(request.limit ?? 50, 1), 1000)
        var lines: [WorkerOutputLine] = []
        var outputCursor = request.cursor?.output ?? 0
        if let bot, request.commandsOnly != true {
            lines = outputLogs.lines(bot: bot, after: request.cursor?.output, limit: limit)
            // With no new line the cursor stays where it was (or, on a first request, at the newest line).
            outputCursor = lines.last?.seq ?? (request.cursor == nil ? outputLogs.lastSeq(bot: bot) : outputCursor)
        }
        let (records, lastRowID) = try await store.recordsAfter(rowid: request.cursor?.record, bot: bot,
                                                                failedOnly: request.failedOnly == true, limit: limit)
        return ControlReply(ok: true, logs: LogsPage(lines: lines, records: records, cursor: LogCursor(output: outputCursor, record: lastRowID)))
    }
}
