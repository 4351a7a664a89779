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
        # A generated body over the server's 1 MiB limit is refused before it is read: 413, documented.
        checks.negative_data_rejection.expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

        # Accounts and tokens: a generated name may exist already (409), a generated login or refresh
        # token is wrong (401) and enough wrong logins lock this address out (429 LOGIN_LOCKED).
        [[operations]]
        include-name = ["POST /api/v1/auth/login", "POST /api/v1/auth/refresh", "POST /api/v1/users", "PATCH /api/v1/users/{name}",
                        "POST /api/v1/tokens"]
        checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404", "409", "422", "429"]
        # Each of these may hash a password (PBKDF2 at 600,000 iterations, one at a time): fewer examples.
        generation.max-examples = 5
        # Stock: a display names an existing bot, a product SKU is unique in its catalog, a sync names every SKU once
        # and only existing ones, a bulk selector must match products, and If-Match must be the current version.
        [[operations]]
        include-name = ["POST /api/v1/catalogs/{id}/products", "PATCH /api/v1/catalogs/{id}/products/{sku}",
                        "DELETE /api/v1/catalogs/{id}/products/{sku}", "PATCH /api/v1/catalogs/{id}", "DELETE /api/v1/catalogs/{id}",
                        "PUT /api/v1/catalogs/{id}/stock", "POST /api/v1/displays", "PATCH /api/v1/displays/{id}", "DELETE /api/v1/displays/{id}",
                        "POST /api/v1/bulk/products/visibility", "POST /api/v1/bulk/displays/refresh"]
        checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "404", "409", "412", "422"]
        # A stale If-Match is checked before the body: 412 is a refusal as good as 422 for a request that also violates the schema.
        checks.negative_data_rejection.expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422", "429"]
        # Password hashes are slow on purpose and run one at a time: a burst of logins queues behind them.
        checks.max_response_time = 60
        """

    /// Runs schemathesis as an admin: every request (and the fetch of the document) carries an admin API token
    /// made over the control socket. An API token, not a login: a generated logout or account change cannot
    /// end the session the run depends on.
    func run(_ h: DaemonHarness, _ arguments: [String]) async throws -> (Int32, String) {
        let token = try await h.adminToken()
        let configFile = FileManager.default.temporaryDirectory.appendingPathComponent("schemathesis-\(getpid()).toml").path
        // The token goes in the configuration file (headers for every request and the document's fetch), not argv.
        try Data(("headers = { Authorization = \"Bearer \(token)\" }\n" + Self.config).utf8).write(to: URL(fileURLWithPath: configFile))
        defer { try? FileManager.default.removeItem(atPath: configFile) }
        let result = try await runProcess(Peer.python3.path!, ["-m", "schemathesis.cli", "--config-file", configFile,
                                                               "run", "http://127.0.0.1:\(h.httpPort)/api/v1/openapi.json",
                                                               "--max-examples", "25", "--request-timeout", "30", "--seed", "20261127",
                                                               "--workers", "2", "--no-color"] + arguments,
                                          // 50 operations: about 320 s for 37 at a load average of 38 on 2 cores.
                                          timeout: .seconds(900))
        return (result.status, result.stdout + result.stderr)
    }

    @Test(.enabled(schemathesis.missing) { await schemathesis.available() })
    func generatedRequestsGetNoServerErrorAndNoResponseOutsideTheSchema() async throws {
        // Limits far above what schemathesis sends (the harness has opened `[limits]` and raised `api`): the rate limiter stays in the path (its headers are on every
        // answer) without refusing the requests whose logic the run is meant to reach.
        // And the log at warning: nothing reads the daemon's output during the run, and a pipe nobody drains holds
        // 64 KiB; the audit log's journal line for each of the thousands of changes schemathesis makes would fill
        // it and stall the daemon on its next write.
        try await DaemonHarness.run(extraConfig: "lifecycle = 1000000/1m\nbulk = 1000000/1m\n[logs]\nlevel = warning") { h in
            try await h.waitForHTTP()
            try await h.createBot("shop", token: "tok-shop", extra: ["prefix": "!"])
            try await h.createBot("mod", token: "tok-mod")
            try await h.waitFor("shop", .ready)
            for command in ["ping", "help", "nosuch"] { _ = await h.sim.injectInteraction(bot: "shop", command: command) }
            try await eventually(timeout: h.patience, "command records") {
                (try? await h.api(.get, "/api/v1/logs").1["logs"]?.array?.count) == 3
            }
            // Every check schemathesis has (positive data accepted, negative data rejected, headers, links
            // followed from a created bot and a 202 job, ...), on every route but health, token revocation and the live feed:
            // the feed answers an upgrade or an event stream that lasts until the client leaves, which a
            // request/response checker cannot wait out (EventFeedProtocolTests drive it with real clients).
            let (status, output) = try await run(h, ["--checks", "all", "--exclude-path", "/api/v1/monitoring/health",
                                                     "--exclude-path", "/api/v1/events",
                                                     "--exclude-name", "POST /api/v1/tokens/{id}/revoke"])
            // Revoking a token is left out: the stateful phase infers links from `GET /api/v1/tokens` and would revoke
            // the run's own token (AuthAPITests cover the route).
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
