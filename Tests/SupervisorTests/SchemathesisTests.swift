import Testing
import Foundation
import Discord
import TestSupport
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store
@testable import Supervisor

/// Schemathesis (PyPI) generates requests from `/api/v1/openapi.json` and checks every
/// response of a real botvisord: no 5xx, every status and body as the document says.
@Suite(.serialized, .heavy) struct SchemathesisTests {
    static let schemathesis = PythonModule("schemathesis")

    /// Where a rule depends on state no schema can express, schemathesis is told which refusal to
    /// expect, operation by operation (and only there): command names must be unique within a bot;
    /// an Idempotency-Key reused with another body is 422 (IETF httpapi idempotency draft); a token
    /// that Discord refuses is 422 TOKEN_REJECTED.
    static let config = """
        [[operations]]
        include-name = ["POST /api/v1/bots", "PATCH /api/v1/bots/{name}", "POST /api/v1/bots/{name}/validate",
                        "POST /api/v1/bulk/start", "POST /api/v1/bulk/stop", "POST /api/v1/bulk/restart", "POST /api/v1/bulk/messages"]
        checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]

        # Stock: a display names an existing bot, a product SKU is unique in its catalog, a sync names every SKU once
        # and only existing ones, a bulk selector must match products, and If-Match must be the current version.
        [[operations]]
        include-name = ["POST /api/v1/catalogs/{id}/products", "PATCH /api/v1/catalogs/{id}/products/{sku}",
                        "DELETE /api/v1/catalogs/{id}/products/{sku}", "PATCH /api/v1/catalogs/{id}", "DELETE /api/v1/catalogs/{id}",
                        "PUT /api/v1/catalogs/{id}/stock", "POST /api/v1/displays", "PATCH /api/v1/displays/{id}", "DELETE /api/v1/displays/{id}",
                        "POST /api/v1/bulk/products/visibility", "POST /api/v1/bulk/displays/refresh"]
        checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "404", "409", "412", "422"]
        """

    func run(_ h: DaemonHarness, _ arguments: [String]) async throws -> (Int32, String) {
        let configFile = FileManager.default.temporaryDirectory.appendingPathComponent("schemathesis-\(getpid()).toml").path
        try Data(Self.config.utf8).write(to: URL(fileURLWithPath: configFile))
        defer { try? FileManager.default.removeItem(atPath: configFile) }
        let result = try await runProcess(Peer.python3.path!, ["-m", "schemathesis.cli", "--config-file", configFile,
                                                               "run", "http://127.0.0.1:\(h.httpPort)/api/v1/openapi.json",
                                                               "--max-examples", "25", "--request-timeout", "30", "--seed", "20261127",
                                                               "--workers", "2", "--no-color"] + arguments,
                                          timeout: .seconds(900))
        return (result.status, result.stdout + result.stderr)
    }

    @Test(.enabled(if: schemathesis.isAvailable, schemathesis.missing))
    func generatedRequestsGetNoServerErrorAndNoResponseOutsideTheSchema() async throws {
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            try await h.createBot("shop", token: "tok-shop", extra: ["prefix": "!"])
            try await h.createBot("mod", token: "tok-mod")
            try await h.waitFor("shop", .ready)
            for command in ["ping", "help", "nosuch"] { _ = await h.sim.injectInteraction(bot: "shop", command: command) }
            try await eventually(timeout: h.patience, "command records") {
                (try? await h.api(.get, "/api/v1/logs").1["logs"]?.array?.count) == 3
            }
            // Every check schemathesis has (positive data accepted, negative data rejected, headers, links
            // followed from a created bot and a 202 job, ...), on every route but health.
            let (status, output) = try await run(h, ["--checks", "all", "--exclude-path", "/api/v1/monitoring/health"])
            #expect(status == 0, "\(output)")
            #expect(output.contains(" generated, ") && output.contains(" passed"), "\(output)")
            // Health answers 503 when the fleet is down, as documented: every check but "no 5xx".
            let (healthStatus, healthOutput) = try await run(h, ["--checks", "all", "--exclude-checks", "not_a_server_error",
                                                                 "--include-path", "/api/v1/monitoring/health",
                                                                 // No links start or end at health: nothing for the stateful phase.
                                                                 "--phases", "examples,coverage,fuzzing"])
            #expect(healthStatus == 0, "\(healthOutput)")
            // And the daemon is still serving.
            #expect(try await h.api(.get, "/api/v1/bots").0 == 200)
        }
    }
}
