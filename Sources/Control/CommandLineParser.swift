import IOCore

/// botvisorctl's arguments, parsed without touching the socket or the files they name, so every usage
/// rule is a unit test: unknown options are errors (never bot names), a mistyped command gets a
/// "did you mean", `--all` takes no names.
public struct CommandLineParser {
    /// What the arguments ask for.
    public enum Invocation: Equatable, Sendable {
        case version
        /// Help: the whole usage, or one command's.
        case help(String?)
        case request(Parsed)
    }

    /// A request, with the global options and what the CLI itself must read or do first.
    public struct Parsed: Equatable, Sendable {
        public var request: ControlRequest
        public var socket: String?
        public var config: String?
        public var json = false
        /// `bot add` / `bot set --token-file F`: read by the CLI, sent in the request body.
        public var tokenFile: String?
        /// `bot add` / `bot set --commands-file F`: a JSON array of custom commands, as the API's `custom_commands`.
        public var commandsFile: String?
        /// `logs -f`: poll until interrupted.
        public var follow = false
        /// `user add` / `user passwd`: botvisorctl reads the password from the terminal (echo off, asked
        /// twice) or, when stdin is not a terminal, its first line; never from argv.
        public var readPassword = false
    }

    /// A usage mistake, with the message to print (exit status 2).
    public struct UsageError: Error, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public static let commands = ["status", "start", "stop", "restart", "reload", "shutdown", "bot", "backup", "logs", "user", "token", "key", "audit", "stock", "display", "help"]
    public static let stockSubcommands = ["list", "show", "hide", "set"]
    public static let displaySubcommands = ["list", "refresh"]
    public static let botSubcommands = ["add", "set", "list", "enable", "disable", "remove"]
    public static let userSubcommands = ["add", "list", "passwd", "disable", "enable", "delete"]
    public static let tokenSubcommands = ["create", "list", "revoke"]

    public static func parse(_ arguments: [String]) throws(UsageError) -> Invocation {
        var args = arguments
        var parsed = Parsed(request: ControlRequest(command: .status))
        func value(_ i: Int) throws(UsageError) -> String {
            guard i + 1 < args.count else { throw UsageError("\(args[i]) needs a value") }
            return args[i + 1]
        }
        // Global options may stand anywhere before or after the command.
        var i = 0
        var rest: [String] = []
        while i < args.count {
            switch args[i] {
            case "--socket": parsed.socket = try value(i); i += 2
            case "--config": parsed.config = try value(i); i += 2
            case "--json": parsed.json = true; i += 1
            default: rest.append(args[i]); i += 1
            }
        }
        args = rest
        if args == ["--version"] { return .version }
        guard let command = args.first else { return .help(nil) }
        if command == "--help" || command == "-h" { return .help(nil) }
        args.removeFirst()
        if command == "help" {
            guard args.count <= 1 else { throw UsageError("help takes at most one COMMAND") }
            if let topic = args.first, !commands.contains(topic) { throw unknownCommand(topic) }
            return .help(args.first)
        }
        guard commands.contains(command) else { throw unknownCommand(command) }
        if args.contains("--help") || args.contains("-h") { return .help(command) }

        /// Takes `--name VALUE` out of args; nil when absent.
        func option(_ name: String) throws(UsageError) -> String? {
            guard let i = args.firstIndex(of: name) else { return nil }
            guard i + 1 < args.count else { throw UsageError("\(name) needs a value") }
            let v = args[i + 1]
            args.removeSubrange(i...(i + 1))
            return v
        }
        func flag(_ name: String) -> Bool {
            guard let i = args.firstIndex(of: name) else { return false }
            args.remove(at: i)
            return true
        }
        /// Takes the subcommand word out of args.
        func subcommand(of word: String, among known: [String]) throws(UsageError) -> String {
            guard let sub = args.first else { throw UsageError("\(word) needs a subcommand: \(known.joined(separator: ", "))") }
            args.removeFirst()
            guard known.contains(sub) else {
                throw UsageError("unknown \(word) subcommand \(sub)" + (suggestion(for: sub, among: known).map { "; did you mean \($0)?" } ?? ""))
            }
            return sub
        }
        /// `--lines N` or `-n N`, from 1 to `max`; 50 when absent.
        func lines(upTo max: Int) throws(UsageError) -> Int {
            var text = try option("--lines")
            if text == nil { text = try option("-n") }
            guard let n = text else { return 50 }
            guard let v = Int(n), (1...max).contains(v) else { throw UsageError("--lines takes a number from 1 to \(max), got \(n)") }
            return v
        }
        /// What is left must be names: an option here is one this command does not know.
        func names(for what: String) throws(UsageError) -> [String] {
            if let unknown = args.first(where: { $0.hasPrefix("-") && $0 != "-" }) {
                throw UsageError("unknown option \(unknown) for \(what); see `botvisorctl help \(command)`")
            }
            return args
        }

        switch command {
        case "status":
            let bots = try names(for: "status")
            parsed.request = ControlRequest(command: .status, bots: bots.isEmpty ? nil : bots)
        case "start", "stop", "restart":
            let all = flag("--all")
            let bots = try names(for: command)
            if all && !bots.isEmpty { throw UsageError("\(command) takes bot names or --all, not both (got \(bots.joined(separator: " ")))") }
            if !all && bots.isEmpty { throw UsageError("\(command) needs bot names or --all") }
            parsed.request = ControlRequest(command: ControlCommand(rawValue: command)!, bots: all ? nil : bots, all: all ? true : nil)
        case "reload", "shutdown":
            let extra = try names(for: command)
            guard extra.isEmpty else { throw UsageError("\(command) takes no arguments (got \(extra.joined(separator: " ")))") }
            parsed.request = ControlRequest(command: ControlCommand(rawValue: command)!)
        case "backup":
            let files = try names(for: "backup")
            guard files.count == 1 else { throw UsageError("backup needs exactly one FILE") }
            parsed.request = ControlRequest(command: .backup, path: files[0])
        case "logs":
            let short = flag("-f")
            parsed.follow = flag("--follow") || short
            let commandsOnly = flag("--commands")
            let failed = flag("--failed")
            let limit = try lines(upTo: 1000)
            if failed && !commandsOnly { throw UsageError("--failed goes with --commands") }
            let bots = try names(for: "logs")
            guard bots.count <= 1 else { throw UsageError("logs takes one BOT") }
            if bots.isEmpty && !commandsOnly { throw UsageError("logs needs a BOT (or --commands for every bot's command records)") }
            parsed.request = ControlRequest(command: .logs, bots: bots.isEmpty ? nil : bots, limit: limit,
                                            commandsOnly: commandsOnly ? true : nil, failedOnly: failed ? true : nil)
        case "user":
            let sub = try subcommand(of: "user", among: userSubcommands)
            switch sub {
            case "list":
                guard try names(for: "user list").isEmpty else { throw UsageError("user list takes no arguments") }
                parsed.request = ControlRequest(command: .userList)
            case "add":
                guard let role = try option("--role") else { throw UsageError("user add needs --role viewer|operator|admin") }
                if args.contains(where: { $0.hasPrefix("--password") }) {
                    throw UsageError("passwords never go on the command line: botvisorctl asks for it, or reads stdin's first line")
                }
                let users = try names(for: "user add")
                guard users.count == 1 else { throw UsageError("user add needs exactly one NAME") }
                parsed.request = ControlRequest(command: .userAdd, name: users[0], role: role)
                parsed.readPassword = true
            default: // passwd, disable, enable, delete
                if args.contains(where: { $0.hasPrefix("--password") }) {
                    throw UsageError("passwords never go on the command line: botvisorctl asks for it, or reads stdin's first line")
                }
                let users = try names(for: "user \(sub)")
                guard users.count == 1 else { throw UsageError("user \(sub) needs exactly one NAME") }
                parsed.request = ControlRequest(command: ControlCommand(rawValue: "user.\(sub)")!, name: users[0])
                parsed.readPassword = sub == "passwd"
            }
        case "token":
            let sub = try subcommand(of: "token", among: tokenSubcommands)
            switch sub {
            case "list":
                guard try names(for: "token list").isEmpty else { throw UsageError("token list takes no arguments") }
                parsed.request = ControlRequest(command: .tokenList)
            case "create":
                guard let role = try option("--role") else { throw UsageError("token create needs --role viewer|operator|admin") }
                guard let name = try option("--name") else { throw UsageError("token create needs --name NAME (what the token is for)") }
                let ttlText = try option("--ttl") ?? "90d"
                let ttl: Duration
                do { ttl = try Duration.parse(ttlText) } catch { throw UsageError("--ttl: \(error.description)") }
                guard try names(for: "token create").isEmpty else { throw UsageError("token create takes only --role, --name and --ttl") }
                parsed.request = ControlRequest(command: .tokenCreate, name: name, role: role, ttlSeconds: ttl.components.seconds)
            default: // revoke
                let ids = try names(for: "token revoke")
                guard ids.count == 1 else { throw UsageError("token revoke needs exactly one ID (see `botvisorctl token list`)") }
                parsed.request = ControlRequest(command: .tokenRevoke, name: ids[0])
            }
        case "key":
            let sub = try subcommand(of: "key", among: ["rotate"])
            guard try names(for: "key \(sub)").isEmpty else { throw UsageError("key rotate takes no arguments") }
            parsed.request = ControlRequest(command: .keyRotate)
        case "audit":
            let sub = try subcommand(of: "audit", among: ["verify", "list"])
            if sub == "verify" {
                guard try names(for: "audit verify").isEmpty else { throw UsageError("audit verify takes no arguments") }
                parsed.request = ControlRequest(command: .auditVerify)
            } else {
                let actor = try option("--actor")
                let action = try option("--action")
                let limit = try lines(upTo: 500)
                guard try names(for: "audit list").isEmpty else { throw UsageError("audit list takes only --actor, --action and --lines") }
                var request = ControlRequest(command: .auditList, limit: limit)
                request.actor = actor
                request.action = action
                parsed.request = request
            }
        case "bot":
            let sub = try subcommand(of: "bot", among: botSubcommands)
            switch sub {
            case "list":
                guard try names(for: "bot list").isEmpty else { throw UsageError("bot list takes no arguments") }
                parsed.request = ControlRequest(command: .botList)
            case "enable", "disable", "remove":
                let bots = try names(for: "bot \(sub)")
                guard bots.count == 1 else { throw UsageError("bot \(sub) needs exactly one NAME") }
                parsed.request = ControlRequest(command: ControlCommand(rawValue: "bot.\(sub)")!, bots: bots)
            default: // add, set
                parsed.tokenFile = try option("--token-file")
                parsed.commandsFile = try option("--commands-file")
                let intents = try option("--intents")
                let prefix = try option("--prefix")
                let applicationID = try option("--application-id")
                var clear: [String] = []
                if sub == "set" {
                    if flag("--no-prefix") { clear.append("prefix") }
                    if flag("--no-application-id") { clear.append("application_id") }
                }
                let bots = try names(for: "bot \(sub)")
                guard bots.count == 1 else { throw UsageError("bot \(sub) needs exactly one NAME") }
                if sub == "add" && parsed.tokenFile == nil {
                    throw UsageError("bot add needs --token-file F (tokens never go on the command line)")
                }
                if prefix != nil && clear.contains("prefix") { throw UsageError("--prefix and --no-prefix contradict each other") }
                if applicationID != nil && clear.contains("application_id") {
                    throw UsageError("--application-id and --no-application-id contradict each other")
                }
                var request = ControlRequest(command: sub == "add" ? .botAdd : .botSet, bots: bots, prefix: prefix,
                                             applicationID: applicationID, clear: clear.isEmpty ? nil : clear)
                if let intents {
                    // The daemon checks the bits (as the HTTP API does); a value that is not a number at
                    // all cannot travel in the request, so it gets the API's message here.
                    guard let n = UInt64(intents) else {
                        throw UsageError("intents: an integer made of Discord's intent bits (0-16, 20, 21, 24, 25)")
                    }
                    request.intents = n
                }
                parsed.request = request
            }
        case "stock":
            let sub = try subcommand(of: "stock", among: stockSubcommands)
            var catalog: Int64?
            if let text = try option("--catalog") {
                guard let id = Int64(text), id > 0 else { throw UsageError("--catalog takes a catalog id, got \(text)") }
                catalog = id
            }
            let words = try names(for: "stock \(sub)")
            switch sub {
            case "list":
                guard words.isEmpty else { throw UsageError("stock list takes no arguments besides --catalog ID") }
                parsed.request = ControlRequest(command: .stockList, catalog: catalog)
            case "show", "hide":
                guard !words.isEmpty else { throw UsageError("stock \(sub) needs one or more SKUs") }
                parsed.request = ControlRequest(command: sub == "show" ? .stockShow : .stockHide, skus: words, catalog: catalog)
            default:
                guard words.count == 2 else { throw UsageError("stock set needs SKU QTY (a number, or unlimited)") }
                var request = ControlRequest(command: .stockSet, skus: [words[0]], catalog: catalog)
                if words[1] == "unlimited" {
                    request.unlimited = true
                } else {
                    // The daemon checks the range (as the HTTP API does); a value that is not a number cannot travel.
                    guard let n = Int64(words[1]) else { throw UsageError("quantity: an integer from 0 to 1000000000, or unlimited") }
                    request.quantity = n
                }
                parsed.request = request
            }
        case "display":
            let sub = try subcommand(of: "display", among: displaySubcommands)
            let all = flag("--all")
            let words = try names(for: "display \(sub)")
            if sub == "list" {
                guard words.isEmpty, !all else { throw UsageError("display list takes no arguments") }
                parsed.request = ControlRequest(command: .displayList)
            } else {
                if all && !words.isEmpty { throw UsageError("display refresh takes display ids or --all, not both") }
                if !all && words.isEmpty { throw UsageError("display refresh needs display ids or --all") }
                var ids: [Int64] = []
                for word in words {
                    guard let id = Int64(word), id > 0 else { throw UsageError("display refresh takes display ids, got \(word)") }
                    ids.append(id)
                }
                parsed.request = ControlRequest(command: .displayRefresh, all: all ? true : nil, displays: all ? nil : ids)
            }
        default:
            throw unknownCommand(command)
        }
        return .request(parsed)
    }

    static func unknownCommand(_ word: String) -> UsageError {
        if word.hasPrefix("-") { return UsageError("unknown option \(word); see `botvisorctl help`") }
        let hint = suggestion(for: word, among: commands).map { "; did you mean \($0)?" } ?? "; see `botvisorctl help`"
        return UsageError("unknown command \(word)\(hint)")
    }

    /// The closest known word within two edits (Levenshtein), as git and cargo suggest.
    public static func suggestion(for word: String, among candidates: [String]) -> String? {
        let best = candidates.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= 2 else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
