import Fleet
import IPC
import JSON
import Storage

/// Catalogs, products, stock displays and their Discord messages in SQLite (migration 10).
extension SupervisorStore {
    package static let stockSchema = """
        -- A shop. version is bumped by every change (If-Match).
        CREATE TABLE catalogs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            currency TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        -- quantity NULL is unlimited; price is in minor units of currency.
        CREATE TABLE products (
            catalog_id INTEGER NOT NULL REFERENCES catalogs(id) ON DELETE CASCADE,
            sku TEXT NOT NULL,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            price INTEGER NOT NULL DEFAULT 0,
            currency TEXT NOT NULL,
            quantity INTEGER,
            category TEXT,
            emoji TEXT,
            sort_order INTEGER NOT NULL DEFAULT 0,
            visible INTEGER NOT NULL DEFAULT 1,
            version INTEGER NOT NULL DEFAULT 1,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (catalog_id, sku)
        ) WITHOUT ROWID;
        CREATE INDEX products_category ON products (category);
        -- One bot, one channel, one catalog. state: pending, ok, broken (with Discord's error).
        CREATE TABLE stock_displays (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            bot TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            catalog_id INTEGER NOT NULL REFERENCES catalogs(id) ON DELETE CASCADE,
            title TEXT,
            color INTEGER,
            out_of_stock TEXT NOT NULL DEFAULT 'sold_out',
            show_prices INTEGER NOT NULL DEFAULT 1,
            group_by_category INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'pending',
            error_code TEXT,
            error_message TEXT,
            version INTEGER NOT NULL DEFAULT 1,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            synced_at INTEGER
        );
        CREATE INDEX stock_displays_catalog ON stock_displays (catalog_id);
        CREATE INDEX stock_displays_bot ON stock_displays (bot);
        -- The Discord messages a display occupies (slot 0, 1, ...) and a hash of what each holds: kept
        -- across worker and daemon restarts so the same messages are edited, and an unchanged one is not.
        CREATE TABLE stock_display_messages (
            display_id INTEGER NOT NULL REFERENCES stock_displays(id) ON DELETE CASCADE,
            slot INTEGER NOT NULL,
            message_id TEXT NOT NULL,
            rendered_hash TEXT NOT NULL,
            PRIMARY KEY (display_id, slot)
        ) WITHOUT ROWID;
        -- PUT /catalogs/{id}/stock under an Idempotency-Key: the same key answers the first response again.
        CREATE TABLE stock_syncs (
            idempotency_key TEXT PRIMARY KEY,
            catalog_id INTEGER NOT NULL,
            request TEXT NOT NULL,
            response TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        -- Bulk visibility and refresh jobs have one item per display.
        ALTER TABLE job_items ADD COLUMN display_id INTEGER;
        """

    // MARK: Decoding rows

    static func catalog(_ row: Row) throws -> Catalog {
        Catalog(id: try row.decode("id"), name: try row.decode("name"), currency: try row.decode("currency"), version: try row.decode("version"),
                created_at: try row.decode("created_at"), updated_at: try row.decode("updated_at"))
    }

    static func product(_ row: Row) throws -> Product {
        Product(catalog_id: try row.decode("catalog_id"), sku: try row.decode("sku"), name: try row.decode("name"),
                description: try row.decode("description"), price: try row.decode("price"), currency: try row.decode("currency"),
                quantity: try row.decode("quantity"), category: try row.decode("category"), emoji: try row.decode("emoji"),
                sort_order: try row.decode("sort_order"), visible: try row.decode("visible"), version: try row.decode("version"),
                updated_at: try row.decode("updated_at"))
    }

    static func display(_ row: Row, db: Database) throws -> Display {
        let id: Int64 = try row.decode("id")
        let code: String? = try row.decode("error_code")
        let ids = try db.query("SELECT message_id FROM stock_display_messages WHERE display_id = ? ORDER BY slot", [id])
            .map { try $0.decode(0, as: String.self) }
        return Display(id: id, bot: try row.decode("bot"), channel_id: try row.decode("channel_id"), catalog_id: try row.decode("catalog_id"),
                       title: try row.decode("title"), color: try row.decode("color"),
                       out_of_stock: OutOfStockMode(rawValue: try row.decode("out_of_stock")) ?? .sold_out,
                       show_prices: try row.decode("show_prices"), group_by_category: try row.decode("group_by_category"),
                       state: DisplayState(rawValue: try row.decode("state")) ?? .pending,
                       error: code.map { Display.Failure(code: ErrorCode($0), message: (try? row.decode("error_message", as: String?.self)) ?? nil ?? "") },
                       message_ids: ids, version: try row.decode("version"), created_at: try row.decode("created_at"),
                       updated_at: try row.decode("updated_at"), synced_at: try row.decode("synced_at"))
    }

    /// Throws 412's error when `ifMatch` is given and is not `current`.
    static func check(_ ifMatch: Int64?, against current: Int64, what: String) throws(StockError) {
        if let ifMatch, ifMatch != current {
            throw StockError(.versionMismatch, "\(what) is at version \(current), not \(ifMatch): someone changed it first; read it again",
                             currentVersion: current)
        }
    }

    // MARK: Catalogs

    package func catalogs() async throws -> [Catalog] {
        try await queue.read { db in try db.query("SELECT * FROM catalogs ORDER BY id").map(Self.catalog) }
    }

    package func catalog(_ id: Int64) async throws -> Catalog {
        try await queue.read { db in try Self.catalog(id, db: db) }
    }

    static func catalog(_ id: Int64, db: Database) throws -> Catalog {
        guard let row = try db.first("SELECT * FROM catalogs WHERE id = ?", [id]) else {
            throw StockError(.catalogNotFound, "no catalog \(id)")
        }
        return try catalog(row)
    }

    package func createCatalog(_ object: [String: JSON]) async throws -> Catalog {
        let now = nowMilliseconds()
        let c = try StockValidator.catalog(object, onto: Catalog(id: 0, name: "", currency: "USD", version: 1, created_at: now, updated_at: now),
                                           creating: true)
        return try await queue.write { db in
            try db.execute("INSERT INTO catalogs (name, currency, version, created_at, updated_at) VALUES (?, ?, 1, ?, ?)",
                           [c.name, c.currency, now, now])
            return try Self.catalog(db.lastInsertRowID, db: db)
        }
    }

    package func updateCatalog(_ id: Int64, _ object: [String: JSON], ifMatch: Int64?) async throws -> Catalog {
        try await queue.write { db in
            let old = try Self.catalog(id, db: db)
            try Self.check(ifMatch, against: old.version, what: "catalog \(id)")
            let c = try StockValidator.catalog(object, onto: old, creating: false)
            guard c != old else { return old }
            try db.execute("UPDATE catalogs SET name = ?, currency = ?, version = version + 1, updated_at = ? WHERE id = ?",
                           [c.name, c.currency, nowMilliseconds(), id])
            return try Self.catalog(id, db: db)
        }
    }

    /// Deletes the catalog with its products and displays; returns the displays it had (their messages are the caller's to remove).
    package func deleteCatalog(_ id: Int64) async throws -> [Display] {
        try await queue.write { db in
            _ = try Self.catalog(id, db: db)
            let displays = try db.query("SELECT * FROM stock_displays WHERE catalog_id = ?", [id]).map { try Self.display($0, db: db) }
            try db.execute("DELETE FROM catalogs WHERE id = ?", [id])
            return displays
        }
    }

    // MARK: Products

    /// A catalog's products in display order (sort order, then name).
    package func products(catalog: Int64) async throws -> [Product] {
        try await queue.read { db in
            _ = try Self.catalog(catalog, db: db)
            return try db.query("SELECT * FROM products WHERE catalog_id = ? ORDER BY sort_order, name, sku", [catalog]).map(Self.product)
        }
    }

    package func product(catalog: Int64, sku: String) async throws -> Product {
        try await queue.read { db in try Self.product(catalog: catalog, sku: sku, db: db) }
    }

    static func product(catalog: Int64, sku: String, db: Database) throws -> Product {
        _ = try Self.catalog(catalog, db: db)
        guard let row = try db.first("SELECT * FROM products WHERE catalog_id = ? AND sku = ?", [catalog, sku]) else {
            throw StockError(.productNotFound, "catalog \(catalog) has no product \(sku)")
        }
        return try product(row)
    }

    package func createProduct(catalog: Int64, _ object: [String: JSON]) async throws -> Product {
        try await queue.write { db in
            let c = try Self.catalog(catalog, db: db)
            let now = nowMilliseconds()
            let base = Product(catalog_id: catalog, sku: "", name: "", description: "", price: 0, currency: c.currency, quantity: nil,
                               category: nil, emoji: nil, sort_order: 0, visible: true, version: 1, updated_at: now)
            let p = try StockValidator.product(object, onto: base, creating: true)
            if try db.first("SELECT 1 FROM products WHERE catalog_id = ? AND sku = ?", [catalog, p.sku]) != nil {
                throw StockError(.productExists, "catalog \(catalog) already has a product \(p.sku)")
            }
            try Self.write(p, db: db)
            try db.execute("UPDATE catalogs SET version = version + 1, updated_at = ? WHERE id = ?", [now, catalog])
            return try Self.product(catalog: catalog, sku: p.sku, db: db)
        }
    }

    static func write(_ p: Product, db: Database) throws {
        try db.execute("""
            INSERT INTO products (catalog_id, sku, name, description, price, currency, quantity, category, emoji, sort_order, visible, version, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (catalog_id, sku) DO UPDATE SET name = excluded.name, description = excluded.description, price = excluded.price,
                currency = excluded.currency, quantity = excluded.quantity, category = excluded.category, emoji = excluded.emoji,
                sort_order = excluded.sort_order, visible = excluded.visible, version = excluded.version, updated_at = excluded.updated_at
            """, [p.catalog_id, p.sku, p.name, p.description, p.price, p.currency, p.quantity, p.category, p.emoji, p.sort_order, p.visible,
                  p.version, p.updated_at])
    }

    /// Applies a PATCH; returns the product and whether anything changed.
    package func updateProduct(catalog: Int64, sku: String, _ object: [String: JSON], ifMatch: Int64?) async throws -> (Product, changed: Bool) {
        try await queue.write { db in
            let old = try Self.product(catalog: catalog, sku: sku, db: db)
            try Self.check(ifMatch, against: old.version, what: "product \(sku)")
            var p = try StockValidator.product(object, onto: old, creating: false)
            guard p != old else { return (old, false) }
            p.version = old.version + 1
            p.updated_at = nowMilliseconds()
            try Self.write(p, db: db)
            return (p, true)
        }
    }

    package func deleteProduct(catalog: Int64, sku: String, ifMatch: Int64?) async throws {
        try await queue.write { db in
            let old = try Self.product(catalog: catalog, sku: sku, db: db)
            try Self.check(ifMatch, against: old.version, what: "product \(sku)")
            try db.execute("DELETE FROM products WHERE catalog_id = ? AND sku = ?", [catalog, sku])
        }
    }

    /// The answer to an inventory sync: how many lines changed a quantity, and which SKUs.
    package struct StockSyncResult: Codable, Sendable, Equatable {
        package var catalog_id: Int64
        package var updated: Int
        package var unchanged: Int
        package var changed_skus: [String]
        /// The same Idempotency-Key was seen before: this is the first answer again, nothing was applied.
        package var replayed: Bool
    }

    /// Sets many quantities in one transaction. Every SKU must exist (422 naming each one that does not,
    /// and nothing is applied). Under an idempotency key, a repeat of the same request returns the
    /// first answer and changes nothing; the same key with another request is refused.
    package func syncStock(catalog: Int64, lines: [(sku: String, quantity: Int64?)], idempotencyKey: String?, request: String) async throws -> StockSyncResult {
        try await queue.write { db in
            if let key = idempotencyKey, let row = try db.first("SELECT catalog_id, request, response FROM stock_syncs WHERE idempotency_key = ?", [key]) {
                guard try row.decode("request", as: String.self) == request, try row.decode("catalog_id", as: Int64.self) == catalog else {
                    throw StockError(.idempotencyKeyReused, "this Idempotency-Key was used for another request")
                }
                var result = try JSONValueDecoder().decode(StockSyncResult.self, from: Array(try row.decode("response", as: String.self).utf8))
                result.replayed = true
                return result
            }
            _ = try Self.catalog(catalog, db: db)
            var missing: [StockError.Field] = []
            var changed: [String] = []
            let now = nowMilliseconds()
            let read = try db.cachedStatement("SELECT quantity FROM products WHERE catalog_id = ? AND sku = ?")
            let update = try db.cachedStatement("UPDATE products SET quantity = ?, version = version + 1, updated_at = ? WHERE catalog_id = ? AND sku = ?")
            for (i, line) in lines.enumerated() {
                guard let row = try read.rows([catalog, line.sku]).first else {
                    missing.append(.init("items[\(i)].sku", "catalog \(catalog) has no product \(line.sku)"))
                    continue
                }
                guard try row.decode(0, as: Int64?.self) != line.quantity else { continue }
                try update.execute([line.quantity, now, catalog, line.sku])
                changed.append(line.sku)
            }
            if !missing.isEmpty { throw StockError.validation(missing) }
            let result = StockSyncResult(catalog_id: catalog, updated: changed.count, unchanged: lines.count - changed.count,
                                         changed_skus: changed, replayed: false)
            if let key = idempotencyKey {
                try db.execute("INSERT INTO stock_syncs (idempotency_key, catalog_id, request, response, created_at) VALUES (?, ?, ?, ?, ?)",
                               [key, catalog, request, String(decoding: try JSONValueEncoder().encodeBytes(result), as: UTF8.self), now])
            }
            return result
        }
    }

    /// The WHERE clause and values that select products.
    static func selection(_ selector: ProductSelector, within catalogs: [Int64]?) -> (String, [DatabaseValue]) {
        var clauses: [String] = ["1"]
        var values: [DatabaseValue] = []
        switch selector {
        case .skus(let skus):
            clauses.append("sku IN (\(skus.map { _ in "?" }.joined(separator: ",")))")
            values += skus.map(\.databaseValue)
        case .category(let category):
            clauses.append("category = ?")
            values.append(category.databaseValue)
        case .outOfStock:
            clauses.append("quantity IS NOT NULL AND quantity <= 0")
        case .catalogs(let ids):
            clauses.append("catalog_id IN (\(ids.map { _ in "?" }.joined(separator: ",")))")
            values += ids.map(\.databaseValue)
        case .all:
            break
        }
        if let catalogs {
            clauses.append("catalog_id IN (\(catalogs.map { _ in "?" }.joined(separator: ",")))")
            values += catalogs.map(\.databaseValue)
        }
        return (clauses.joined(separator: " AND "), values)
    }

    /// The (catalog, SKU) pairs a selector picks.
    package func selectProducts(_ selector: ProductSelector, within catalogs: [Int64]? = nil) async throws -> [(catalog: Int64, sku: String)] {
        try await queue.read { db in
            let (clause, values) = Self.selection(selector, within: catalogs)
            return try db.query("SELECT catalog_id, sku FROM products WHERE \(clause) ORDER BY catalog_id, sku", Bindings(values)).map {
                (try $0.decode(0, as: Int64.self), try $0.decode(1, as: String.self))
            }
        }
    }

    /// Sets `visible` on the selected products; returns the changed ones by catalog.
    package func setVisibility(_ selector: ProductSelector, visible: Bool, within catalogs: [Int64]? = nil) async throws -> [Int64: [String]] {
        try await queue.write { db in
            let (clause, values) = Self.selection(selector, within: catalogs)
            let rows = try db.query("SELECT catalog_id, sku FROM products WHERE visible != ? AND \(clause)", Bindings([visible.databaseValue] + values))
            var changed: [Int64: [String]] = [:]
            let update = try db.cachedStatement("UPDATE products SET visible = ?, version = version + 1, updated_at = ? WHERE catalog_id = ? AND sku = ?")
            let now = nowMilliseconds()
            for row in rows {
                let catalog: Int64 = try row.decode(0)
                let sku: String = try row.decode(1)
                try update.execute([visible, now, catalog, sku])
                changed[catalog, default: []].append(sku)
            }
            return changed
        }
    }
}
