import Fleet
import HTTP
import IPC
import JSON
import Operations
import Store

/// Stock displays over HTTP, and the bulk stock jobs: `POST /api/v1/bulk/products/visibility` and
/// `POST /api/v1/bulk/displays/refresh` answer 202 with a job whose items are the displays concerned.
package enum DisplaysAPI {
    package static func register(on router: inout Router, fleet: Fleet, store: SupervisorStore, displays: DisplayEngine, jobs: JobRunner) {
        router.get("/api/v1/displays") { request, _ in
            try APIQuery.check(request, allows: ["catalog_id", "bot"])
            var catalog: Int64?
            if let text = APIQuery.value(request, "catalog_id") {
                guard let id = Int64(text), id > 0 else { throw APIError.parameter("catalog_id must be a catalog id") }
                catalog = id
            }
            return .json(DisplayList(displays: try await store.displays(catalog: catalog, bot: APIQuery.value(request, "bot"))))
        }
        router.post("/api/v1/displays") { request, _ in
            try APIQuery.check(request, allows: [])
            let display = try await store.createDisplay(try JobsAPI.object(request), bots: Set(await fleet.names))
            await displays.displayChanged(display)
            return .json(display, status: .created, headers: ["Location": "/api/v1/displays/\(display.id)", "ETag": CatalogsAPI.etag(display.version)])
        }
        router.get("/api/v1/displays/{id}") { request, _ in
            try APIQuery.check(request, allows: [])
            let display = try await store.display(try displayID(request))
            return .json(display, headers: ["ETag": CatalogsAPI.etag(display.version)])
        }
        router.patch("/api/v1/displays/{id}") { request, _ in
            try APIQuery.check(request, allows: [])
            let (display, moved) = try await store.updateDisplay(try displayID(request), try JobsAPI.object(request),
                                                                 ifMatch: try CatalogsAPI.ifMatch(request), bots: Set(await fleet.names))
            if let moved {
                await displays.retire(bot: moved.bot, channelID: moved.channel_id, messageIDs: moved.message_ids, displayID: moved.id)
            }
            await displays.displayChanged(display)
            return .json(display, headers: ["ETag": CatalogsAPI.etag(display.version)])
        }
        router.delete("/api/v1/displays/{id}") { request, _ in
            try APIQuery.check(request, allows: [])
            let id = try displayID(request)
            if let wanted = try CatalogsAPI.ifMatch(request) {
                let current = try await store.display(id).version
                guard current == wanted else {
                    throw StockError(.versionMismatch, "display \(id) is at version \(current), not \(wanted)", currentVersion: current)
                }
            }
            let old = try await store.deleteDisplay(id)
            await displays.retire(bot: old.bot, channelID: old.channel_id, messageIDs: old.message_ids, displayID: old.id)
            return HTTPResponse(status: .noContent)
        }
        router.post("/api/v1/displays/{id}/refresh") { request, _ in
            try APIQuery.check(request, allows: [])
            let id = try displayID(request)
            _ = try await store.display(id)
            // Answers once the display was synced (or refused): the body shows the outcome.
            _ = await displays.refresh(id)
            return .json(try await store.display(id))
        }

        router.post("/api/v1/bulk/products/visibility") { request, _ in
            try APIQuery.check(request, allows: [])
            let spec = try await visibilitySpec(JobsAPI.object(request), store: store)
            let job = try await JobsAPI.submit(spec, request: request, jobs: jobs)
            return .json(job, status: .accepted, headers: JobsAPI.location(job))
        }
        router.post("/api/v1/bulk/displays/refresh") { request, _ in
            try APIQuery.check(request, allows: [])
            let spec = try await refreshSpec(JobsAPI.object(request), store: store)
            let job = try await JobsAPI.submit(spec, request: request, jobs: jobs)
            return .json(job, status: .accepted, headers: JobsAPI.location(job))
        }
    }

    package struct DisplayList: Encodable {
        package var displays: [Display]
    }

    package static func displayID(_ request: HTTPRequest) throws(StockError) -> Int64 {
        let text = request.pathParameters["id"] ?? ""
        guard let id = Int64(text), id > 0 else { throw StockError(.displayNotFound, "no display \(text)") }
        return id
    }

    static func ids(_ value: JSON, field: String, problems: inout [APIError.Field]) -> [Int64] {
        guard let list = value.array, !list.isEmpty, list.count <= 10_000 else {
            problems.append(.init(field, "a non-empty list of ids"))
            return []
        }
        var out: [Int64] = []
        for (i, item) in list.enumerated() {
            if let d = item.double, d == d.rounded(), d >= 1, d < 9e15 { out.append(Int64(d)) } else { problems.append(.init("\(field)[\(i)]", "an id")) }
        }
        return out
    }

    /// `{"skus"|"category"|"out_of_stock"|"catalogs"|"all": ..., "visible": bool, "catalog_id"?: id}`: exactly one selector.
    package static func visibilitySpec(_ body: [String: JSON], store: SupervisorStore) async throws -> JobSpec {
        let selectors = ["skus", "category", "out_of_stock", "catalogs", "all"]
        var problems: [APIError.Field] = []
        for key in body.keys.sorted() where !(selectors + ["visible", "catalog_id"]).contains(key) {
            problems.append(.init(key, "unknown field; known: \((selectors + ["visible", "catalog_id"]).joined(separator: ", "))"))
        }
        let given = selectors.filter { body[$0] != nil }
        if given.count != 1 { problems.append(.init("skus", "give exactly one of skus, category, out_of_stock, catalogs or all")) }
        let visible = body["visible"]?.bool
        if visible == nil { problems.append(.init("visible", "required: true or false")) }
        var within: [Int64]?
        if let value = body["catalog_id"] {
            if let d = value.double, d == d.rounded(), d >= 1, d < 9e15 { within = [Int64(d)] } else { problems.append(.init("catalog_id", "a catalog id")) }
        }
        var selector: ProductSelector = .all
        if given.count == 1 {
            switch given[0] {
            case "skus":
                if let list = body["skus"]?.array, !list.isEmpty, list.count <= 10_000 {
                    var skus: [String] = []
                    for (i, item) in list.enumerated() {
                        if let s = item.string, StockValidator.isSKU(s) { skus.append(s) } else { problems.append(.init("skus[\(i)]", "a SKU")) }
                    }
                    selector = .skus(skus)
                } else { problems.append(.init("skus", "a non-empty list of SKUs")) }
            case "category":
                if let c = body["category"]?.string, (1...StockValidator.maximumCategory).contains(c.count) { selector = .category(c) } else {
                    problems.append(.init("category", "a category name"))
                }
            case "out_of_stock":
                if body["out_of_stock"]?.bool == true { selector = .outOfStock } else { problems.append(.init("out_of_stock", "must be true")) }
            case "catalogs":
                selector = .catalogs(ids(body["catalogs"]!, field: "catalogs", problems: &problems))
            default:
                if body["all"]?.bool != true { problems.append(.init("all", "must be true")) }
            }
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        if let within { _ = try await store.catalog(within[0]) }
        let picked = try await store.selectProducts(selector, within: within)
        if case .skus(let skus) = selector {
            let found = Set(picked.map(\.sku))
            let unknown = skus.enumerated().filter { !found.contains($0.element) }.map { APIError.Field("skus[\($0.offset)]", "no product \($0.element)") }
            if !unknown.isEmpty { throw APIError.validation(unknown) }
        }
        let catalogs = Set(picked.map(\.catalog))
        let targets = try await store.displays().filter { catalogs.contains($0.catalog_id) }
        let change = VisibilityChange(selector: selector, visible: visible ?? true, catalogs: within)
        return JobSpec(kind: .product_visibility, request: JobsAPI.canonical(body), content: change.json.serialized(),
                       targets: targets.map { ($0.bot, $0.channel_id) }, displayIDs: targets.map(\.id))
    }

    /// `{"displays": [ids]}`, `{"catalogs": [ids]}`, `{"bot": name}` or `{"all": true}`: exactly one.
    package static func refreshSpec(_ body: [String: JSON], store: SupervisorStore) async throws -> JobSpec {
        let selectors = ["displays", "catalogs", "bot", "all"]
        var problems: [APIError.Field] = []
        for key in body.keys.sorted() where !selectors.contains(key) {
            problems.append(.init(key, "unknown field; known: \(selectors.joined(separator: ", "))"))
        }
        let given = selectors.filter { body[$0] != nil }
        if given.count != 1 { problems.append(.init("displays", "give exactly one of displays, catalogs, bot or all")) }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let all = try await store.displays()
        var targets: [Display] = []
        switch given[0] {
        case "displays":
            let wanted = ids(body["displays"]!, field: "displays", problems: &problems)
            let byID = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })
            for (i, id) in wanted.enumerated() {
                if let d = byID[id] { targets.append(d) } else { problems.append(.init("displays[\(i)]", "no display \(id)")) }
            }
        case "catalogs":
            let wanted = Set(ids(body["catalogs"]!, field: "catalogs", problems: &problems))
            targets = all.filter { wanted.contains($0.catalog_id) }
        case "bot":
            guard let bot = body["bot"]?.string else { throw APIError.validation([.init("bot", "a bot name")]) }
            targets = all.filter { $0.bot == bot }
        default:
            if body["all"]?.bool != true { problems.append(.init("all", "must be true")) }
            targets = all
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        return JobSpec(kind: .display_refresh, request: JobsAPI.canonical(body), targets: targets.map { ($0.bot, $0.channel_id) },
                       displayIDs: targets.map(\.id))
    }
}
