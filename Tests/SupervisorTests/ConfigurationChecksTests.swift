import Testing
import Foundation
@testable import Control
@testable import Supervisor

@Suite struct ConfigurationChecksTests {
    func error(_ text: String) -> ConfigurationError? {
        do {
            _ = try Configuration.parse(text, file: "/etc/botvisor.conf", environment: [:])
            return nil
        } catch let error as ConfigurationError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test(arguments: ["", "\n\n", "# only a comment\n; and another\n"])
    func aFileThatSetsNothingIsRejected(text: String) {
        let e = error(text)
        #expect(e?.message.contains("sets nothing") == true, "\(String(describing: e))")
    }

    @Test func aSectionWithNoKeysIsAValidFile() throws {
        #expect(try Configuration.parse("[http]\n", environment: [:]) == Configuration(environment: [:]))
    }

    @Test(arguments: [("1s", "2s"), ("2s", "2s"), ("1500ms", "2s")])
    func aHeartbeatTimeoutNotLongerThanTheIntervalIsRejectedAtItsLine(timeout: String, interval: String) {
        let e = error("[restart]\nheartbeat_interval = \(interval)\nheartbeat_timeout = \(timeout)\n")
        #expect(e?.line == 3)
        #expect(e?.message.contains("heartbeat_timeout") == true)
    }

    @Test func aShortIntervalAloneIsCheckedAgainstTheDefaultTimeout() {
        #expect(error("[restart]\nheartbeat_interval = 10s\n")?.line == 2)
        #expect(error("[restart]\nheartbeat_interval = 9s\n") == nil)
    }

    @Test(arguments: ["0", "0s", "0ms", "0m"])
    func zeroBackoffIsAcceptedInAnyUnit(value: String) throws {
        let c = try Configuration.parse("[restart]\nbackoff_initial = \(value)\n", environment: [:])
        #expect(c.restart.initialBackoff == .zero)
    }

    @Test func zeroIsStillRejectedWhereItMakesNoSense() {
        #expect(error("[restart]\nstop_timeout = 0s\n")?.message.contains("positive duration") == true)
    }

    @Test func inlineCommentsAfterASpaceAreDropped() throws {
        let c = try Configuration.parse("""
            [http]
            listen = 0.0.0.0:8750 # all interfaces
            [discord]
            api_base = https://example.com/api#x\t; a fragment stays
            [paths]
            state_dir = "/srv/bots #1"  # quoted keeps the hash
            """, environment: [:])
        #expect(c.httpListen == .init(host: "0.0.0.0", port: 8750))
        #expect(c.apiBase == "https://example.com/api#x")
        #expect(c.stateDirectory == "/srv/bots #1")
    }

    @Test func textAfterAQuotedValueIsAnError() {
        #expect(error("[paths]\nstate_dir = \"/a\" /b\n")?.line == 2)
    }

    @Test func aMissingFileSaysNoSuchFileOrDirectoryWithThePath() {
        #expect(throws: ConfigurationError(file: "/nonexistent/botvisor.conf", line: 0,
                                           message: "cannot read: No such file or directory")) {
            try Configuration.load(path: "/nonexistent/botvisor.conf", environment: [:])
        }
    }

    @Test func aControlGroupThatDoesNotExistIsAnError() throws {
        let c = try Configuration.parse("[control]\ngroup = no-such-group-botvisor\n", environment: [:])
        #expect(c.checkSystem().errors.first?.contains("no group named `no-such-group-botvisor`") == true)
    }

    @Test func theProcessOwnGroupPassesTheSystemCheck() throws {
        let entry = try #require(getgrgid(getegid()))
        let name = try #require(entry.pointee.gr_name)
        let c = try Configuration.parse("[control]\ngroup = \(String(cString: name))\n", environment: [:])
        #expect(c.checkSystem() == .init())
    }

    @Test func theShippedGroupExampleIsNotTheDefaultsSpelling() throws {
        let text = try String(contentsOfFile: "\(URL(fileURLWithPath: #filePath).deletingLastPathComponent().path)/../../etc/botvisor.conf",
                              encoding: .utf8)
        #expect(!text.contains("#group = botvisor\n"))
    }
}
