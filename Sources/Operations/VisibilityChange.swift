import JSON
import Store

/// What a bulk visibility job changes, as kept in the job's content (so an interrupted job applies the same change):
/// `{"selector": {"skus": [...]} | {"category": "..."} | {"out_of_stock": true} | {"catalogs": [...]} | {"all": true},
///   "visible": false, "within": [catalog ids]?}`.
package struct VisibilityChange: Sendable, Equatable {
    package var selector: ProductSelector
    package var visible: Bool
    /// Limits the selector to these catalogs (`catalog_id` in the request).
    package var catalogs: [Int64]?

    package init(selector: ProductSelector, visible: Bool, catalogs: [Int64]?) {
        self.selector = selector
        self.visible = visible
        self.catalogs = catalogs
    }

    package init?(json text: String) {
        guard let o = try? JSON.parse(text), let visible = o["visible"]?.bool, let s = o["selector"] else { return nil }
        self.visible = visible
        catalogs = o["within"]?.array?.compactMap { $0.double.map { Int64($0) } }
        if let skus = s["skus"]?.array { selector = .skus(skus.compactMap(\.string)) }
        else if let category = s["category"]?.string { selector = .category(category) }
        else if s["out_of_stock"]?.bool == true { selector = .outOfStock }
        else if let ids = s["catalogs"]?.array { selector = .catalogs(ids.compactMap { $0.double.map { Int64($0) } }) }
        else if s["all"]?.bool == true { selector = .all }
        else { return nil }
    }

    package var json: JSON {
        let s: JSON = switch selector {
        case .skus(let skus): ["skus": .array(skus.map { .string($0) })]
        case .category(let c): ["category": .string(c)]
        case .outOfStock: ["out_of_stock": true]
        case .catalogs(let ids): ["catalogs": .array(ids.map { .number(Double($0)) })]
        case .all: ["all": true]
        }
        var o: [String: JSON] = ["selector": s, "visible": .bool(visible)]
        if let catalogs { o["within"] = .array(catalogs.map { .number(Double($0)) }) }
        return .object(o)
    }
}
