import Discord
import IPC
import JSON
import Store

/// Renders a stock display as Discord message bodies, pure: the same catalog always gives the same
/// bytes (keys sorted, no timestamps), so an unchanged rendering is recognised and never sent again.
///
/// Each product is one embed field. Discord's limits (docs/discord-protocol.md §3, "Embed limits"):
/// at most 25 fields per embed, 10 embeds per message, and 6,000 characters over all embeds of a
/// message. A display that does not fit continues in further messages; hiding products shrinks it back.
public enum DisplayRenderer {
    /// Characters per message we allow ourselves below Discord's 6,000 (titles and footers are counted too; the margin is for safety).
    public static let messageBudget = MessageLimits.embedTotal - 100
    public static let fieldsPerEmbed = MessageLimits.fields
    public static let embedsPerMessage = MessageLimits.embeds

    /// The products a display shows, in order: visible ones, sold-out ones only when the display shows them,
    /// by category (when grouped), then sort order and name.
    public static func shown(_ products: [Product], display: Display) -> [Product] {
        let visible = products.filter { $0.visible && (display.out_of_stock == .sold_out || $0.inStock) }
        return visible.sorted { a, b in
            if display.group_by_category, a.category != b.category {
                // Uncategorised products come last.
                switch (a.category, b.category) {
                case (nil, _): return false
                case (_, nil): return true
                case (let x?, let y?): return x < y
                }
            }
            if a.sort_order != b.sort_order { return a.sort_order < b.sort_order }
            if a.name != b.name { return a.name < b.name }
            return a.sku < b.sku
        }
    }

    /// `12.50 USD`: minor units in two decimals (currencies without a minor unit are shown the same way).
    public static func price(_ minor: Int64, _ currency: String) -> String {
        let whole = minor / 100
        let cents = minor % 100
        return "\(whole).\(cents < 10 ? "0" : "")\(cents) \(currency)"
    }

    public static func stockText(_ p: Product) -> String {
        guard let q = p.quantity else { return "In stock" }
        return q <= 0 ? "**Sold out**" : "\(q) left"
    }

    public static func fieldName(_ p: Product) -> String {
        let name = p.emoji.map { "\($0) \(p.name)" } ?? p.name
        return String(name.prefix(MessageLimits.fieldName))
    }

    public static func fieldValue(_ p: Product, showPrices: Bool) -> String {
        var line = showPrices ? "\(price(p.price, p.currency)) · \(stockText(p))" : stockText(p)
        if !p.description.isEmpty { line += "\n" + p.description }
        return String(line.prefix(MessageLimits.fieldValue))
    }

    /// The message bodies (`{"content":"","embeds":[...]}`), at least one.
    public static func render(_ display: Display, catalog: Catalog, products: [Product]) -> [JSON] {
        let shown = shown(products, display: display)
        let title = String((display.title ?? catalog.name).prefix(200))
        let color: JSON = display.color.map { .number(Double($0)) } ?? .null
        func embed(_ title: String?, fields: [JSON], description: String? = nil) -> [String: JSON] {
            var e: [String: JSON] = ["fields": .array(fields)]
            if let title { e["title"] = .string(title) }
            if let description { e["description"] = .string(description) }
            if color != .null { e["color"] = color }
            return e
        }
        guard !shown.isEmpty else {
            return [["content": "", "embeds": [.object(embed(title, fields: [], description: "Nothing for sale right now."))]]]
        }
        var messages: [[[String: JSON]]] = []
        var embeds: [[String: JSON]] = []  // the current message's finished embeds
        var current: (title: String?, fields: [JSON]) = (title, [])
        var used = title.count  // characters Discord counts in the current message
        var section: String?? = .none  // the category being listed (grouped displays)
        func closeEmbed() {
            if current.title != nil || !current.fields.isEmpty { embeds.append(embed(current.title, fields: current.fields)) }
            current = (nil, [])
        }
        func startMessage(title t: String) {
            closeEmbed()
            messages.append(embeds)
            embeds = []
            current = (t, [])
            used = t.count
        }
        for p in shown {
            let field: JSON = ["name": .string(fieldName(p)), "value": .string(fieldValue(p, showPrices: display.show_prices)), "inline": false]
            let cost = fieldName(p).count + fieldValue(p, showPrices: display.show_prices).count
            var header: String?
            if display.group_by_category, section != .some(p.category) {
                section = .some(p.category)
                header = p.category ?? "Other"
            }
            // A continued message repeats the category (grouped) or the title, so each message reads on its own.
            let continued = display.group_by_category ? (section.flatMap { $0 } ?? "Other") : "\(title) (continued)"
            if let header {
                // Each category is an embed of its own, headed by its name.
                if embeds.count + 2 > embedsPerMessage || used + header.count + cost > messageBudget {
                    startMessage(title: header)
                } else {
                    closeEmbed()
                    current = (header, [])
                    used += header.count
                }
            } else if current.fields.count >= fieldsPerEmbed {
                if embeds.count + 2 > embedsPerMessage || used + cost > messageBudget {
                    startMessage(title: continued)
                } else {
                    closeEmbed()
                }
            } else if used + cost > messageBudget {
                startMessage(title: continued)
            }
            current.fields.append(field)
            used += cost
        }
        closeEmbed()
        messages.append(embeds)
        return messages.map { ["content": "", "embeds": .array($0.map { .object($0) })] }
    }

    /// The listing for `/stock`: what every display of the bot shows, deduplicated by catalog.
    public static func listing(catalogs: [(Catalog, Display, [Product])]) -> StockListing {
        var items: [StockListing.Item] = []
        for (_, display, products) in catalogs {
            for p in shown(products, display: display) {
                items.append(.init(title: fieldName(p), detail: fieldValue(p, showPrices: display.show_prices), category: p.category))
            }
        }
        return StockListing(title: catalogs.map { $0.1.title ?? $0.0.name }.joined(separator: ", "), items: items)
    }

    /// FNV-1a over the body's bytes, in hex: what the store keeps to tell an unchanged rendering.
    public static func hash(_ body: JSON) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body.serialized().utf8 {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01b3
        }
        return String(h, radix: 16)
    }
}
