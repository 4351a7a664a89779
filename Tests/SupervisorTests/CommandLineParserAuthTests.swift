import Testing
@testable import Control

/// botvisorctl's account, token and key commands, without a daemon.
@Suite struct CommandLineParserAuthTests {
    let parser = CommandLineParserTests()

    @Test func userAddTakesARoleAndReadsThePasswordNeverFromArgv() throws {
        let add = try parser.request(["user", "add", "alice", "--role", "admin", "--json"])
        #expect(add.request == ControlRequest(command: .userAdd, name: "alice", role: "admin") && add.readPassword && add.json)
        #expect(add.request.password == nil)
        #expect(parser.usageError(["user", "add", "alice"]) == "user add needs --role viewer|operator|admin")
        #expect(parser.usageError(["user", "add", "alice", "--role", "admin", "--password", "x"])?.contains("never go on the command line") == true)
        #expect(parser.usageError(["user", "passwd", "alice", "--password=x"])?.contains("never go on the command line") == true)
        #expect(try parser.request(["user", "passwd", "alice"]).readPassword)
        #expect(try parser.request(["user", "disable", "alice"]).request == ControlRequest(command: .userDisable, name: "alice"))
        #expect(try parser.request(["user", "delete", "alice"]).readPassword == false)
        #expect(try parser.request(["user", "list"]).request.command == .userList)
        #expect(parser.usageError(["user", "lsit"]) == "unknown user subcommand lsit; did you mean list?")
        #expect(parser.usageError(["user", "disable"]) == "user disable needs exactly one NAME")
    }

    @Test func tokenCreateParsesItsLifetimeAndKeyRotateTakesNothing() throws {
        let create = try parser.request(["token", "create", "--role", "viewer", "--name", "grafana", "--ttl", "90d"])
        #expect(create.request == ControlRequest(command: .tokenCreate, name: "grafana", role: "viewer", ttlSeconds: 90 * 86_400))
        #expect(try parser.request(["token", "create", "--role", "viewer", "--name", "ci"]).request.ttlSeconds == 90 * 86_400)
        #expect(parser.usageError(["token", "create", "--name", "ci"]) == "token create needs --role viewer|operator|admin")
        #expect(parser.usageError(["token", "create", "--role", "viewer", "--name", "ci", "--ttl", "soon"])?.hasPrefix("--ttl:") == true)
        #expect(try parser.request(["token", "revoke", "tok_0123456789abcdef"]).request == ControlRequest(command: .tokenRevoke, name: "tok_0123456789abcdef"))
        #expect(try parser.request(["key", "rotate"]).request.command == .keyRotate)
        #expect(parser.usageError(["key", "rotate", "now"]) == "key rotate takes no arguments")
        #expect(parser.usageError(["key"]) == "key needs a subcommand: rotate")
        #expect(parser.usageError(["audit"]) == "audit needs a subcommand: verify, list")
        #expect(parser.usageError(["audit", "verfy"]) == "unknown audit subcommand verfy; did you mean verify?")
        #expect(try parser.request(["audit", "list", "-n", "500"]).request.limit == 500)
        #expect(parser.usageError(["audit", "list", "--lines", "501"]) == "--lines takes a number from 1 to 500, got 501")
    }
}
