import Fleet
import IPC

/// A shop: a named list of products that one or more stock displays show. Times are Unix milliseconds.
public struct Catalog: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    /// ISO 4217 code products default to.
    public var currency: String
    /// Bumped by every change; `If-Match` compares against it.
    public var version: Int64
    public var created_at: Int64
    public var updated_at: Int64
}

/// One product of a catalog. `quantity` nil means unlimited; `price` is in minor units of `currency`.
public struct Product: Sendable, Equatable {
    public var catalog_id: Int64
    public var sku: String
    public var name: String
    public var description: String
    public var price: Int64
    public var currency: String
    public var quantity: Int64?
    public var category: String?
    public var emoji: String?
    public var sort_order: Int64
    public var visible: Bool
    public var version: Int64
    public var updated_at: Int64

    /// Unlimited, or at least one left.
    public var inStock: Bool { quantity.map { $0 > 0 } ?? true }
}

extension Product: Codable {
    enum CodingKeys: String, CodingKey {
        case catalog_id, sku, name, description, price, currency, quantity, category, emoji, sort_order, visible, version, updated_at
    }
    /// Absent values are written as `null` (a null quantity means unlimited), so every key is always there.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(catalog_id, forKey: .catalog_id)
        try c.encode(sku, forKey: .sku)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(price, forKey: .price)
        try c.encode(currency, forKey: .currency)
        try c.encode(quantity, forKey: .quantity)
        try c.encode(category, forKey: .category)
        try c.encode(emoji, forKey: .emoji)
        try c.encode(sort_order, forKey: .sort_order)
        try c.encode(visible, forKey: .visible)
        try c.encode(version, forKey: .version)
        try c.encode(updated_at, forKey: .updated_at)
    }
}

/// How a display shows a product with nothing left.
public enum OutOfStockMode: String, Codable, Sendable, CaseIterable {
    case sold_out, hide
}

/// Where a display stands with Discord: `pending` until its first sync, `ok` when Discord shows its
/// current rendering, `broken` when Discord refused it for good (unknown channel, no access).
public enum DisplayState: String, Codable, Sendable, CaseIterable {
    case pending, ok, broken
}

/// One bot, one channel and one catalog, with how the catalog is shown.
public struct Display: Sendable, Equatable {
    public struct Failure: Codable, Sendable, Equatable {
        public var code: ErrorCode
        public var message: String
        public init(code: ErrorCode, message: String) {
            self.code = code
            self.message = message
        }
    }
    public var id: Int64
    public var bot: String
    public var channel_id: String
    public var catalog_id: Int64
    /// The embed title; nil shows the catalog's name.
    public var title: String?
    /// The embed colour (0xRRGGBB); nil leaves Discord's default.
    public var color: Int64?
    public var out_of_stock: OutOfStockMode
    public var show_prices: Bool
    public var group_by_category: Bool
    public var state: DisplayState
    public var error: Failure?
    /// The Discord messages the display occupies, in order.
    public var message_ids: [String]
    public var version: Int64
    public var created_at: Int64
    public var updated_at: Int64
    /// When Discord last confirmed the display's content.
    public var synced_at: Int64?
}

extension Display: Codable {
    enum CodingKeys: String, CodingKey {
        case id, bot, channel_id, catalog_id, title, color, out_of_stock, show_prices, group_by_category, state, error, message_ids,
             version, created_at, updated_at, synced_at
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(bot, forKey: .bot)
        try c.encode(channel_id, forKey: .channel_id)
        try c.encode(catalog_id, forKey: .catalog_id)
        try c.encode(title, forKey: .title)
        try c.encode(color, forKey: .color)
        try c.encode(out_of_stock, forKey: .out_of_stock)
        try c.encode(show_prices, forKey: .show_prices)
        try c.encode(group_by_category, forKey: .group_by_category)
        try c.encode(state, forKey: .state)
        try c.encode(error, forKey: .error)
        try c.encode(message_ids, forKey: .message_ids)
        try c.encode(version, forKey: .version)
        try c.encode(created_at, forKey: .created_at)
        try c.encode(updated_at, forKey: .updated_at)
        try c.encode(synced_at, forKey: .synced_at)
    }
}

/// One message slot of a display as last sent: its Discord id and a hash of the body Discord holds,
/// so an unchanged rendering is never sent again.
public struct DisplayMessage: Sendable, Equatable {
    public var slot: Int
    public var messageID: String
    public var renderedHash: String
    public init(slot: Int, messageID: String, renderedHash: String) {
        self.slot = slot
        self.messageID = messageID
        self.renderedHash = renderedHash
    }
}

/// Which products a bulk visibility change touches: exactly one selector.
public enum ProductSelector: Sendable, Equatable {
    case skus([String])
    case category(String)
    case outOfStock
    case catalogs([Int64])
    case all
}

/// Refusals of the stock layer, with the codes the API maps to statuses.
public struct StockError: Error, Sendable, Equatable, CustomStringConvertible {
    public typealias Field = BotConfigError.Field
    public enum Kind: Sendable, Equatable {
        case validation, catalogNotFound, productNotFound, displayNotFound, productExists, versionMismatch, idempotencyKeyReused
    }
    public var kind: Kind
    public var message: String
    public var fields: [Field]
    /// The current version, for a stale `If-Match`.
    public var currentVersion: Int64?

    public init(_ kind: Kind, _ message: String, fields: [Field] = [], currentVersion: Int64? = nil) {
        self.kind = kind
        self.message = message
        self.fields = fields
        self.currentVersion = currentVersion
    }

    public static func validation(_ fields: [Field]) -> StockError {
        StockError(.validation, fields.count == 1 ? "\(fields[0].field): \(fields[0].message)" : "\(fields.count) fields are invalid",
                   fields: fields)
    }

    public var code: ErrorCode {
        switch kind {
        case .validation: .validationFailed
        case .catalogNotFound: .catalogNotFound
        case .productNotFound: .productNotFound
        case .displayNotFound: .displayNotFound
        case .productExists: .productExists
        case .versionMismatch: .versionMismatch
        case .idempotencyKeyReused: .idempotencyKeyReused
        }
    }
    public var description: String { "\(code): \(message)" }
}
