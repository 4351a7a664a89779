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
