import Fleet
import JSON

/// The one validation of catalogs, products, displays and stock lines, for the API and the control
/// socket alike. Every failing field is reported at once (as `BotConfigValidator` does for bots), and
/// the limits are chosen so that any valid product renders within Discord's embed limits: a product
/// is one embed field, its name at most 256 characters with the emoji, its value at most 1024.
public enum StockValidator {
    public static let catalogFields: Set<String> = ["name", "currency"]
    public static let productFields: Set<String> = ["sku", "name", "description", "price", "currency", "quantity", "category", "emoji",
                                                    "sort_order", "visible"]
    public static let displayFields: Set<String> = ["bot", "channel_id", "catalog_id", "title", "color", "out_of_stock", "show_prices",
                                                    "group_by_category"]
    public static let maximumName = 200
    public static let maximumDescription = 800
    public static let maximumEmoji = 40
    public static let maximumCategory = 100
    public static let maximumQuantity: Int64 = 1_000_000_000
    public static let maximumPrice: Int64 = 1_000_000_000_000

    typealias Fail = (String, String) -> Void

    static func unknown(_ object: [String: JSON], _ known: Set<String>, _ fail: Fail) {
        for key in object.keys.sorted() where !known.contains(key) {
            fail(key, "unknown field; known: \(known.sorted().joined(separator: ", "))")
        }
    }

    /// `[A-Za-z0-9._-]`, 1-64 characters.
    public static func isSKU(_ s: String) -> Bool {
        (1...64).contains(s.utf8.count) && s.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 45
        }
    }

    static func isCurrency(_ s: String) -> Bool { s.utf8.count == 3 && s.utf8.allSatisfy { $0 >= 65 && $0 <= 90 } }

    /// Text of `range` characters without control characters.
    static func text(_ value: JSON, _ range: ClosedRange<Int>) -> String? {
        guard let s = value.string, range.contains(s.count), !s.unicodeScalars.contains(where: { $0.value < 32 && $0 != "\n" }) else { return nil }
        return s
    }

    /// A JSON integer (no fraction) within `range`.
    static func integer(_ value: JSON, _ range: ClosedRange<Int64>) -> Int64? {
        guard let d = value.double, d == d.rounded(), d >= Double(range.lowerBound), d <= Double(range.upperBound) else { return nil }
        return Int64(d)
    }

    public static func catalog(_ object: [String: JSON], onto base: Catalog, creating: Bool) throws(StockError) -> Catalog {
        var problems: [StockError.Field] = []
        func fail(_ f: String, _ m: String) { problems.append(.init(f, m)) }
        unknown(object, catalogFields, fail)
        var c = base
        if let v = object["name"] {
            if let s = text(v, 1...100) { c.name = s } else { fail("name", "1-100 characters") }
        } else if creating { fail("name", "required") }
        if let v = object["currency"] {
            if let s = v.string, isCurrency(s) { c.currency = s } else { fail("currency", "an ISO 4217 code: three capital letters") }
        }
        if !problems.isEmpty { throw .validation(problems) }
        return c
    }

    /// Applies a product's fields; `path` prefixes field names (`items[3].`) in bulk requests.
    public static func product(_ object: [String: JSON], onto base: Product, creating: Bool, path: String = "") throws(StockError) -> Product {
        var problems: [StockError.Field] = []
        func fail(_ f: String, _ m: String) { problems.append(.init(path + f, m)) }
        unknown(object, productFields, fail)
        var p = base
        if let v = object["sku"] {
            if let s = v.string, isSKU(s) {
                if !creating && s != base.sku { fail("sku", "a SKU cannot be changed; create a new product") }
                p.sku = s
            } else { fail("sku", "1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'") }
        } else if creating { fail("sku", "required") }
        if let v = object["name"] {
            if let s = text(v, 1...maximumName) { p.name = s } else { fail("name", "1-\(maximumName) characters") }
        } else if creating { fail("name", "required") }
        if let v = object["description"] {
            if v.isNull { p.description = "" } else if let s = text(v, 0...maximumDescription) { p.description = s } else {
                fail("description", "at most \(maximumDescription) characters")
            }
        }
        if let v = object["price"] {
            if let n = integer(v, 0...maximumPrice) { p.price = n } else { fail("price", "an integer in minor units (cents), 0 to \(maximumPrice)") }
        }
        if let v = object["currency"] {
            if let s = v.string, isCurrency(s) { p.currency = s } else { fail("currency", "an ISO 4217 code: three capital letters") }
        }
        if let v = object["quantity"] {
            if v.isNull { p.quantity = nil } else if let n = integer(v, 0...maximumQuantity) { p.quantity = n } else {
                fail("quantity", "an integer from 0 to \(maximumQuantity), or null for unlimited")
            }
        }
        if let v = object["category"] {
            if v.isNull { p.category = nil } else if let s = text(v, 1...maximumCategory) { p.category = s } else {
                fail("category", "1-\(maximumCategory) characters, or null")
            }
        }
        if let v = object["emoji"] {
            if v.isNull { p.emoji = nil } else if let s = text(v, 1...maximumEmoji), !s.contains("\n") { p.emoji = s } else {
                fail("emoji", "1-\(maximumEmoji) characters (a Unicode emoji or <:name:id>), or null")
            }
        }
        if let v = object["sort_order"] {
            if let n = integer(v, -1_000_000_000...1_000_000_000) { p.sort_order = n } else { fail("sort_order", "an integer from -1000000000 to 1000000000") }
        }
        if let v = object["visible"] {
            if let b = v.bool { p.visible = b } else { fail("visible", "true or false") }
        }
        if !problems.isEmpty { throw .validation(problems) }
        return p
    }

    /// Applies a display's fields; `bots` are the names that exist (a display needs a real bot).
    public static func display(_ object: [String: JSON], onto base: Display, creating: Bool, bots: Set<String>) throws(StockError) -> Display {
        var problems: [StockError.Field] = []
        func fail(_ f: String, _ m: String) { problems.append(.init(f, m)) }
        unknown(object, displayFields, fail)
        var d = base
        if let v = object["bot"] {
            if let s = v.string, bots.contains(s) { d.bot = s } else { fail("bot", "the name of an existing bot") }
        } else if creating { fail("bot", "required") }
        if let v = object["channel_id"] {
            if let s = v.string, BotConfigValidator.isSnowflake(s) { d.channel_id = s } else { fail("channel_id", "a channel id: a string of 1-20 digits") }
        } else if creating { fail("channel_id", "required") }
        if let v = object["catalog_id"] {
            if let n = integer(v, 1...Int64.max / 2) { d.catalog_id = n } else { fail("catalog_id", "the id of an existing catalog") }
        } else if creating { fail("catalog_id", "required") }
        if let v = object["title"] {
            if v.isNull { d.title = nil } else if let s = text(v, 1...200) { d.title = s } else { fail("title", "1-200 characters, or null for the catalog's name") }
        }
        if let v = object["color"] {
            if v.isNull { d.color = nil } else if let n = integer(v, 0...0xFFFFFF) { d.color = n } else { fail("color", "an integer 0xRRGGBB (0 to 16777215), or null") }
        }
        if let v = object["out_of_stock"] {
            if let s = v.string, let m = OutOfStockMode(rawValue: s) { d.out_of_stock = m } else { fail("out_of_stock", "sold_out or hide") }
        }
        if let v = object["show_prices"] {
            if let b = v.bool { d.show_prices = b } else { fail("show_prices", "true or false") }
        }
        if let v = object["group_by_category"] {
            if let b = v.bool { d.group_by_category = b } else { fail("group_by_category", "true or false") }
        }
        if !problems.isEmpty { throw .validation(problems) }
        return d
    }

    /// `{"items": [{"sku", "quantity"}]}` for an inventory sync: at most 10,000 lines, each SKU once.
    public static func stockLines(_ object: [String: JSON]) throws(StockError) -> [(sku: String, quantity: Int64?)] {
        var problems: [StockError.Field] = []
        func fail(_ f: String, _ m: String) { problems.append(.init(f, m)) }
        unknown(object, ["items"], fail)
        var lines: [(String, Int64?)] = []
        if let items = object["items"]?.array, !items.isEmpty, items.count <= 10_000 {
            var seen: Set<String> = []
            for (i, item) in items.enumerated() {
                guard let o = item.object else { fail("items[\(i)]", "an object {sku, quantity}"); continue }
                unknown(o, ["sku", "quantity"], { fail("items[\(i)].\($0)", $1) })
                let sku = o["sku"]?.string
                if sku.map(isSKU) != true { fail("items[\(i)].sku", "required: a SKU") }
                else if !seen.insert(sku!).inserted { fail("items[\(i)].sku", "\(sku!) appears twice") }
                var quantity: Int64?
                if let v = o["quantity"] {
                    if v.isNull { quantity = nil } else if let n = integer(v, 0...maximumQuantity) { quantity = n } else {
                        fail("items[\(i)].quantity", "an integer from 0 to \(maximumQuantity), or null for unlimited")
                    }
                } else { fail("items[\(i)].quantity", "required: an integer, or null for unlimited") }
                if let sku { lines.append((sku, quantity)) }
            }
        } else {
            fail("items", "required: a list of 1-10000 {sku, quantity}")
        }
        if !problems.isEmpty { throw .validation(problems) }
        return lines
    }
}
