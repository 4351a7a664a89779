import FoundationEssentials
import BuildInfo
import Glibc
import IOCore
import Logging
import Control
import Fleet

/// botvisorctl: drives botvisord over its control socket.
let usage = """
    usage: botvisorctl [--socket PATH | --config PATH] COMMAND [ARGS] [--json]

    commands:
      status [NAME...]                 state, pid, uptime, restarts, last exit, gateway RTT, memory
      start NAME... | --all            start bots (also clears failed/auth_failed)
      stop NAME... | --all             stop bots (SIGTERM, drain, SIGKILL after the stop timeout)
      restart NAME... | --all          restart bots, handing the gateway session over (resume)
      reload                           re-read the configuration file (like SIGHUP)
      shutdown                         stop every bot and the daemon
      bot add NAME --token-file F [--intents N] [--prefix P] [--application-id ID]
      bot list
      bot enable NAME | bot disable NAME
      bot remove NAME

    The socket is --socket PATH, else $BOTVISOR_SOCKET, else the runtime
    directory of --config PATH when the file sets [paths] runtime_dir, else
    /run/botvisor/control.sock (the installed daemon) when it exists, else
    ./botvisor-data/control.sock (a daemon or demo started in this directory).
    `botvisorctl --version` prints the version and the build's git commit.
    `COMMAND --help` shows help for one command. Exit status: 0 ok, 1 the
    daemon refused the request, 2 usage error, 3 the daemon is unreachable.
    """

let commandHelp: [String: String] = [
    "status": "usage: botvisorctl status [NAME...] [--json]\nShows each bot's state, pid, uptime, restarts, last exit reason, gateway RTT and memory.",
    "start": "usage: botvisorctl start NAME... | --all\nStarts bots; a failed, auth_failed or config_failed bot is started again by hand this way.",
    "stop": "usage: botvisorctl stop NAME... | --all\nStops bots: SIGTERM, a drain, then SIGKILL after the stop timeout.",
    "restart": "usage: botvisorctl restart NAME... | --all\nRestarts bots; the new worker resumes the old one's gateway session.",
    "reload": "usage: botvisorctl reload\nRe-reads the configuration file; a bad file is rejected and the running configuration kept.",
    "shutdown": "usage: botvisorctl shutdown\nStops every bot and then the daemon.",
    "bot": "usage: botvisorctl bot add NAME --token-file F [--intents N] [--prefix P] [--application-id ID]\n       botvisorctl bot list | bot enable NAME | bot disable NAME | bot remove NAME\nThe token is read from the file, never from the command line.",
]

func fail(_ message: String, status: Int32) -> Never {
    FileDescriptorSink(fd: 2).write(line: "botvisorctl: \(message)\n")
    exit(status)
}

var args = Array(CommandLine.arguments.dropFirst())
var socketPath: String?
var configPath: String?
var json = false

@MainActor func takeOption(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name) else { return nil }
    guard i + 1 < args.count else { fail("\(name) needs a value", status: 2) }
    let value = args[i + 1]
    args.removeSubrange(i...(i + 1))
    return value
}

if args == ["--version"] {
    print(BuildInfo.versionLine(program: "botvisorctl"))
    exit(0)
}
if args.isEmpty || args == ["--help"] || args == ["-h"] || args == ["help"] {
    print(usage)
    exit(args.isEmpty ? 2 : 0)
}
socketPath = takeOption("--socket")
configPath = takeOption("--config")
if let i = args.firstIndex(of: "--json") { json = true; args.remove(at: i) }
guard let command = args.first else { fail("missing command\n\(usage)", status: 2) }
args.removeFirst()
if args.contains("--help") || args.contains("-h") {
    guard let help = commandHelp[command] else { fail("unknown command \(command)\n\(usage)", status: 2) }
    print(help)
    exit(0)
}

@MainActor func namesOrAll() -> ControlRequest {
    let all = args.contains("--all")
    let names = args.filter { $0 != "--all" }
    if !all && names.isEmpty { fail("\(command) needs bot names or --all", status: 2) }
    return ControlRequest(command: command, bots: all ? nil : names, all: all ? true : nil)
}

let request: ControlRequest
switch command {
case "status":
    request = ControlRequest(command: "status", bots: args.isEmpty ? nil : args)
case "start", "stop", "restart":
    request = namesOrAll()
case "reload", "shutdown":
    request = ControlRequest(command: command)
case "bot":
    guard let sub = args.first else { fail(commandHelp["bot"]!, status: 2) }
    args.removeFirst()
    switch sub {
    case "list":
        request = ControlRequest(command: "bot.list")
    case "enable", "disable", "remove":
        guard args.count == 1 else { fail("bot \(sub) needs exactly one NAME", status: 2) }
        request = ControlRequest(command: "bot.\(sub)", bots: args)
    case "add":
        let tokenFile = takeOption("--token-file")
        let intents = takeOption("--intents")
        let prefix = takeOption("--prefix")
        let applicationID = takeOption("--application-id")
        guard args.count == 1 else { fail("bot add needs exactly one NAME", status: 2) }
        guard let tokenFile else { fail("bot add needs --token-file F (tokens never go on the command line)", status: 2) }
        guard let data = FileManager.default.contents(atPath: tokenFile) else { fail("cannot read \(tokenFile)", status: 2) }
        let token = String(String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace).first ?? "")
        guard !token.isEmpty else { fail("\(tokenFile) is empty", status: 2) }
        var parsedIntents: UInt64?
        if let intents {
            guard let n = UInt64(intents) else { fail("--intents takes a number, got \(intents)", status: 2) }
            parsedIntents = n
        }
        request = ControlRequest(command: "bot.add", bots: args, token: token, intents: parsedIntents,
                                 prefix: prefix, applicationID: applicationID)
    default:
        fail("unknown bot subcommand \(sub)\n\(commandHelp["bot"]!)", status: 2)
    }
default:
    fail("unknown command \(command)\n\(usage)", status: 2)
}

let candidates: [String]
do {
    candidates = try ControlSocketLocator(socket: socketPath, configPath: configPath,
                                          environment: ProcessInfo.processInfo.environment).candidates()
} catch {
    fail("\(error)", status: 2)
}
// The first candidate that exists is the one: a request is never sent to a second daemon after a failure.
let path = candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates[0]
let reply: ControlReply
do {
    reply = try await ControlClient.send(request, socketPath: path)
} catch {
    let reason = (error as? SystemError)?.errno == ENOENT ? "does not exist" : "\(error)"
    var lines = ["cannot reach botvisord:", "  \(path): \(reason)"]
    for other in candidates where other != path {
        lines.append("  \(other): \(FileManager.default.fileExists(atPath: other) ? "not tried" : "does not exist")")
    }
    if let error = error as? SystemError, error.errno == EACCES {
        lines.append("the socket's group decides who may connect: ask to be added to botvisord's `[control] group`, or run as its user")
    } else {
        lines.append("is botvisord running? try --socket PATH or --config /etc/botvisor/botvisor.conf")
    }
    fail(lines.joined(separator: "\n"), status: 3)
}

if json {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(reply), as: UTF8.self))
    exit(reply.ok ? 0 : 1)
}
guard reply.ok else { fail("\(reply.error?.code ?? "ERROR"): \(reply.error?.message ?? "request failed")", status: 1) }
if let bots = reply.bots {
    print(StatusTable.render(bots))
} else if let message = reply.message {
    print(message)
}
