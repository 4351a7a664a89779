import FoundationEssentials
import HTTP
import JSON
import Testing
import TestSupport
@testable import API
@testable import Operations
@testable import Store

/// Catalogs and products through the router on a real SQLite file (no workers): validation, versions, inventory sync.
@Suite struct StockAPITests {
    let bots = BotsAPITests()

    func send(_ router: SignedInRouter, _ method: HTTPMethod, _ target: String, _ body: JSON? = nil, headers: HTTPHeaders = [:]) async -> (HTTPStatus, JSON, HTTPHeaders) {
        var request = HTTPRequest(method: method, target: target)
        for (name, value) in headers { request.headers.add(name, value) }
        if let body { request.body = body.bytes }
        let response = await router.respond(to: request)
        guard case .bytes(let bytes) = response.body, !bytes.isEmpty else { return (response.status, .null, response.headers) }
        return (response.status, (try? JSON.parse(bytes)) ?? .null, response.headers)
    }

    func catalog(_ router: SignedInRouter) async throws -> Int {
        let (status, catalog, _) = await send(router, .post, "/api/v1/catalogs", ["name": "Fruit stand", "currency": "EUR"])
        #expect(status == .created)
        return try #require(catalog["id"]?.int)
    }

    @Test func badInputIsA422NamingEveryFailingField() async throws {
        try await bots.withAPI { router in
            let id = try await catalog(router)
            let (status, body, _) = await send(router, .post, "/api/v1/catalogs/\(id)/products", [
                "sku": "a b", "name": .string(String(repeating: "x", count: 10_240)), "quantity": -1, "price": "12", "visible": "yes", "colour": 1,
            ])
            #expect(status == .unprocessableContent)
            #expect(body["error"]?["code"]?.string == "VALIDATION_FAILED")
            #expect(bots.fields(body) == ["sku", "name", "quantity", "price", "visible", "colour"])

            // Inventory sync: an unknown SKU and a negative quantity, each named by its line; nothing is applied.
            _ = await send(router, .post, "/api/v1/catalogs/\(id)/products", ["sku": "apple", "name": "Apple", "quantity": 5])
            let (syncStatus, sync, _) = await send(router, .put, "/api/v1/catalogs/\(id)/stock",
                                                   ["items": [["sku": "apple", "quantity": 7], ["sku": "durian", "quantity": 1], ["sku": "apple2", "quantity": -3]]])
            #expect(syncStatus == .unprocessableContent)
            #expect(bots.fields(sync) == ["items[2].quantity"])
            let (unknownStatus, unknown, _) = await send(router, .put, "/api/v1/catalogs/\(id)/stock",
                                                         ["items": [["sku": "apple", "quantity": 7], ["sku": "durian", "quantity": 1]]])
            #expect(unknownStatus == .unprocessableContent)
            #expect(bots.fields(unknown) == ["items[1].sku"])
            #expect(await send(router, .get, "/api/v1/catalogs/\(id)/products/apple").1["quantity"]?.int == 5)

            // A display needs a real bot, a channel id and an existing catalog.
            let (displayStatus, display, _) = await send(router, .post, "/api/v1/displays", ["bot": "nobody", "channel_id": "12x", "catalog_id": 999, "out_of_stock": "maybe"])
            #expect(displayStatus == .unprocessableContent)
            #expect(bots.fields(display) == ["bot", "channel_id", "out_of_stock"])
            #expect(await send(router, .get, "/api/v1/catalogs/\(id)/products/durian").0 == .notFound)
        }
    }

    @Test func aStaleIfMatchIsA412WithTheCurrentVersion() async throws {
        try await bots.withAPI { router in
            let id = try await catalog(router)
            let (_, product, headers) = await send(router, .post, "/api/v1/catalogs/\(id)/products", ["sku": "pear", "name": "Pear", "quantity": 3])
            #expect(product["version"]?.int == 1 && headers["ETag"] == "\"1\"")
            // Two staff members read version 1; the first one's change wins, the second is told.
            let (first, changed, firstHeaders) = await send(router, .patch, "/api/v1/catalogs/\(id)/products/pear", ["quantity": 2], headers: ["If-Match": "\"1\""])
            #expect(first == .ok && changed["quantity"]?.int == 2 && firstHeaders["ETag"] == "\"2\"")
            let (second, refused, secondHeaders) = await send(router, .patch, "/api/v1/catalogs/\(id)/products/pear", ["visible": false], headers: ["If-Match": "\"1\""])
            #expect(second == .preconditionFailed)
            #expect(refused["error"]?["code"]?.string == "VERSION_MISMATCH" && secondHeaders["ETag"] == "\"2\"")
            #expect(await send(router, .get, "/api/v1/catalogs/\(id)/products/pear").1["visible"]?.bool == true)
            // Without If-Match the change applies (last writer wins, as the caller chose).
            #expect(await send(router, .patch, "/api/v1/catalogs/\(id)/products/pear", ["visible": false]).0 == .ok)
            let (stale, _, _) = await send(router, .delete, "/api/v1/catalogs/\(id)/products/pear", headers: ["If-Match": "2"])
            #expect(stale == .preconditionFailed)
            #expect(await send(router, .patch, "/api/v1/catalogs/\(id)", ["name": "Stand"], headers: ["If-Match": "\"99\""]).0 == .preconditionFailed)
            #expect(await send(router, .patch, "/api/v1/catalogs/\(id)", ["name": "Stand"], headers: ["If-Match": "bogus"]).0 == .badRequest)
        }
    }

    @Test func anInventorySyncIsOneTransactionAndIdempotentUnderItsKey() async throws {
        try await bots.withAPI { router in
            let id = try await catalog(router)
            for sku in ["a", "b", "c"] { _ = await send(router, .post, "/api/v1/catalogs/\(id)/products", ["sku": .string(sku), "name": .string(sku), "quantity": 1]) }
            let body: JSON = ["items": [["sku": "a", "quantity": 10], ["sku": "b", "quantity": 1], ["sku": "c", "quantity": .null]]]
            let (status, result, _) = await send(router, .put, "/api/v1/catalogs/\(id)/stock", body, headers: ["Idempotency-Key": "sync-1"])
            #expect(status == .ok)
            #expect(result["updated"]?.int == 2 && result["unchanged"]?.int == 1 && result["replayed"]?.bool == false)
            // Staff sell one meanwhile; the shop backend retries its request: nothing is applied twice.
            _ = await send(router, .patch, "/api/v1/catalogs/\(id)/products/a", ["quantity": 9])
            let (again, replay, _) = await send(router, .put, "/api/v1/catalogs/\(id)/stock", body, headers: ["Idempotency-Key": "sync-1"])
            #expect(again == .ok && replay["replayed"]?.bool == true && replay["updated"]?.int == 2)
            #expect(await send(router, .get, "/api/v1/catalogs/\(id)/products/a").1["quantity"]?.int == 9)
            #expect(await send(router, .get, "/api/v1/catalogs/\(id)/products/c").1["quantity"] == .null)
            // The same key for another request is refused.
            let (reused, refusal, _) = await send(router, .put, "/api/v1/catalogs/\(id)/stock", ["items": [["sku": "a", "quantity": 1]]],
                                                  headers: ["Idempotency-Key": "sync-1"])
            #expect(reused == .unprocessableContent && refusal["error"]?["code"]?.string == "IDEMPOTENCY_KEY_REUSED")
        }
    }
}
