import IPC

/// One product as `botvisorctl stock list` shows it.
public struct StockLine: Codable, Sendable, Equatable {
    public var catalog_id: Int64
    public var sku: String
    public var name: String
    /// nil: unlimited.
    public var quantity: Int64?
    public var visible: Bool
    public var category: String?
    public init(catalog_id: Int64, sku: String, name: String, quantity: Int64?, visible: Bool, category: String?) {
        self.catalog_id = catalog_id
        self.sku = sku
        self.name = name
        self.quantity = quantity
        self.visible = visible
        self.category = category
    }
}

/// One stock display as `botvisorctl display list` shows it.
public struct DisplayLine: Codable, Sendable, Equatable {
    public var id: Int64
    public var bot: String
    public var channel_id: String
    public var catalog_id: Int64
    public var state: String
    public var error_code: String?
    public var error_message: String?
    public var message_ids: [String]
    public init(id: Int64, bot: String, channel_id: String, catalog_id: Int64, state: String, error_code: String?, error_message: String?,
                message_ids: [String]) {
        self.id = id
        self.bot = bot
        self.channel_id = channel_id
        self.catalog_id = catalog_id
        self.state = state
        self.error_code = error_code
        self.error_message = error_message
        self.message_ids = message_ids
    }
}

/// The tables `stock list` and `display list` print.
public enum StockTable {
    public static func render(_ lines: [StockLine]) -> String {
        var rows = [["CATALOG", "SKU", "NAME", "QTY", "VISIBLE", "CATEGORY"]]
        for l in lines {
            rows.append([String(l.catalog_id), l.sku, l.name, l.quantity.map(String.init) ?? "unlimited", l.visible ? "yes" : "no", l.category ?? "-"])
        }
        return table(rows)
    }

    public static func render(_ displays: [DisplayLine]) -> String {
        var rows = [["ID", "BOT", "CHANNEL", "CATALOG", "STATE", "MESSAGES", "ERROR"]]
        for d in displays {
            let error = d.error_code.map { "\($0) \(d.error_message ?? "")" } ?? "-"
            rows.append([String(d.id), d.bot, d.channel_id, String(d.catalog_id), d.state, d.message_ids.isEmpty ? "-" : d.message_ids.joined(separator: ","), error])
        }
        return table(rows)
    }

    static func table(_ rows: [[String]]) -> String {
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
