import Auth
import HTTP
import JSON

/// The stock routes' audit actions. Targets name what changed: a catalog by its id (`3`), a product by
/// catalog and SKU (`3/TEA-1`), a display by its id; a creation takes its target from `Location`.
extension AuditRoutes {
    /// `catalog.*`, `product.*` and `stock.set` for a change under `/api/v1/catalogs` (`rest` starts there).
    static func catalogEvent(_ method: HTTPMethod, _ rest: [String], outcome: AuditOutcome, location: String?, body: [UInt8]) -> Event? {
        let created = location.map { path in path.split(separator: "/").dropFirst(3).joined(separator: "/") }
        switch (method, rest.count) {
        case (.post, 1): return Event(action: .catalog("create"), target: created, outcome: outcome)
        case (.patch, 2): return Event(action: .catalog("update"), target: rest[1], outcome: outcome)
        case (.delete, 2): return Event(action: .catalog("delete"), target: rest[1], outcome: outcome)
        case (.put, 3) where rest[2] == "stock": return Event(action: .stockSet, target: rest[1], outcome: outcome)
        case (.post, 3) where rest[2] == "products":
            let sku = (try? JSON.parse(body))?["sku"]?.string
            return Event(action: .product("create"), target: created.map(productTarget) ?? sku.map { "\(rest[1])/\($0)" } ?? rest[1],
                         outcome: outcome)
        case (.patch, 4) where rest[2] == "products":
            return Event(action: productChange(body), target: "\(rest[1])/\(rest[3])", outcome: outcome)
        case (.delete, 4) where rest[2] == "products":
            return Event(action: .product("delete"), target: "\(rest[1])/\(rest[3])", outcome: outcome)
        default: return nil
        }
    }

    /// `display.*` for a change under `/api/v1/displays`.
    static func displayEvent(_ method: HTTPMethod, _ rest: [String], outcome: AuditOutcome, location: String?) -> Event? {
        switch (method, rest.count) {
        case (.post, 1): return Event(action: .display("create"), target: location.map(lastSegment), outcome: outcome)
        case (.patch, 2): return Event(action: .display("update"), target: rest[1], outcome: outcome)
        case (.delete, 2): return Event(action: .display("delete"), target: rest[1], outcome: outcome)
        case (.post, 3) where rest[2] == "refresh": return Event(action: .display("refresh"), target: rest[1], outcome: outcome)
        default: return nil
        }
    }

    /// A product PATCH that changes only `visible` is `product.show` or `product.hide`, only `quantity` is
    /// `stock.set`: what staff do many times a day reads as such. Anything else is `product.update`.
    static func productChange(_ body: [UInt8]) -> AuditAction {
        guard let object = (try? JSON.parse(body))?.object else { return .product("update") }
        if object.count == 1, let visible = object["visible"]?.bool { return .product(visible ? "show" : "hide") }
        if object.count == 1, object["quantity"] != nil { return .stockSet }
        return .product("update")
    }

    /// `3/products/TEA-1` (from a `Location` below `/api/v1/catalogs/`) -> `3/TEA-1`.
    static func productTarget(_ path: String) -> String {
        let parts = path.split(separator: "/")
        return parts.count == 3 && parts[1] == "products" ? "\(parts[0])/\(parts[2])" : path
    }
}
