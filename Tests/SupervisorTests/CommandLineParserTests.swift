import Testing
@testable import Control

/// botvisorctl's usage rules, without a daemon.
@Suite struct CommandLineParserTests {
    func usageError(_ args: [String]) -> String? {
        do {
            _ = try CommandLineParser.parse(args)
            return nil
        } catch {
            return error.description
        }
    }

    func request(_ args: [String]) throws -> CommandLineParser.Parsed {
        guard case .request(let parsed) = try CommandLineParser.parse(args) else {
            Issue.record("\(args) is not a request")
            throw CommandLineParser.UsageError("not a request")
        }
        return parsed
    }

    @Test func anUnknownFlagIsAnErrorNotABotName() {
        #expect(usageError(["status", "-j"]) == "unknown option -j for status; see `botvisorctl help status`")
        #expect(usageError(["stop", "alpha", "--force"])?.hasPrefix("unknown option --force for stop") == true)
    }

    @Test func aMistypedCommandGetsDidYouMean() {
        #expect(usageError(["restat", "alpha"]) == "unknown command restat; did you mean restart?")
        #expect(usageError(["stauts"]) == "unknown command stauts; did you mean status?")
        #expect(usageError(["frobnicate"]) == "unknown command frobnicate; see `botvisorctl help`")
        #expect(usageError(["bot", "ad", "x"]) == "unknown bot subcommand ad; did you mean add?")
    }

    @Test func allWithNamesIsAnError() {
        #expect(usageError(["start", "--all", "extra"]) == "start takes bot names or --all, not both (got extra)")
        #expect(usageError(["stop"]) == "stop needs bot names or --all")
        #expect(usageError(["reload", "now"]) == "reload takes no arguments (got now)")
    }

    @Test func helpCommandShowsOneCommand() throws {
        #expect(try CommandLineParser.parse(["help", "status"]) == .help("status"))
        #expect(try CommandLineParser.parse(["stop", "--help"]) == .help("stop"))
        #expect(try CommandLineParser.parse(["help"]) == .help(nil))
        #expect(usageError(["help", "restat"]) == "unknown command restat; did you mean restart?")
        #expect(try CommandLineParser.parse(["--version"]) == .version)
    }

    @Test func namesAndGlobalOptionsAreParsed() throws {
        let stop = try request(["--socket", "/tmp/s", "stop", "a", "b", "--json"])
        #expect(stop.request == ControlRequest(command: .stop, bots: ["a", "b"]))
        #expect(stop.socket == "/tmp/s" && stop.json)
        #expect(try request(["restart", "--all"]).request == ControlRequest(command: .restart, all: true))
    }

    @Test func botSetTakesEveryFieldAndClears() throws {
        let set = try request(["bot", "set", "alpha", "--token-file", "t", "--intents", "513", "--no-prefix", "--application-id", "42"])
        #expect(set.tokenFile == "t")
        #expect(set.request == ControlRequest(command: .botSet, bots: ["alpha"], intents: 513, applicationID: "42", clear: ["prefix"]))
        #expect(usageError(["bot", "set", "alpha", "--prefix", "!", "--no-prefix"]) == "--prefix and --no-prefix contradict each other")
        // Not a number at all: the HTTP API's message for intents.
        #expect(usageError(["bot", "add", "x", "--token-file", "t", "--intents", "lots"])
                == "intents: an integer made of Discord's intent bits (0-16, 20, 21, 24, 25)")
        #expect(usageError(["bot", "add", "x"]) == "bot add needs --token-file F (tokens never go on the command line)")
    }

    @Test func logsTakesFollowCommandsAndFailed() throws {
        let follow = try request(["logs", "-f", "alpha"])
        #expect(follow.follow && follow.request == ControlRequest(command: .logs, bots: ["alpha"], limit: 50))
        let failed = try request(["logs", "--commands", "--failed", "--lines", "10"])
        #expect(failed.request == ControlRequest(command: .logs, limit: 10, commandsOnly: true, failedOnly: true))
        #expect(usageError(["logs"]) == "logs needs a BOT (or --commands for every bot's command records)")
        #expect(usageError(["logs", "--failed", "alpha"]) == "--failed goes with --commands")
    }

    @Test func backupTakesOneFile() throws {
        #expect(try request(["backup", "/tmp/b.db"]).request == ControlRequest(command: .backup, path: "/tmp/b.db"))
        #expect(usageError(["backup"]) == "backup needs exactly one FILE")
    }
}
