import Control
import Fleet
import IPC
import JSON
import Operations
import Store

/// `botvisorctl stock ...` and `display ...`: the same store calls and events as the HTTP API.
extension Daemon {
    func handleStock(_ request: ControlRequest, store: SupervisorStore, fleet: Fleet) async throws -> ControlReply {
        do {
            switch request.command {
            case .stockList:
                return ControlReply(ok: true, stock: try await lines(store: store, catalog: request.catalog))
            case .stockShow, .stockHide:
                let skus = request.skus ?? []
                let within = request.catalog.map { [$0] }
                if let catalog = request.catalog { _ = try await store.catalog(catalog) }
                let found = Set(try await store.selectProducts(.skus(skus), within: within).map(\.sku))
                let missing = skus.filter { !found.contains($0) }
                guard missing.isEmpty else {
                    return .failure(.productNotFound, "no product \(missing.joined(separator: ", "))" + (request.catalog.map { " in catalog \($0)" } ?? ""))
                }
                let changed = try await store.setVisibility(.skus(skus), visible: request.command == .stockShow, within: within)
                for (catalog, changedSKUs) in changed.sorted(by: { $0.key < $1.key }) {
                    fleet.events.publish(.stockChanged(catalog: catalog, skus: changedSKUs))
                }
                let shown = try await lines(store: store, catalog: request.catalog).filter { skus.contains($0.sku) }
                return ControlReply(ok: true, message: "\(changed.values.map(\.count).reduce(0, +)) product(s) changed", stock: shown)
            case .stockSet:
                let sku = request.skus?.first ?? ""
                let matches = try await store.selectProducts(.skus([sku]), within: request.catalog.map { [$0] })
                guard let catalog = matches.first?.catalog else { return .failure(.productNotFound, "no product \(sku)") }
                guard matches.count == 1 else {
                    return .failure(.validationFailed, "\(sku) is in catalogs \(matches.map { String($0.catalog) }.joined(separator: ", ")); name one with --catalog")
                }
                let quantity: JSON = request.unlimited == true ? .null : .number(Double(request.quantity ?? -1))
                let (product, changed) = try await store.updateProduct(catalog: catalog, sku: sku, ["quantity": quantity], ifMatch: nil)
                if changed { fleet.events.publish(.stockChanged(catalog: catalog, skus: [sku])) }
                return ControlReply(ok: true, message: "\(sku): \(product.quantity.map(String.init) ?? "unlimited")",
                                    stock: [StockLine(catalog_id: product.catalog_id, sku: product.sku, name: product.name, quantity: product.quantity,
                                                      visible: product.visible, category: product.category)])
            case .displayList:
                return ControlReply(ok: true, displays: try await store.displays().map(Self.line))
            case .displayRefresh:
                guard let engine = displays else { return .failure(.notReady, "botvisord is starting") }
                let ids = request.all == true ? try await store.displays().map(\.id) : (request.displays ?? [])
                var results: [ControlReply.BotResult] = []
                for id in ids {
                    _ = try await store.display(id)
                    switch await engine.refresh(id) {
                    case .ok: results.append(.init(name: "display \(id)", ok: true))
                    case .failed(let code, let message): results.append(.init(name: "display \(id)", ok: false, error: .init(code: code, message: message)))
                    }
                }
                let shown = try await store.displays().filter { ids.contains($0.id) }.map(Self.line)
                return ControlReply(ok: results.allSatisfy(\.ok), results: results, displays: shown)
            default:
                return .failure(.unknownCommand, "not a stock command")
            }
        } catch let error as StockError {
            var reply = ControlReply.failure(error.code, error.message)
            if !error.fields.isEmpty { reply.error?.fields = error.fields }
            return reply
        }
    }

    private func lines(store: SupervisorStore, catalog: Int64?) async throws -> [StockLine] {
        let catalogs: [Catalog]
        if let catalog { catalogs = [try await store.catalog(catalog)] } else { catalogs = try await store.catalogs() }
        var out: [StockLine] = []
        for c in catalogs {
            for p in try await store.products(catalog: c.id) {
                out.append(StockLine(catalog_id: c.id, sku: p.sku, name: p.name, quantity: p.quantity, visible: p.visible, category: p.category))
            }
        }
        return out
    }

    static func line(_ d: Display) -> DisplayLine {
        DisplayLine(id: d.id, bot: d.bot, channel_id: d.channel_id, catalog_id: d.catalog_id, state: d.state.rawValue, error_code: d.error?.code.rawValue,
                    error_message: d.error?.message, message_ids: d.message_ids)
    }
}
