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

@Suite struct OpenAPITests {
    static let validator = PythonModule("openapi_spec_validator", pip: "openapi-spec-validator")

    @Test func everyRouteIsDescribed() async throws {
        try await LogsAPITests().withAPI { router, _ in
            let document = OpenAPIDocument.make()
            for route in router.routeList {
                #expect(document["paths"]?[route.pattern]?[route.method.rawValue.lowercased()] != nil, "\(route.method) \(route.pattern) undocumented")
            }
            #expect(document["paths"]?.object?.count == Set(router.routeList.map(\.pattern)).count)
            let response = await router.respond(to: HTTPRequest(method: .get, target: "/api/v1/openapi.json"))
            guard case .bytes(let body) = response.body else { Issue.record("no body"); return }
            let served = try JSON.parse(body)
            #expect(served == document)
        }
    }

    @Test(.enabled(validator.missing) { await validator.available() })
    func theDocumentIsValidOpenAPI31() async throws {
        try await withTemporaryDirectory { dir in
            try Data(OpenAPIDocument.make().bytes).write(to: URL(fileURLWithPath: "\(dir)/openapi.json"))
            let result = try await runProcess(Peer.python3.path!, ["-c", """
                import json
                from openapi_spec_validator import validate
                validate(json.load(open("\(dir)/openapi.json")))
                print("valid")
                """])
            #expect(result.stdout == "valid\n", "\(result.stderr)")
        }
    }
}
