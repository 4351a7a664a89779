import Discord
import FoundationEssentials
import HTTP
import IOCore
import IPC
import JSON
import Logging
import Testing
import TestSupport
@testable import API
@testable import Control
@testable import Fleet
@testable import Operations
@testable import Store
@testable import Supervisor

@Suite struct PrometheusTests {
    static let client = PythonModule("prometheus_client")

    @Test(.enabled(client.missing) { await client.available() })
    func theExpositionParsesWithPrometheusClientAndAddsUp() async throws {
        try await LogsAPITests().withAPI { router, store in
            try await LogsAPITests().generate(store)
            let response = await router.respond(to: HTTPRequest(method: .get, target: "/metrics"))
            #expect(response.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            guard case .bytes(let body) = response.body else { Issue.record("no body"); return }
            try await withTemporaryDirectory { dir in
                try Data(body).write(to: URL(fileURLWithPath: "\(dir)/metrics.txt"))
                let script = """
                    from prometheus_client.parser import text_string_to_metric_families
                    families = {f.name: f for f in text_string_to_metric_families(open("\(dir)/metrics.txt").read())}
                    total = sum(s.value for s in families["botvisor_commands"].samples if s.name == "botvisor_commands_total")
                    hist = [s for s in families["botvisor_command_duration_seconds"].samples if s.labels.get("bot") == "bot0"]
                    count = [s.value for s in hist if s.name.endswith("_count")][0]
                    inf = [s.value for s in hist if s.name.endswith("_bucket") and s.labels["le"] == "+Inf"][0]
                    print(int(total), int(count), int(inf), families["botvisor_command_duration_seconds"].type)
                    """
                let result = try await runProcess(Peer.python3.path!, ["-c", script])
                #expect(result.stdout == "300 100 100 histogram\n", "\(result.stderr)")
            }
        }
    }
}
