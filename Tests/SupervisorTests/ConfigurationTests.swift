import Testing
import Foundation
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store
@testable import Supervisor

@Suite struct ConfigurationTests {
    @Test func theShippedExampleParsesToTheDefaults() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../etc/botvisor.conf").path
        let parsed = try Configuration.load(path: path, environment: [:])
        #expect(parsed == Configuration(environment: [:]))
        #expect(parsed.httpListen.description == "127.0.0.1:8750")
        #expect(parsed.stateDirectory == "./botvisor-data")
    }

    @Test func systemdDirectoriesAreTheDefaults() {
        let c = Configuration(environment: ["STATE_DIRECTORY": "/var/lib/botvisor", "RUNTIME_DIRECTORY": "/run/botvisor"])
        #expect(c.stateDirectory == "/var/lib/botvisor")
        #expect(c.runtimeDirectory == "/run/botvisor")
    }

    @Test func valuesAreParsedWithUnits() throws {
        let c = try Configuration.parse("""
            [http]
            listen = [::1]:9000
            [restart]
            backoff_initial = 250ms
            backoff_max = 2m
            budget = 3
            [logs]
            retention = 7d
            """, environment: [:])
        #expect(c.httpListen == .init(host: "::1", port: 9000))
        #expect(c.restart.initialBackoff == .milliseconds(250))
        #expect(c.restart.maximumBackoff == .seconds(120))
        #expect(c.restart.budget == 3)
        #expect(c.logRetention == .seconds(7 * 86_400))
        #expect(try Configuration.parse("[restart]\nbackoff_initial = 0\n", environment: [:]).restart.initialBackoff == .zero)
    }

    @Test(arguments: [
        ("[http]\nlisten = nowhere\n", 2, "expected host:port"),
        ("[http]\nlisten = 127.0.0.1:8750\nport = 1\n", 3, "unknown key `port` in [http]"),
        ("[nope]\n", 1, "unknown section [nope]"),
        ("listen = 1\n", 1, "before any [section]"),
        ("[restart]\nbudget = -2\n", 2, "expected a positive integer"),
        ("[restart]\n\n# c\nstop_timeout = soon\n", 4, "expected a positive duration"),
        ("[logs]\nlevel = loud\n", 2, "expected trace|debug"),
        ("[http]\nlisten = 1.2.3.4:1\nlisten = 1.2.3.4:2\n", 3, "set twice"),
    ])
    func badFilesAreErrorsWithFileAndLine(text: String, line: Int, message: String) {
        do {
            _ = try Configuration.parse(text, file: "/etc/botvisor.conf", environment: [:])
            Issue.record("accepted a bad file")
        } catch let error as ConfigurationError {
            #expect(error.line == line)
            #expect(error.description.hasPrefix("/etc/botvisor.conf:\(line): "))
            #expect(error.message.contains(message))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
