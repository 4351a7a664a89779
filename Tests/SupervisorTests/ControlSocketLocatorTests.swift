import Testing
import Foundation
@testable import Control
@testable import Supervisor

@Suite struct ControlSocketLocatorTests {
    @Test func anExplicitSocketIsTheOnlyCandidate() throws {
        let l = ControlSocketLocator(socket: "/x.sock", configPath: "/nonexistent.conf", environment: ["BOTVISOR_SOCKET": "/y.sock"])
        #expect(try l.candidates() == ["/x.sock"])
    }

    @Test func theEnvironmentComesNext() throws {
        let l = ControlSocketLocator(socket: nil, configPath: nil, environment: ["BOTVISOR_SOCKET": "/y.sock"])
        #expect(try l.candidates() == ["/y.sock"])
    }

    @Test func withoutFlagsTheInstalledDaemonComesBeforeTheLocalOne() throws {
        let l = ControlSocketLocator(socket: nil, configPath: nil, environment: [:])
        #expect(try l.candidates() == ["/run/botvisor/control.sock", "./botvisor-data/control.sock"])
    }

    @Test func aConfigWithoutRuntimeDirLooksWhereTheInstalledDaemonWould() throws {
        let shipped = "\(URL(fileURLWithPath: #filePath).deletingLastPathComponent().path)/../../etc/botvisor.conf"
        let l = ControlSocketLocator(socket: nil, configPath: shipped, environment: [:])
        #expect(try l.candidates() == ["/run/botvisor/control.sock", "./botvisor-data/control.sock"])
    }

    @Test func aConfigsRuntimeDirIsTheOnlyCandidate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("botvisor-locator-\(UUID().uuidString).conf").path
        try "[paths]\nruntime_dir = /srv/botvisor/run\n".writeAtomically(to: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let l = ControlSocketLocator(socket: nil, configPath: dir, environment: [:])
        #expect(try l.candidates() == ["/srv/botvisor/run/control.sock"])
    }

    @Test func aMissingConfigIsAReadableError() {
        let l = ControlSocketLocator(socket: nil, configPath: "/nonexistent.conf", environment: [:])
        #expect(throws: ConfigurationError.self) { try l.candidates() }
    }
}
