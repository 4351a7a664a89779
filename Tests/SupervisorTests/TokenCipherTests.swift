import Testing
import Foundation
import Glibc
import IOCore
import IPC
import TestSupport
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store
@testable import Supervisor

@Suite struct TokenCipherTests {
    @Test func aTokenRoundTripsAndIsNotStoredInTheClear() async throws {
        try await withTemporaryDirectory { dir in
            let cipher = try TokenCipher.loadOrCreateKey(at: "\(dir)/token.key")
            var st = stat()
            stat("\(dir)/token.key", &st)
            #expect(st.st_mode & 0o777 == 0o600)
            let token = "MTIzNDU2Nzg5MDEy.secret-token-value"
            let sealed = try cipher.seal(token, boundTo: "alpha")
            #expect(!String(decoding: sealed, as: UTF8.self).contains("secret"))
            // The same key file opens it again.
            let again = try TokenCipher.loadOrCreateKey(at: "\(dir)/token.key")
            #expect(try again.open(sealed, boundTo: "alpha") == token)
        }
    }

    @Test func aTokenMovedToAnotherBotOrTamperedWithDoesNotOpen() throws {
        let cipher = TokenCipher(key: Array(repeating: 7, count: 32))
        var sealed = try cipher.seal("tok", boundTo: "alpha")
        #expect(throws: TokenCipherError.authenticationFailed) { try cipher.open(sealed, boundTo: "beta") }
        sealed[13] ^= 1
        #expect(throws: TokenCipherError.authenticationFailed) { try cipher.open(sealed, boundTo: "alpha") }
    }

    @Test func aKeyFileReadableByOthersIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            _ = try TokenCipher.loadOrCreateKey(at: "\(dir)/k")
            chmod("\(dir)/k", 0o644)
            #expect(throws: TokenCipherError.insecureKeyFile(path: "\(dir)/k", mode: 0o644)) {
                _ = try TokenCipher.loadOrCreateKey(at: "\(dir)/k")
            }
        }
    }
}

@Suite struct SystemdNotifierTests {
    @Test func notificationsArriveAsDatagramsOnTheNotifySocket() async throws {
        let path = "/tmp/botvisor-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd); unlink(path) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(rc == 0)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"])
        #expect(notifier.watchdogInterval == .seconds(2))
        #expect(notifier.notify("READY=1\nSTATUS=3/3 bots ready"))
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = recv(fd, &buffer, 256, 0)
        #expect(String(decoding: buffer.prefix(max(0, n)), as: UTF8.self) == "READY=1\nSTATUS=3/3 bots ready")
    }

    @Test func withoutANotifySocketNothingIsSent() {
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"))
    }
}

@Suite struct SupervisorStoreTests {
    @Test func recordsSentTwiceAreStoredOnceAndTokensAreSealedAtRest() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            try await store.add(BotDefinition(name: "alpha", token: "very-secret-token", prefix: "!"))
            let record = CommandRecord(id: "same-id", bot: "alpha", guildID: "g", channelID: "c", userID: "u", command: "ping",
                                       options: "{}", startedAt: 1, durationMicros: 2, outcome: .ok)
            try await store.store([record])
            try await store.store([record])
            #expect(try await store.commandCount() == 1)
            #expect(try await store.all().first?.token == "very-secret-token")
            // Neither the database nor its write-ahead log holds the token in the clear.
            for file in ["botvisor.db", "botvisor.db-wal"] {
                let raw = (try? Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(file)"))) ?? Data()
                #expect(raw.range(of: Data("very-secret-token".utf8)) == nil)
            }
            var st = stat()
            stat("\(dir)/token.key", &st)
            #expect(st.st_mode & 0o777 == 0o600)
        }
    }
}
