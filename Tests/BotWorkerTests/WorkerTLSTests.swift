import Discord
import DiscordSim
import Foundation
import Glibc
import HTTP
import IOCore
import IPC
import JSON
import Testing
import TestSupport
import TLS
@testable import BotWorker

@Suite(.heavy) struct WorkerTLSTests {
    @Test(.enabled(if: Peer.openssl.isAvailable, Peer.openssl.missing))
    func theWorkerReachesATLSSimulatorThroughSSLCertFile() async throws {
        try await withTemporaryDirectory { dir in
            let pki = try await TestPKI.make(in: dir)
            var configuration = DiscordSimulator.Configuration()
            configuration.heartbeatInterval = .seconds(2)
            configuration.heartbeatGrace = Harness.grace
            configuration.interactionDeadline = Harness.grace
            let sim = try DiscordSimulator(configuration: configuration,
                                           tls: TLSServerContext(certificateChainFile: pki.serverCertificate, privateKeyFile: pki.serverKey))
            await sim.addBot(name: "alpha", token: "tok-tls")
            try "tok-tls".writeAtomically(to: "\(dir)/token")
            #expect(sim.apiBase.hasPrefix("https://localhost:"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await sim.run() }
                var environment = ProcessInfo.processInfo.environment
                environment["SSL_CERT_FILE"] = pki.caCertificate
                let worker = try BackgroundProcess(productPath("botvisor-worker"),
                                                   ["--standalone", "--token-file", "\(dir)/token", "--api-base", sim.apiBase],
                                                   environment: environment)
                try await eventually(timeout: .seconds(15), "READY over wss") { await sim.injectInteraction(bot: "alpha", command: "ping") != nil }
                let line = try await worker.waitForLine { $0.hasPrefix("{") }
                #expect(try JSON.parse(line)["outcome"]?.string == "ok")
                await worker.stop()

                // Without the CA the certificate is refused with a clear error, and nothing is sent.
                environment["SSL_CERT_FILE"] = nil
                let refused = try await runProcess(productPath("botvisor-worker"),
                                                   ["--standalone", "--token-file", "\(dir)/token", "--api-base", sim.apiBase],
                                                   environment: environment, timeout: .seconds(60))
                #expect(refused.status == 1)
                #expect(refused.stderr.contains("TLS certificate verification failed"), "\(refused.stderr)")
                await sim.shutdown()
                group.cancelAll()
            }
        }
    }
}
