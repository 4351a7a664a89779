#if canImport(Glibc)
import Glibc
#endif
import API
import Control
import Discord
import DiscordSim
import Fleet
import IOCore
import IPC
import Logging
import Operations
import Store

/// `botvisord --demo`: the whole system on an in-process Discord simulator,
/// three demo bots and simulated users issuing commands, in a throwaway state
/// directory. Ctrl-C stops everything.
enum DemoMode {
    static let bots: [(name: String, token: String, prefix: String, commands: [CustomCommand])] = [
        ("shop-bot", "demo-token-shop", "!", [
            CustomCommand(name: "stock", description: "What is in stock", response: "{user}: 12 keyboards, 3 monitors, 40 cables in stock."),
            CustomCommand(name: "report", description: "A slow sales report", response: "Sales report for {guild} is ready, {user}.", delayMilliseconds: 1800),
        ]),
        ("mod-bot", "demo-token-mod", "?", [
            CustomCommand(name: "rules", description: "The server rules", response: "Be kind. No spam. Have fun.", ephemeral: true),
        ]),
        ("fun-bot", "demo-token-fun", "$", [
            CustomCommand(name: "joke", description: "A joke", response: "Why do programmers prefer dark mode? Because light attracts bugs."),
        ]),
    ]

    static func run(configuration: inout Configuration, worker: WorkerCommand, environment: [String: String], signals: SignalWatcher) async throws {
        let dir = "\(FileSystem.temporaryDirectory)/botvisor-demo-\(getpid())"
        try FileSystem.createDirectories(dir, mode: 0o700)
        defer { try? FileSystem.removeTree(dir) }
        var simConfig = DiscordSimulator.Configuration()
        simConfig.heartbeatInterval = .seconds(10)
        let sim = try DiscordSimulator(configuration: simConfig, logger: Logger(label: "discord-sim"))
        configuration.stateDirectory = "\(dir)/state"
        configuration.runtimeDirectory = "\(dir)/run"
        configuration.apiBase = sim.apiBase
        let daemon = Daemon(configuration: configuration, options: .init(configPath: nil, worker: worker, environment: environment))
        let control = "\(configuration.runtimeDirectory)/control.sock"
        // Written once the HTTP API listens (after the control socket): the bound address, port 0 included.
        let httpAddressFile = "\(configuration.runtimeDirectory)/http.addr"
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await sim.run() }
            group.addTask {
                try await daemon.run(signals: signals)
                await sim.shutdown()
            }
            group.addTask {
                // Wait for the sockets, add the bots, then play users.
                while !FileSystem.exists(httpAddressFile) { try await Reactor.shared.sleep(until: .now + .milliseconds(50)) }
                let http = String(decoding: try readFile(httpAddressFile, limit: 4096), as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
                for bot in bots {
                    await sim.addBot(name: bot.name, token: bot.token)
                    _ = try await ControlClient.send(ControlRequest(command: .botAdd, bots: [bot.name], token: bot.token, prefix: bot.prefix,
                                                                                    customCommands: bot.commands), socketPath: control)
                }
                // Every route but health needs a token: the demo makes an admin API token over the control
                // socket (the local root of trust) and prints it, so the curl lines work as printed. It lives
                // in the throwaway state directory and dies with it.
                let minted = try await ControlClient.send(ControlRequest(command: .tokenCreate, name: "demo", role: "admin", ttlSeconds: 86_400),
                                                          socketPath: control)
                let token = minted.tokens?.first?.token ?? "(token create failed: \(minted.error?.message ?? "?"))"
                FileDescriptorSink(fd: 1).write(line: """

                    botvisor demo: 3 bots on a built-in Discord simulator (state in \(dir), removed on exit).
                    Dashboard: http://\(http)/
                    An admin API token for this demo (valid for a day, gone when the demo stops):
                      export BOTVISOR_TOKEN=\(token)
                    Try:
                      swift run botvisorctl --socket \(control) status
                      swift run botvisorctl --socket \(control) restart shop-bot    # resumes, no new identify
                      curl -s http://\(http)/api/v1/monitoring/health
                      curl -s -H "Authorization: Bearer $BOTVISOR_TOKEN" http://\(http)/api/v1/bots/shop-bot
                      curl -s -H "Authorization: Bearer $BOTVISOR_TOKEN" http://\(http)/api/v1/auth/me
                      curl -N -H "Authorization: Bearer $BOTVISOR_TOKEN" -H 'Accept: text/event-stream' 'http://\(http)/api/v1/events?topics=bots,commands'
                    Ctrl-C stops everything.

                    """)
                await playUsers(sim: sim)
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Simulated users: a command every second or so, slash or prefix, from a handful of users.
    static func playUsers(sim: DiscordSimulator) async {
        let users = ["1001", "1002", "1003", "1004", "1005"]
        while !Task.isCancelled {
            do { try await Reactor.shared.sleep(until: .now + .milliseconds(Int64.random(in: 600...1600))) } catch { return }
            let bot = bots.randomElement()!
            let user = users.randomElement()!
            if Bool.random() {
                let command = (["ping", "help"] + bot.commands.map(\.name)).randomElement()!
                _ = await sim.injectInteraction(bot: bot.name, command: command, userID: user)
            } else {
                let command = (["help"] + bot.commands.map(\.name)).randomElement()!
                await sim.injectMessage(bot: bot.name, content: "\(bot.prefix)\(command)", authorID: user)
            }
        }
    }
}
