import HTTP
import IPC
import JSON
import Logging
import Testing
import TestSupport
@testable import API
@testable import Auth
@testable import Fleet
@testable import Store

/// Every change over HTTP is an audit row: a walk over the router's routes, and the stock routes (catalogs,
/// products, stock, displays, the stock bulk jobs) through the real router onto a real audit chain.
@Suite struct AuditStockTests {
    /// Routes that change nothing, so they are not audited (a refused call to any of them still is).
    static let notChanges: Set<String> = [
        "POST /api/v1/auth/refresh",        // audited when a reuse revokes the family (auth.refresh_reused)
        "POST /api/v1/auth/ws-ticket",      // a single-use ticket for the live feed, in memory only
        "POST /api/v1/bots/{name}/validate", // a read against Discord
    ]

    @Test func everyRouteThatChangesSomethingHasAnAuditAction() async throws {
        try await BotsAPITests().withAPI { router in
            var walked = 0
            for route in router.routeList where route.method != .get && route.method != .head {
                let key = "\(route.method.rawValue) \(route.pattern)"
                let path = route.pattern.replacing("{name}", with: "shop").replacing("{id}", with: "3").replacing("{sku}", with: "TEA-1")
                let event = AuditRoutes.classify(method: route.method, path: path, status: 200, code: nil)
                if Self.notChanges.contains(key) {
                    #expect(event == nil, "\(key) is audited after all: update notChanges")
                } else {
                    #expect(event != nil, "\(key) changes something and has no audit action")
                    walked += 1
                }
                // A refusal is audited on every route.
                #expect(AuditRoutes.classify(method: route.method, path: path, status: 403, code: .forbidden)?.action == .accessDenied)
            }
            #expect(walked >= 25, "the walk saw the routes (\(walked))")
        }
    }

    @Test func theStockRoutesMapToTheirActionsAndTargets() {
        func event(_ method: HTTPMethod, _ path: String, _ body: JSON? = nil, location: String? = nil) -> String {
            let e = AuditRoutes.classify(method: method, path: path, status: 200, code: nil, location: location, body: body?.bytes ?? [])
            return "\(e?.action.rawValue ?? "-") \(e?.target ?? "-")"
        }
        #expect(event(.post, "/api/v1/catalogs", ["name": "Tea"], location: "/api/v1/catalogs/3") == "catalog.create 3")
        #expect(event(.patch, "/api/v1/catalogs/3", ["name": "Teas"]) == "catalog.update 3")
        #expect(event(.delete, "/api/v1/catalogs/3") == "catalog.delete 3")
        #expect(event(.post, "/api/v1/catalogs/3/products", ["sku": "TEA-1"], location: "/api/v1/catalogs/3/products/TEA-1") == "product.create 3/TEA-1")
        #expect(event(.post, "/api/v1/catalogs/3/products", ["sku": "TEA-1"]) == "product.create 3/TEA-1", "a refused creation names the SKU asked for")
        #expect(event(.patch, "/api/v1/catalogs/3/products/TEA-1", ["visible": false]) == "product.hide 3/TEA-1")
        #expect(event(.patch, "/api/v1/catalogs/3/products/TEA-1", ["visible": true]) == "product.show 3/TEA-1")
        #expect(event(.patch, "/api/v1/catalogs/3/products/TEA-1", ["quantity": 4]) == "stock.set 3/TEA-1")
        #expect(event(.patch, "/api/v1/catalogs/3/products/TEA-1", ["quantity": 4, "visible": true]) == "product.update 3/TEA-1")
        #expect(event(.delete, "/api/v1/catalogs/3/products/TEA-1") == "product.delete 3/TEA-1")
        #expect(event(.put, "/api/v1/catalogs/3/stock", ["items": [["sku": "TEA-1", "quantity": 1]]]) == "stock.set 3")
        #expect(event(.post, "/api/v1/displays", location: "/api/v1/displays/7") == "display.create 7")
        #expect(event(.patch, "/api/v1/displays/7") == "display.update 7")
        #expect(event(.delete, "/api/v1/displays/7") == "display.delete 7")
        #expect(event(.post, "/api/v1/displays/7/refresh") == "display.refresh 7")
        #expect(event(.post, "/api/v1/bulk/products/visibility", location: "/api/v1/jobs/j1") == "bulk.product_visibility j1")
        #expect(event(.post, "/api/v1/bulk/displays/refresh", location: "/api/v1/jobs/j2") == "bulk.display_refresh j2")
        // What a stock change set goes into the details; a list is joined, null is null.
        let details = AuditRoutes.safeDetails((["items": [["sku": "A", "quantity": 1], ["sku": "B", "quantity": .null]]] as JSON).bytes)
        #expect(details == ["lines": "2", "skus": "A,B"])
        #expect(AuditRoutes.safeDetails((["skus": ["A", "B"], "visible": false, "quantity": .null] as JSON).bytes)
                == ["skus": "A,B", "visible": "false", "quantity": "null"])
        #expect(AuditRoutes.safeDetails((["name": "shop", "token": "MTIz.secret.x"] as JSON).bytes) == ["name": "shop"], "a bot's token never")
    }

    @Test func stockChangesOverHTTPAreAuditRowsWithActorTargetAndWhatWasSet() async throws {
        try await withTemporaryDirectory { dir in
            let store = try await SupervisorStore(stateDirectory: dir)
            let fleet = TestFleet.idle(store: store, dir: dir)
            let auth = try await TestAuth.authenticator(store: store, dir: dir)
            let trail = AuditTrail(store: store, logger: Logger(label: "audit"))
            let router = APIRouter.make(fleet: fleet, store: store, authenticator: auth, apiBase: "http://127.0.0.1:1", audit: trail)
            let admin = try await TestAuth.token(auth, name: "admin")
            let staff = try await TestAuth.token(auth, role: "operator", name: "staff")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await fleet.run() }
                func send(_ method: HTTPMethod, _ target: String, _ body: JSON? = nil, as token: String) async -> (Int, JSON) {
                    var request = HTTPRequest(method: method, target: target)
                    request.headers.set("Authorization", "Bearer \(token)")
                    if let body {
                        request.body = body.bytes
                        request.headers.set("Content-Type", "application/json")
                    }
                    let response = await router.respond(to: request)
                    guard case .bytes(let bytes) = response.body, !bytes.isEmpty else { return (response.status.code, .null) }
                    return (response.status.code, (try? JSON.parse(bytes)) ?? .null)
                }
                let (created, catalog) = await send(.post, "/api/v1/catalogs", ["name": "Tea house", "currency": "EUR"], as: admin)
                #expect(created == 201)
                let id = catalog["id"]?.int ?? 0
                #expect(await send(.post, "/api/v1/catalogs/\(id)/products", ["sku": "TEA-1", "name": "Sencha", "quantity": 5], as: admin).0 == 201)
                #expect(await send(.patch, "/api/v1/catalogs/\(id)/products/TEA-1", ["visible": false], as: staff).0 == 200)
                #expect(await send(.patch, "/api/v1/catalogs/\(id)/products/TEA-1", ["quantity": 2], as: staff).0 == 200)
                #expect(await send(.put, "/api/v1/catalogs/\(id)/stock", ["items": [["sku": "TEA-1", "quantity": .null]]], as: staff).0 == 200)
                #expect(await send(.patch, "/api/v1/catalogs/\(id)", ["name": "Tea house 2"], as: admin).0 == 200)
                #expect(await send(.post, "/api/v1/bots", ["name": "shop", "token": .string(BotsAPITests.token), "enabled": false], as: admin).0 == 201)
                let (displayStatus, display) = await send(.post, "/api/v1/displays",
                                                          ["bot": "shop", "channel_id": "123456789012345678", "catalog_id": .number(Double(id))], as: admin)
                #expect(displayStatus == 201, "\(display)")
                let displayID = display["id"]?.int ?? 0
                #expect(await send(.patch, "/api/v1/displays/\(displayID)", ["title": "Our teas"], as: admin).0 == 200)
                #expect(await send(.post, "/api/v1/bulk/products/visibility", ["catalogs": [.number(Double(id))], "visible": true], as: staff).0 == 202)
                #expect(await send(.post, "/api/v1/bulk/displays/refresh", ["catalogs": [.number(Double(id))]], as: staff).0 == 202)
                #expect(await send(.post, "/api/v1/displays", ["bot": "nobody", "channel_id": "1", "catalog_id": 1], as: admin).0 == 422)
                #expect(await send(.delete, "/api/v1/catalogs/\(id)/products/TEA-1", as: staff).0 == 403, "operators do not delete products")
                #expect(await send(.delete, "/api/v1/displays/\(displayID)", as: admin).0 == 204)
                #expect(await send(.delete, "/api/v1/catalogs/\(id)/products/TEA-1", as: admin).0 == 204)
                #expect(await send(.delete, "/api/v1/catalogs/\(id)", as: admin).0 == 204)

                let rows = try await store.auditRows(AuditQuery()).reversed().map(\.entry)
                let seen = rows.map { "\($0.actor) \($0.action) \($0.target ?? "-") \($0.outcome)" }
                #expect(seen == [
                    "token:admin catalog.create \(id) success",
                    "token:admin product.create \(id)/TEA-1 success",
                    "token:staff product.hide \(id)/TEA-1 success",
                    "token:staff stock.set \(id)/TEA-1 success",
                    "token:staff stock.set \(id) success",
                    "token:admin catalog.update \(id) success",
                    "token:admin bot.create shop success",
                    "token:admin display.create \(displayID) success",
                    "token:admin display.update \(displayID) success",
                    "token:staff bulk.product_visibility \(rows.first { $0.action == "bulk.product_visibility" }?.target ?? "?") success",
                    "token:staff bulk.display_refresh \(rows.first { $0.action == "bulk.display_refresh" }?.target ?? "?") success",
                    "token:admin display.create - failure",
                    "token:staff access.denied DELETE /api/v1/catalogs/\(id)/products/TEA-1 denied",
                    "token:admin display.delete \(displayID) success",
                    "token:admin product.delete \(id)/TEA-1 success",
                    "token:admin catalog.delete \(id) success",
                ], "\(seen.joined(separator: "\n"))")
                #expect(rows.first { $0.action == "bulk.product_visibility" }?.target?.isEmpty == false, "a job names its id")
                let hide = try #require(rows.first { $0.action == "product.hide" })
                #expect(hide.details["visible"] == "false" && hide.details["actor_role"] == "operator")
                #expect(rows.first { $0.action == "stock.set" && $0.target == "\(id)" }?.details["skus"] == "TEA-1")
                #expect(rows.first { $0.action == "stock.set" && $0.target == "\(id)/TEA-1" }?.details["quantity"] == "2")
                #expect(rows.first { $0.action == "display.create" }?.details["bot"] == "shop")
                #expect(!"\(rows)".contains(BotsAPITests.token) && !"\(rows)".contains(admin) && !"\(rows)".contains(staff))
                await fleet.shutdown()
                group.cancelAll()
            }
            await store.close()
        }
    }
}
