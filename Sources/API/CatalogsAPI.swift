import Fleet
import HTTP
import IPC
import JSON
import Operations
import Store

/// Catalogs and products over HTTP. Every change is published on the fleet event stream as
/// `stockChanged`, which the display engine follows to bring the catalog's displays up to date.
/// Changes take an optional `If-Match` with the version from the `ETag` (RFC 9110 §13.1.1): a stale
/// one is a 412 with the current version, so two staff members never overwrite each other unseen.
package enum CatalogsAPI {
    package static func register(on router: inout Router, fleet: Fleet, store: SupervisorStore, displays: DisplayEngine) {
        router.get("/api/v1/catalogs") { request, _ in
            try APIQuery.check(request, allows: [])
            return .json(CatalogList(catalogs: try await store.catalogs()))
        }
        router.post("/api/v1/catalogs") { request, _ in
            try APIQuery.check(request, allows: [])
            let catalog = try await store.createCatalog(try JobsAPI.object(request))
            return .json(catalog, status: .created, headers: ["Location": "/api/v1/catalogs/\(catalog.id)", "ETag": etag(catalog.version)])
        }
        router.get("/api/v1/catalogs/{id}") { request, _ in
            try APIQuery.check(request, allows: [])
            let catalog = try await store.catalog(try catalogID(request))
            return .json(catalog, headers: ["ETag": etag(catalog.version)])
        }
        router.patch("/api/v1/catalogs/{id}") { request, _ in
            try APIQuery.check(request, allows: [])
            let id = try catalogID(request)
            let catalog = try await store.updateCatalog(id, try JobsAPI.object(request), ifMatch: try ifMatch(request))
            fleet.events.publish(.stockChanged(catalog: id, skus: []))
            return .json(catalog, headers: ["ETag": etag(catalog.version)])
        }
        router.delete("/api/v1/catalogs/{id}") { request, _ in
            try APIQuery.check(request, allows: [])
            let id = try catalogID(request)
            if let wanted = try ifMatch(request) {
                let current = try await store.catalog(id).version
                guard current == wanted else {
                    throw StockError(.versionMismatch, "catalog \(id) is at version \(current), not \(wanted)", currentVersion: current)
                }
            }
            // Its displays go with it, messages included.
            for display in try await store.deleteCatalog(id) {
                await displays.retire(bot: display.bot, channelID: display.channel_id, messageIDs: display.message_ids, displayID: display.id)
            }
            return HTTPResponse(status: .noContent)
        }

        router.get("/api/v1/catalogs/{id}/products") { request, _ in
            try APIQuery.check(request, allows: ["category", "visible"])
            var products = try await store.products(catalog: try catalogID(request))
            if let category = APIQuery.value(request, "category") { products = products.filter { $0.category == category } }
            if let visible = APIQuery.value(request, "visible") {
                guard let wanted = Bool(visible) else { throw APIError.parameter("visible must be true or false") }
                products = products.filter { $0.visible == wanted }
            }
            return .json(ProductList(products: products))
        }
        router.post("/api/v1/catalogs/{id}/products") { request, _ in
            try APIQuery.check(request, allows: [])
            let id = try catalogID(request)
            let product = try await store.createProduct(catalog: id, try JobsAPI.object(request))
            fleet.events.publish(.stockChanged(catalog: id, skus: [product.sku]))
            return .json(product, status: .created, headers: ["Location": "/api/v1/catalogs/\(id)/products/\(product.sku)", "ETag": etag(product.version)])
        }
        router.get("/api/v1/catalogs/{id}/products/{sku}") { request, _ in
            try APIQuery.check(request, allows: [])
            let product = try await store.product(catalog: try catalogID(request), sku: sku(request))
            return .json(product, headers: ["ETag": etag(product.version)])
        }
        router.patch("/api/v1/catalogs/{id}/products/{sku}") { request, _ in
            try APIQuery.check(request, allows: [])
            let id = try catalogID(request)
            let (product, changed) = try await store.updateProduct(catalog: id, sku: sku(request), try JobsAPI.object(request),
                                                                   ifMatch: try ifMatch(request))
            if changed { fleet.events.publish(.stockChanged(catalog: id, skus: [product.sku])) }
            return .json(product, headers: ["ETag": etag(product.version)])
        }
        router.delete("/api/v1/catalogs/{id}/products/{sku}") { request, _ in
            try APIQuery.check(request, allows: [])
            let id = try catalogID(request)
            try await store.deleteProduct(catalog: id, sku: sku(request), ifMatch: try ifMatch(request))
            fleet.events.publish(.stockChanged(catalog: id, skus: [sku(request)]))
            return HTTPResponse(status: .noContent)
        }
        router.put("/api/v1/catalogs/{id}/stock") { request, _ in
            try APIQuery.check(request, allows: [])
            let id = try catalogID(request)
            let body = try JobsAPI.object(request)
            let lines = try StockValidator.stockLines(body)
            let result = try await store.syncStock(catalog: id, lines: lines, idempotencyKey: try idempotencyKey(request),
                                                   request: JobsAPI.canonical(body))
            if !result.replayed && !result.changed_skus.isEmpty {
                fleet.events.publish(.stockChanged(catalog: id, skus: result.changed_skus))
            }
            return .json(result)
        }
    }

    package struct CatalogList: Encodable {
        package var catalogs: [Catalog]
    }

    package struct ProductList: Encodable {
        package var products: [Product]
    }

    /// `"3"`: a version as an entity tag (RFC 9110 §8.8.3).
    package static func etag(_ version: Int64) -> String { "\"\(version)\"" }

    /// The version an `If-Match` names: `"3"`, `W/"3"` or `3`; `*` or absent is nil (any version).
    package static func ifMatch(_ request: HTTPRequest) throws(APIError) -> Int64? {
        guard let header = request.headers["If-Match"] else { return nil }
        var text = Substring(header).drop { $0 == " " || $0 == "\t" }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        if text == "*" { return nil }
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        if text.hasPrefix("\"") && text.hasSuffix("\"") && text.count >= 2 { text = text.dropFirst().dropLast() }
        guard let version = Int64(text), version > 0 else {
            throw APIError(.badRequest, .invalidParameter, "If-Match must be a version from an ETag, such as \"3\"")
        }
        return version
    }

    package static func idempotencyKey(_ request: HTTPRequest) throws(APIError) -> String? {
        guard let header = request.headers["Idempotency-Key"] else { return nil }
        guard (1...255).contains(header.utf8.count), header.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw APIError(.badRequest, .invalidIdempotencyKey, "Idempotency-Key must be 1-255 printable ASCII characters")
        }
        return header
    }

    package static func catalogID(_ request: HTTPRequest) throws(StockError) -> Int64 {
        let text = request.pathParameters["id"] ?? ""
        guard let id = Int64(text), id > 0 else { throw StockError(.catalogNotFound, "no catalog \(text)") }
        return id
    }

    package static func sku(_ request: HTTPRequest) -> String { request.pathParameters["sku"] ?? "" }
}
