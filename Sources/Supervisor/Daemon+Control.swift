import Control
import Fleet
import IOCore
import IPC
import Store
import Auth

extension Daemon {
    /// Answers one control request from the peer with `uid`, and records each change it made (or tried to)
    /// in the audit log as `control:<uid>`: the socket's file mode and SO_PEERCRED say who that is.
    func handle(_ request: ControlRequest, uid: UInt32) async -> ControlReply {
        let reply = await handle(request, peer: uid)
        guard let audit else { return reply }
        let actor = "control:\(uid)"
        func outcome(_ ok: Bool) -> AuditOutcome { ok ? .success : .failure }
        var details = ["command": request.command.rawValue]
        if let code = reply.error?.code { details["code"] = code.rawValue }
        let action: AuditAction? = switch request.command {
        case .start: .botStart
        case .stop: .botStop
        case .restart: .botRestart
        case .reload: .configReload
        case .shutdown: .shutdown
        case .botAdd: .botCreate
        case .botSet: .botUpdate
        case .botEnable: .botEnable
        case .botDisable: .botDisable
        case .botRemove: .botDelete
        case .backup: .backup
        case .userAdd: .user("create")
        case .userPasswd: .user("passwd")
        case .userDisable: .user("disable")
        case .userEnable: .user("enable")
        case .userDelete: .user("delete")
        case .tokenCreate: .tokenCreate
        case .tokenRevoke: .tokenRevoke
        case .keyRotate: .keyRotate
        case .stockShow: .product("show")
        case .stockHide: .product("hide")
        case .stockSet: .stockSet
        case .displayRefresh: .display("refresh")
        case .status, .botList, .logs, .userList, .tokenList, .auditVerify, .auditList, .stockList, .displayList: nil
        }
        guard let action else { return reply }
        if request.all == true { details["all"] = "true" }
        if let stock = stockTargets(request, reply) {
            // One row per product (or per display) changed, named as over HTTP (`3/TEA-1`, `7`).
            if request.command == .stockSet { details["quantity"] = request.unlimited == true ? "null" : request.quantity.map(String.init) }
            for (target, ok, code) in stock {
                var each = details
                if let code { each["code"] = code }
                await audit.record(actor: actor, action: action, target: target, outcome: outcome(ok), details: each)
            }
            return reply
        }
        // One row per bot for commands that act on several, as over HTTP.
        if request.command.actsOnEachBot, let results = reply.results, !results.isEmpty {
            for result in results {
                var each = details
                if let code = result.error?.code { each["code"] = code.rawValue }
                await audit.record(actor: actor, action: action, target: result.name, outcome: outcome(result.ok), details: each)
            }
            return reply
        }
        let target = request.command == .backup ? request.path : (request.name ?? request.bots?.first)
        await audit.record(actor: actor, action: action, target: target, outcome: outcome(reply.ok), details: details)
        return reply
    }

    /// The audit rows of a stock or display command: (target, ok, error code) per product or display it
    /// changed, or one row naming the SKUs asked for when it changed none; nil for other commands.
    func stockTargets(_ request: ControlRequest, _ reply: ControlReply) -> [(String, Bool, String?)]? {
        switch request.command {
        case .stockShow, .stockHide, .stockSet:
            if reply.ok, let lines = reply.stock, !lines.isEmpty { return lines.map { ("\($0.catalog_id)/\($0.sku)", true, nil) } }
            return [((request.skus ?? []).joined(separator: ","), reply.ok, reply.error?.code.rawValue)]
        case .displayRefresh:
            guard let results = reply.results, !results.isEmpty else { return [("-", reply.ok, reply.error?.code.rawValue)] }
            return results.map { (String($0.name.dropFirst("display ".count)), $0.ok, $0.error?.code.rawValue) }
        default:
            return nil
        }
    }

    /// Answers one control request. Commands that act on several bots act on each and answer one
    /// result per name, so a typo in one name neither stops the others nor goes unreported.
    func handle(_ request: ControlRequest, peer uid: UInt32) async -> ControlReply {
        guard let fleet, let store, let authenticator else { return .failure("NOT_READY", "botvisord is starting") }
        // Until the stored bots are registered a status would list fewer and a start would not find its bot:
        // a request that comes that early waits for them (milliseconds; a script's first command must work).
        await fleet.waitUntilLoaded()
        do {
            switch request.command {
            case .userAdd, .userList, .userPasswd, .userDisable, .userEnable, .userDelete, .tokenCreate, .tokenList, .tokenRevoke, .keyRotate:
                return await handleAuth(request, authenticator: authenticator, peer: uid)
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
            case .auditVerify:
                return try await verifyAudit(store)
            case .auditList:
                var query = AuditQuery()
                query.actor = request.actor
                query.action = request.action
                query.limit = min(max(request.limit ?? 50, 1), 500)
                var reply = ControlReply(ok: true)
                reply.audit = try await store.auditRows(query).map { row in
                    AuditLine(seq: row.entry.sequence, time: row.entry.time, actor: row.entry.actor, address: row.entry.address,
                              action: row.entry.action, target: row.entry.target, outcome: row.entry.outcome,
                              requestID: row.entry.requestID, details: row.entry.details)
                }
                return reply
            case .stockList, .stockShow, .stockHide, .stockSet, .displayList, .displayRefresh:
                return try await handleStock(request, store: store, fleet: fleet)
            }
        } catch let error as FleetError {
            return .failure(error.code, error.message)
        } catch {
            return .failure("INTERNAL", "\(error)")
        }
    }

    /// `botvisorctl audit verify`: the walk over the chain; a broken chain is a failed request that still
    /// carries the verification (which row, what happened).
    private func verifyAudit(_ store: SupervisorStore) async throws -> ControlReply {
        let anchor = try await store.auditAnchor()
        switch try await store.verifyAudit() {
        case .intact(let rows, _):
            var reply = ControlReply.success(message: "audit chain intact: \(rows) rows after row \(anchor.sequence)")
            reply.verification = AuditVerification(intact: true, rows: rows, anchor: anchor.sequence)
            return reply
        case .broken(let problem):
            var reply = ControlReply.failure(.auditChainBroken, "audit chain broken at row \(problem.sequence): \(problem)")
            reply.verification = AuditVerification(intact: false, rows: 0, anchor: anchor.sequence, firstBadRow: problem.sequence,
                                                    problem: problem.description)
            return reply
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
