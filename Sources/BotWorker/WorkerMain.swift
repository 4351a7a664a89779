#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Discord
import IOCore
import IPC
import JSON
import Logging
import TLS

/// `botvisor-worker`: supervised (`--ipc PATH --bot NAME`, the token arrives
/// over IPC) or standalone (`--standalone --token-file F`, records as NDJSON).
public enum WorkerMain {
    public static let usage = """
        usage: botvisor-worker --ipc SOCKET --bot NAME
               botvisor-worker --standalone --token-file FILE [--api-base URL] [--config bot.json]
               botvisor-worker --version

        Runs one Discord bot. Supervised by botvisord, it receives its token and
        configuration over IPC, and spools command records to
        <socket dir>/spool/NAME.records until botvisord acknowledges them. Standalone, it reads the token from FILE (never
        from the command line) and prints each command record as one NDJSON line.
        Exit status: 0 stopped, 1 error, 75 no welcome from botvisord, 77 Discord rejected
        the token (4004), 78 Discord rejected the configuration (4010-4014).
        """

    public static func main(_ arguments: [String]) async -> Int32 {
        var args = arguments
        func value(_ flag: String) -> String? {
            guard let i = args.firstIndex(of: flag), i + 1 < args.count else { return nil }
            defer { args.removeSubrange(i...(i + 1)) }
            return args[i + 1]
        }
        if args.contains("--help") || args.contains("-h") {
            print(usage)
            return 0
        }
        LoggingSystem.bootstrap(level: LogLevel(name: getenv("BOTVISOR_LOG_LEVEL").map { String(cString: $0) } ?? "info") ?? .info)
        if args.contains("--standalone") {
            guard let tokenFile = value("--token-file") else {
                printError("botvisor-worker: --standalone needs --token-file FILE")
                return 2
            }
            return await standalone(tokenFile: tokenFile, apiBase: value("--api-base"), configFile: value("--config"))
        }
        guard let socket = value("--ipc"), let bot = value("--bot") else {
            printError(usage)
            return 2
        }
        return await supervised(socketPath: socket, bot: bot)
    }

    static func exitCode(for fatal: (code: Int, message: String)?) -> Int32 {
        guard let fatal else { return WorkerExitCode.ok }
        return fatal.code == 4004 ? WorkerExitCode.authFailed : WorkerExitCode.configFailed
    }

    static func standalone(tokenFile: String, apiBase: String?, configFile: String?) async -> Int32 {
        let logger = Logger(label: "worker")
        guard let data = try? readFile(tokenFile) else {
            logger.error("cannot read the token file", ["path": tokenFile])
            return 2
        }
        let token = String(String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace).first ?? "")
        var config = WorkerConfig(bot: "standalone", token: token, apiBase: apiBase ?? "https://discord.com/api/v10")
        if let configFile {
            // bot.json: the WorkerConfig fields except the token (name, intents, prefix, custom_commands ...).
            guard let raw = try? readFile(configFile), case .object(var object) = try? JSON.parse(raw) else {
                logger.error("cannot read the bot configuration", ["path": configFile])
                return 2
            }
            let defaults: [String: JSON] = ["bot": object["name"] ?? "standalone", "api_base": .string(config.apiBase), "intents": 513,
                                            "custom_commands": [], "rate_limit_count": 5, "rate_limit_seconds": 10,
                                            "command_timeout_seconds": 10]
            for (key, value) in defaults where object[key] == nil { object[key] = value }
            object["token"] = .string(token)
            if let apiBase { object["api_base"] = .string(apiBase) }
            do {
                config = try JSONValueDecoder().decode(WorkerConfig.self, from: JSON.object(object))
            } catch {
                logger.error("invalid bot configuration", ["path": configFile, "error": error])
                return 2
            }
        }
        let runtime = BotRuntime(config: config, reporter: NDJSONReporter(), logger: logger.with("bot", config.bot))
        return await runUntilSignal(runtime, logger: logger)
    }

    /// Runs the bot; SIGTERM/SIGINT stop it (with handover when supervised: the session stays resumable).
    static func runUntilSignal(_ runtime: BotRuntime, logger: Logger, handoverOnSignal: Bool = false) async -> Int32 {
        let signals: SignalWatcher
        do { signals = try SignalWatcher([SIGTERM, SIGINT]) } catch {
            logger.error("cannot watch signals", ["error": error])
            return 1
        }
        return await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                do {
                    let fatal = try await runtime.run()
                    return exitCode(for: fatal)
                } catch {
                    logger.error("the bot stopped", ["error": error])
                    return 1
                }
            }
            group.addTask {
                guard let sig = try? await signals.next() else { return nil }
                logger.info("stopping on signal", ["signal": sig])
                await runtime.stop(handover: handoverOnSignal)
                return nil
            }
            var status: Int32 = 0
            while let result = await group.next() {
                if let result {
                    status = result
                    group.cancelAll()
                }
            }
            return status
        }
    }

    static func supervised(socketPath: String, bot: String) async -> Int32 {
        // Die with the supervisor: no orphans (and the IPC loss says so too). Nothing is lost by it: every
        // command is in the bot's spool before it is answered, and the next worker sends it (CommandSpool).
        _ = bv_set_parent_death_signal(SIGTERM)
        let logger = Logger(label: "worker").with("bot", bot)
        let link = SupervisorLink(socketPath: socketPath, bot: bot, logger: logger)
        let config: WorkerConfig
        do { config = try await link.connect() } catch {
            logger.error("cannot reach the supervisor", ["error": error])
            await link.closeSpool()
            return WorkerExitCode.supervisorUnreachable
        }
        let reporter = LinkReporter(link: link)
        let runtime = BotRuntime(config: config, reporter: reporter, logger: logger)
        return await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await runUntilSignal(runtime, logger: logger, handoverOnSignal: true) }
            group.addTask { await serveSupervisor(link: link, runtime: runtime, logger: logger) }
            group.addTask { await reportPeriodically(link: link, runtime: runtime) }
            let first = await group.next() ?? 1
            group.cancelAll()
            try? await link.flush()
            await link.close()
            await link.closeSpool()
            return first ?? 1
        }
    }

    /// Answers the supervisor: stop, configure, send_message, heartbeats. Each
    /// send_message runs on its own task (the REST client's limiter spaces them),
    /// so one waiting on a rate limit never holds up the others or the heartbeats.
    static func serveSupervisor(link: SupervisorLink, runtime: BotRuntime, logger: Logger) async -> Int32? {
        await withDiscardingTaskGroup(returning: Int32?.self) { requests in
            var stopping = false
            while !Task.isCancelled {
                let envelope: IPCEnvelope
                do { envelope = try await link.receive() } catch {
                    requests.cancelAll()
                    if stopping {
                        await runtime.stop(handover: true)
                        return nil
                    }
                    // Try to reconnect for a while: unacknowledged records go again, the supervisor drops duplicates.
                    logger.warning("lost the supervisor connection; reconnecting", ["error": error])
                    await link.close()
                    if await reconnect(link, logger: logger) { continue }
                    logger.error("the supervisor is gone; stopping")
                    await runtime.stop(handover: true)
                    return nil
                }
                switch envelope.message {
                case .stop(let stop):
                    stopping = true
                    await runtime.stop(handover: stop.handover)
                case .configure(let config):
                    await runtime.update(config)
                case .sendMessage(let m):
                    let id = envelope.id
                    requests.addTask {
                        let reply = await runtime.sendMessage(channelID: m.channelID, content: m.content, embeds: m.embeds, nonce: m.nonce)
                        await link.send(.reply(reply), replyTo: id)
                    }
                case .discordGet(let get):
                    let id = envelope.id
                    requests.addTask { await link.send(.reply(await runtime.discordGet(path: get.path)), replyTo: id) }
                case .invalidRequestAllowance(let a):
                    await runtime.rest.setInvalidRequestAllowance(a.allowance)
                case .syncDisplay(let sync):
                    let id = envelope.id
                    requests.addTask {
                        let reply = await runtime.syncDisplay(sync)
                        await link.send(.reply(reply), replyTo: id)
                    }
                case .stockListing(let listing):
                    await runtime.setStockListing(listing)
                case .heartbeat:
                    await link.send(.heartbeat)
                default:
                    break
                }
            }
            return nil
        }
    }

    /// Reconnects to the supervisor, retrying every 250 ms for up to 10 s.
    static func reconnect(_ link: SupervisorLink, logger: Logger) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if (try? await link.connect(timeout: .seconds(2))) != nil {
                logger.info("reconnected to the supervisor")
                return true
            }
            do { try await Reactor.shared.sleep(until: .now + .milliseconds(250)) } catch { return false }
        }
        return false
    }

    /// Sends metrics every 2 s. Records go as they finish (`SupervisorLink.record`); this also retries
    /// any whose send failed.
    static func reportPeriodically(link: SupervisorLink, runtime: BotRuntime) async -> Int32? {
        while !Task.isCancelled {
            do { try await Reactor.shared.sleep(until: .now + .seconds(2)) } catch { return nil }
            try? await link.flush()
            await link.send(.metrics(await runtime.currentMetrics()))
        }
        return nil
    }
}

func printError(_ message: String) {
    FileDescriptorSink(fd: 2).write(line: message + "\n")
}

/// Sends the runtime's reports over IPC.
struct LinkReporter: WorkerReporter {
    let link: SupervisorLink
    func begin(_ interrupted: CommandRecord, event: String, position: SessionState?) async -> Bool {
        await link.begin(interrupted, event: event, position: position)
    }
    func record(_ record: CommandRecord) async { await link.record(record) }
    func state(_ state: GatewayStatus, detail: String?) async { await link.send(.state(StateReport(state: state, detail: detail))) }
    func session(_ session: SessionState?) async {
        if let session { await link.send(.session(session)) }
    }
    func fatal(code: Int, reason: String) async { await link.send(.fatal(FatalReport(closeCode: code, reason: reason))) }
}
