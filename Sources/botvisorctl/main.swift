import BuildInfo
import Glibc
import IOCore
import IPC
import Logging
import Control
import Fleet
import JSON

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
      logs [-f] [--lines N] BOT        the bot's recent worker output and command records
      logs --commands [--failed] [BOT] command records only (every bot's without BOT)
      backup FILE                      a consistent copy of the database, and its token key as FILE.key
      bot add NAME --token-file F [--intents N] [--prefix P] [--application-id ID] [--commands-file F]
      bot set NAME [--token-file F] [--intents N] [--prefix P | --no-prefix]
                   [--application-id ID | --no-application-id] [--commands-file F]
      bot list
      bot enable NAME | bot disable NAME
      bot remove NAME
      user add NAME --role ROLE        an HTTP API account (the password is asked for, or read from stdin)
      user list | user passwd NAME | user disable NAME | user enable NAME | user delete NAME
      token create --role ROLE --name NAME [--ttl 90d]   an API token, printed once
      token list | token revoke ID
      key rotate                       a new JWT signing key (the previous one verifies until its tokens expire)
      audit verify                     walk the audit log's hash chain; name the first row altered or removed
      audit list [--actor A] [--action X] [--lines N]   the newest audit rows
      stock list [--catalog ID]        products: quantity, visibility, category
      stock show|hide SKU... [--catalog ID]   show or hide products on every display
      stock set SKU QTY [--catalog ID] set a quantity (a number, or unlimited)
      display list                     stock displays: bot, channel, state, messages, Discord's error
      display refresh ID... | --all    re-render displays (a broken one is tried once more)
      help [COMMAND]                   this text, or one command's

    The socket is --socket PATH, else $BOTVISOR_SOCKET, else the runtime
    directory of --config PATH when the file sets [paths] runtime_dir, else
    /run/botvisor/control.sock (the installed daemon) when it exists, else
    ./botvisor-data/control.sock (a daemon or demo started in this directory).
    `botvisorctl --version` prints the version and the build's git commit.
    Exit status: 0 ok; 1 the daemon refused the request (for several bots: any
    of them); 2 usage error; 3 `status` found a bot failed, auth_failed or
    config_failed (as supervisorctl does); 4 the daemon is unreachable.
    """

let commandHelp: [String: String] = [
    "stock": "usage: botvisorctl stock list [--catalog ID]\n       botvisorctl stock show|hide SKU... [--catalog ID]\n       botvisorctl stock set SKU QTY [--catalog ID]\nLists products, shows or hides them on every display of their catalog, or sets a quantity (QTY a number, or unlimited).\nWithout --catalog a SKU is looked up in every catalog (set needs it to be in one).",
    "display": "usage: botvisorctl display list\n       botvisorctl display refresh ID... | --all\nLists stock displays with their state and Discord's error when broken, or re-renders them now (waits for Discord's answer).",
    "status": "usage: botvisorctl status [NAME...] [--json]\nShows each bot's state, pid, uptime, restarts, last exit reason, gateway RTT and memory.\nExits 3 when a bot shown is failed, auth_failed or config_failed (it needs an operator), 1 when a NAME is unknown.",
    "start": "usage: botvisorctl start NAME... | --all\nStarts bots; a failed, auth_failed or config_failed bot is started again by hand this way.\nOne result line per bot; exits 1 if any failed.",
    "stop": "usage: botvisorctl stop NAME... | --all\nStops bots: SIGTERM, a drain, then SIGKILL after the stop timeout.\nOne result line per bot; exits 1 if any failed.",
    "restart": "usage: botvisorctl restart NAME... | --all\nRestarts bots; the new worker resumes the old one's gateway session.\nOne result line per bot; exits 1 if any failed.",
    "reload": "usage: botvisorctl reload\nRe-reads the configuration file; a bad file is rejected and the running configuration kept.",
    "shutdown": "usage: botvisorctl shutdown\nStops every bot and then the daemon.",
    "logs": """
        usage: botvisorctl logs [-f] [--lines N] BOT
               botvisorctl logs --commands [--failed] [-f] [--lines N] [BOT]
        Prints the last N (default 50) lines the bot's workers wrote (botvisord keeps the last 1000 per
        bot in memory; the journal has them all) and its last N command records. -f keeps following,
        like tail -f: botvisorctl asks every second for what came after what it has shown.
        --commands shows command records only, of every bot when BOT is left out; --failed only those
        whose outcome is not ok.
        """,
    "backup": """
        usage: botvisorctl backup FILE
        botvisord writes a consistent copy of its live database to FILE with SQLite's online backup API
        (bots keep running and recording), and the token key to FILE.key, both mode 0600. FILE must not
        exist, and botvisord must be able to write there: an installed daemon may write only under
        /var/lib/botvisor (e.g. /var/lib/botvisor/backups/). The copy is useless without FILE.key, and
        FILE.key opens every token in the copy: keep them apart or encrypted. To restore, see the README
        ("Backup and restore").
        """,
    "audit": """
        usage: botvisorctl audit verify
               botvisorctl audit list [--actor NAME] [--action ACTION] [--lines N]
        verify walks the audit log's hash chain from where it starts (the genesis, or where retention last
        removed old rows) and names the first row whose contents no longer match its hash, or that was
        removed; it exits 0 when the chain is intact and 1 when it is broken. list prints the newest N
        (default 50) rows, filtered by actor (an account, a token name, control:UID) or action
        (bot.stop, auth.login_failed, access.denied, ...). GET /api/v1/audit has the same rows over HTTP.
        """,
    "bot": """
        usage: botvisorctl bot add NAME --token-file F [--intents N] [--prefix P] [--application-id ID] [--commands-file F]
               botvisorctl bot set NAME [--token-file F] [--intents N] [--prefix P | --no-prefix]
                                        [--application-id ID | --no-application-id] [--commands-file F]
               botvisorctl bot list | bot enable NAME | bot disable NAME | bot remove NAME
        The token is read from the file, never from the command line. --commands-file holds the custom
        commands as a JSON array, as `custom_commands` over HTTP: [{"name":"stock","response":"..."}]
        (description, ephemeral and delay_ms optional); set replaces them all. add and set check the values as
        POST and PATCH /api/v1/bots do, with the same messages. set on a new token or new intents
        restarts the worker with a fresh identify.
        """,
    "user": """
        usage: botvisorctl user add NAME --role viewer|operator|admin
               botvisorctl user passwd NAME
               botvisorctl user list | user disable NAME | user enable NAME | user delete NAME
        Accounts that log in to the HTTP API (POST /api/v1/auth/login). The password is never an argument:
        on a terminal botvisorctl asks for it twice without echo; otherwise it reads the first line of stdin
        (`printf '%s\\n' "$PW" | botvisorctl user add ci --role viewer`). 12 to 1024 characters. viewer reads;
        operator also starts, stops and restarts bots, runs bulk jobs and cancels jobs; admin also manages
        bots, accounts and tokens. passwd, disable and a new role end the account's logins at once.
        The control socket is the local root of trust: it makes the first admin account. The last enabled
        admin account cannot be disabled or deleted (LAST_ADMIN): add or enable another admin first.
        """,
    "token": """
        usage: botvisorctl token create --role viewer|operator|admin --name NAME [--ttl 90d]
               botvisorctl token list | token revoke ID
        Long-lived API tokens for scripts and CI, sent as `Authorization: Bearer bva_...`. create prints
        the token once on stdout (the id and name on stderr); botvisord keeps only its SHA-256, so it can
        never be shown again. --ttl takes 1m to 3650d (default 90d). revoke takes the id from token list;
        the next request that presents the token is refused.
        """,
    "key": """
        usage: botvisorctl key rotate
        Makes a new JWT signing key current (in jwt.key in the state directory, mode 0600). Access tokens
        signed with the previous key keep working until they expire (access_token_ttl plus 30 s of
        leeway); then the previous key is dropped. API tokens and refresh tokens are not JWTs and are
        unaffected.
        """,
]

func fail(_ message: String, status: Int32) -> Never {
    FileDescriptorSink(fd: 2).write(line: "botvisorctl: \(message)\n")
    exit(status)
}

let invocation: CommandLineParser.Invocation
do {
    invocation = try CommandLineParser.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    fail(error.description, status: 2)
}
var parsed: CommandLineParser.Parsed
switch invocation {
case .version:
    print(BuildInfo.versionLine(program: "botvisorctl"))
    exit(0)
case .help(nil):
    print(usage)
    exit(CommandLine.arguments.count <= 1 ? 2 : 0)
case .help(let command?):
    print(commandHelp[command] ?? usage)
    exit(0)
case .request(let p):
    parsed = p
}

if let tokenFile = parsed.tokenFile {
    guard let data = try? readFile(tokenFile, limit: 1 << 20) else { fail("cannot read \(tokenFile)", status: 2) }
    let token = String(String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace).first ?? "")
    guard !token.isEmpty else { fail("\(tokenFile) is empty", status: 2) }
    parsed.request.token = token
}
if let commandsFile = parsed.commandsFile {
    // The file's commands are checked by the same function as the API's `custom_commands` (and again by
    // botvisord): a JSON array of {name, response, description?, ephemeral?, delay_ms?}.
    guard let data = try? readFile(commandsFile, limit: 1 << 24) else { fail("cannot read \(commandsFile)", status: 2) }
    guard let json = try? JSON.parse(data), let list = json.array else { fail("\(commandsFile): expected a JSON array of commands", status: 2) }
    var problems: [String] = []
    let commands = list.enumerated().compactMap { i, item in
        BotConfigValidator.command(item, path: "custom_commands[\(i)]") { field, message in problems.append("\(field): \(message)") }
    }
    guard problems.isEmpty else { fail("VALIDATION_FAILED in \(commandsFile):\n  " + problems.joined(separator: "\n  "), status: 1) }
    parsed.request.customCommands = commands
}
if parsed.readPassword {
    parsed.request.password = readPassword()
}
if parsed.request.command == .backup, let path = parsed.request.path, !path.hasPrefix("/") {
    // botvisord resolves nothing against its own directory: send the path as the operator meant it.
    let cwd = getcwd(nil, 0)
    defer { free(cwd) }
    parsed.request.path = (cwd.map { String(cString: $0) } ?? ".") + "/" + path
}

/// The password for `user add` and `user passwd`: asked twice with echo off on a terminal, else the
/// first line of stdin. Never an argument (argv is world-readable in /proc).
func readPassword() -> String {
    if isatty(0) == 1 {
        var saved = termios()
        tcgetattr(0, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        func ask(_ prompt: String) -> String {
            FileDescriptorSink(fd: 2).write(line: prompt)
            tcsetattr(0, TCSAFLUSH, &quiet)
            let line = readLine(strippingNewline: true) ?? ""
            tcsetattr(0, TCSAFLUSH, &saved)
            FileDescriptorSink(fd: 2).write(line: "\n")
            return line
        }
        let first = ask("password: ")
        guard ask("again: ") == first else { fail("the passwords differ", status: 2) }
        return first
    }
    guard let line = readLine(strippingNewline: true), !line.isEmpty else { fail("no password on stdin", status: 2) }
    return line
}

let candidates: [String]
do {
    candidates = try ControlSocketLocator(socket: parsed.socket, configPath: parsed.config,
                                          environment: ProcessEnvironment.current).candidates()
} catch {
    fail("\(error)", status: 2)
}
// The first candidate that exists is the one: a request is never sent to a second daemon after a failure.
let path = candidates.first { FileSystem.exists($0) } ?? candidates[0]

func send(_ request: ControlRequest) async -> ControlReply {
    do {
        return try await ControlClient.send(request, socketPath: path)
    } catch {
        let reason = (error as? SystemError)?.errno == ENOENT ? "does not exist" : "\(error)"
        var lines = ["cannot reach botvisord:", "  \(path): \(reason)"]
        for other in candidates where other != path {
            lines.append("  \(other): \(FileSystem.exists(other) ? "not tried" : "does not exist")")
        }
        if let error = error as? SystemError, error.errno == EACCES {
            lines.append("the socket's group decides who may connect: ask to be added to botvisord's `[control] group`, or run as its user")
        } else {
            lines.append("is botvisord running? try --socket PATH or --config /etc/botvisor/botvisor.conf")
        }
        fail(lines.joined(separator: "\n"), status: 4)
    }
}

func describe(_ failure: ControlReply.Failure?) -> String {
    guard let failure else { return "ERROR: request failed" }
    var text = "\(failure.code): \(failure.message)"
    if let fields = failure.fields, fields.count > 1 {
        text += fields.map { "\n  \($0.field): \($0.message)" }.joined()
    }
    return text
}

/// `--json` output: indented, keys sorted (the layout Foundation's pretty-printing encoder had).
func pretty<T: Encodable>(_ value: T) throws -> String { try JSONValueEncoder().encode(value).prettySerialized() }

if parsed.request.command == .logs {
    var request = parsed.request
    let time = { (millis: Int64) -> String in
        WallClock.Time(seconds: Int(millis / 1000), nanoseconds: Int(millis % 1000) * 1_000_000).iso8601
    }
    while true {
        let reply = await send(request)
        guard reply.ok, let page = reply.logs else { fail(describe(reply.error), status: 1) }
        if parsed.json {
            print(try pretty(page))
        } else {
            for line in page.lines {
                print("\(time(line.timeMillis)) \(line.level ?? "output") \(line.text)")
            }
            for r in page.records {
                let error = r.errorCode.map { " \($0)" + (r.errorMessage.map { ": \($0)" } ?? "") } ?? ""
                print("\(time(r.startedAt / 1000)) \(r.bot) /\(r.command) \(r.outcome) \(r.durationMicros / 1000)ms user=\(r.userID)\(error)")
            }
        }
        guard parsed.follow else { exit(0) }
        // Into a pipe (`| grep`), stdout is block-buffered: a follower shows each poll as it comes.
        fflush(nil)
        request.cursor = page.cursor
        // Following: take everything new each time (the first request showed the last --lines).
        request.limit = 1000
        try? await Task.sleep(for: .seconds(1))
    }
}

if parsed.request.command == .auditVerify || parsed.request.command == .auditList {
    let reply = await send(parsed.request)
    if parsed.json {
        print(try pretty(reply))
    } else if let v = reply.verification {
        print(v.intact ? "audit chain intact: \(v.rows) rows after row \(v.anchor)"
                       : "audit chain BROKEN at row \(v.firstBadRow.map(String.init) ?? "?"): \(v.problem ?? "")")
    } else if let rows = reply.audit {
        for r in rows {
            let time = WallClock.Time(seconds: Int(r.time / 1000), nanoseconds: Int(r.time % 1000) * 1_000_000).iso8601
            let details = r.details.keys.sorted().map { "\($0)=\(r.details[$0]!)" }.joined(separator: " ")
            print("\(r.seq) \(time) \(r.actor) \(r.action) \(r.target ?? "-") \(r.outcome) \(r.address ?? "-") \(details)")
        }
    }
    if !reply.ok && reply.verification == nil { fail(describe(reply.error), status: 1) }
    exit(reply.ok ? 0 : 1)
}

let reply = await send(parsed.request)
if parsed.json {
    // Even here, `token create` is the one reply that carries the token: it is what the caller asked for.
    print(try pretty(reply))
}
// A bot that needs an operator makes `status` exit 3, as supervisorctl does for a process that is not running.
let needsOperator = parsed.request.command == .status && (reply.bots ?? []).contains { $0.state.needsOperator }
if parsed.json { exit(!reply.ok ? 1 : needsOperator ? 3 : 0) }

if let results = reply.results, parsed.request.command.actsOnEachBot {
    // One line per named bot, as supervisorctl prints them.
    for result in results {
        if result.ok {
            let state = reply.bots?.first { $0.name == result.name }?.state.rawValue ?? "ok"
            print("\(result.name): \(parsed.request.command.rawValue) (\(state))")
        } else {
            FileDescriptorSink(fd: 2).write(line: "\(result.name): ERROR \(describe(result.error))\n")
        }
    }
    exit(reply.ok ? 0 : 1)
}
func date(_ millis: Int64?) -> String {
    guard let millis else { return "-" }
    return WallClock.Time(seconds: Int(millis / 1000), nanoseconds: 0).iso8601
}
/// `cells` padded to `widths` (the last cell as it is), one table line.
func row(_ cells: [String], _ widths: [Int]) -> String {
    var line = ""
    for (i, cell) in cells.enumerated() {
        line += cell
        if i < widths.count { line += String(repeating: " ", count: max(1, widths[i] - cell.count)) }
    }
    return line
}
if reply.ok, let users = reply.users, parsed.request.command == .userList {
    let widths = [24, 10, 9, 26]
    print(row(["NAME", "ROLE", "ENABLED", "CREATED", "LAST LOGIN"], widths))
    for u in users {
        print(row([u.name, u.role, u.enabled ? "yes" : "no", date(u.createdAt), date(u.lastLoginAt)], widths))
    }
    exit(0)
}
if reply.ok, let tokens = reply.tokens {
    if parsed.request.command == .tokenCreate, let token = tokens.first?.token {
        // The token alone on stdout (`TOKEN=$(botvisorctl token create ...)`), what it is on stderr.
        FileDescriptorSink(fd: 2).write(line: "\(reply.message ?? "API token created"); it is shown only now:\n")
        print(token)
        exit(0)
    }
    let widths = [18, 20, 10, 26]
    print(row(["ID", "NAME", "ROLE", "EXPIRES", "STATUS"], widths))
    let now = WallClock.now().milliseconds
    for t in tokens {
        let expired = t.expiresAt.map { $0 <= now } ?? false
        let status = t.revokedAt != nil ? "revoked" : expired ? "expired" : "active"
        print(row([t.id, t.name, t.role, date(t.expiresAt), status], widths))
    }
    exit(0)
}
if let stock = reply.stock {
    if let message = reply.message { print(message) }
    print(StockTable.render(stock))
    exit(reply.ok ? 0 : 1)
}
if let displays = reply.displays {
    for result in reply.results ?? [] where !result.ok {
        FileDescriptorSink(fd: 2).write(line: "botvisorctl: \(result.name): \(describe(result.error))\n")
    }
    print(StockTable.render(displays))
    exit(reply.ok ? 0 : 1)
}
if let bots = reply.bots, !bots.isEmpty || reply.ok {
    print(StatusTable.render(bots))
}
for result in reply.results ?? [] where !result.ok {
    FileDescriptorSink(fd: 2).write(line: "botvisorctl: \(result.name): \(describe(result.error))\n")
}
if !reply.ok && reply.results == nil { fail(describe(reply.error), status: 1) }
if reply.ok, reply.bots == nil, let message = reply.message { print(message) }
exit(!reply.ok ? 1 : needsOperator ? 3 : 0)
