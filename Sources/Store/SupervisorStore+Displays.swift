import Fleet
import IPC
import JSON
import Storage

/// Stock displays in SQLite: which messages show them, their state, and the snapshots the display engine renders.
extension SupervisorStore {
    // MARK: Displays

    package func displays(catalog: Int64? = nil, bot: String? = nil) async throws -> [Display] {
        try await queue.read { db in
            var sql = "SELECT * FROM stock_displays"
            var values: [DatabaseValue] = []
            var clauses: [String] = []
            if let catalog { clauses.append("catalog_id = ?"); values.append(catalog.databaseValue) }
            if let bot { clauses.append("bot = ?"); values.append(bot.databaseValue) }
            if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
            return try db.query(sql + " ORDER BY id", Bindings(values)).map { try Self.display($0, db: db) }
        }
    }

    package func display(_ id: Int64) async throws -> Display {
        try await queue.read { db in try Self.display(id, db: db) }
    }

    static func display(_ id: Int64, db: Database) throws -> Display {
        guard let row = try db.first("SELECT * FROM stock_displays WHERE id = ?", [id]) else {
            throw StockError(.displayNotFound, "no display \(id)")
        }
        return try display(row, db: db)
    }

    package func createDisplay(_ object: [String: JSON], bots: Set<String>) async throws -> Display {
        try await queue.write { db in
            let now = nowMilliseconds()
            let base = Display(id: 0, bot: "", channel_id: "", catalog_id: 0, title: nil, color: nil, out_of_stock: .sold_out, show_prices: true,
                               group_by_category: false, state: .pending, error: nil, message_ids: [], version: 1, created_at: now,
                               updated_at: now, synced_at: nil)
            let d = try StockValidator.display(object, onto: base, creating: true, bots: bots)
            guard try db.first("SELECT 1 FROM catalogs WHERE id = ?", [d.catalog_id]) != nil else {
                throw StockError.validation([.init("catalog_id", "no catalog \(d.catalog_id)")])
            }
            try db.execute("""
                INSERT INTO stock_displays (bot, channel_id, catalog_id, title, color, out_of_stock, show_prices, group_by_category,
                                            state, version, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 1, ?, ?)
                """, [d.bot, d.channel_id, d.catalog_id, d.title, d.color, d.out_of_stock.rawValue, d.show_prices, d.group_by_category, now, now])
            return try Self.display(db.lastInsertRowID, db: db)
        }
    }

    /// Applies a PATCH. A new bot or channel starts the display afresh (its old messages are returned
    /// for the caller to remove); any change clears `broken` so the next sync tries again.
    package func updateDisplay(_ id: Int64, _ object: [String: JSON], ifMatch: Int64?, bots: Set<String>) async throws -> (Display, moved: Display?) {
        try await queue.write { db in
            let old = try Self.display(id, db: db)
            try Self.check(ifMatch, against: old.version, what: "display \(id)")
            let d = try StockValidator.display(object, onto: old, creating: false, bots: bots)
            guard d != old else { return (old, nil) }
            if d.catalog_id != old.catalog_id, try db.first("SELECT 1 FROM catalogs WHERE id = ?", [d.catalog_id]) == nil {
                throw StockError.validation([.init("catalog_id", "no catalog \(d.catalog_id)")])
            }
            let moved = d.bot != old.bot || d.channel_id != old.channel_id
            if moved { try db.execute("DELETE FROM stock_display_messages WHERE display_id = ?", [id]) }
            try db.execute("""
                UPDATE stock_displays SET bot = ?, channel_id = ?, catalog_id = ?, title = ?, color = ?, out_of_stock = ?, show_prices = ?,
                    group_by_category = ?, state = CASE state WHEN 'broken' THEN 'pending' ELSE state END, error_code = NULL, error_message = NULL,
                    version = version + 1, updated_at = ?
                WHERE id = ?
                """, [d.bot, d.channel_id, d.catalog_id, d.title, d.color, d.out_of_stock.rawValue, d.show_prices, d.group_by_category,
                      nowMilliseconds(), id])
            return (try Self.display(id, db: db), moved ? old : nil)
        }
    }

    package func deleteDisplay(_ id: Int64) async throws -> Display {
        try await queue.write { db in
            let old = try Self.display(id, db: db)
            try db.execute("DELETE FROM stock_displays WHERE id = ?", [id])
            return old
        }
    }

    package func displayMessages(_ id: Int64) async throws -> [DisplayMessage] {
        try await queue.read { db in
            try db.query("SELECT slot, message_id, rendered_hash FROM stock_display_messages WHERE display_id = ? ORDER BY slot", [id]).map {
                DisplayMessage(slot: try $0.decode(0), messageID: try $0.decode(1), renderedHash: try $0.decode(2))
            }
        }
    }

    /// Records what Discord holds after a sync: the messages (replacing the old list), the state and the error.
    /// A display deleted meanwhile stays deleted.
    package func saveDisplaySync(_ id: Int64, messages: [DisplayMessage], state: DisplayState, error: Display.Failure?) async throws {
        try await queue.write { db in
            guard try db.first("SELECT 1 FROM stock_displays WHERE id = ?", [id]) != nil else { return }
            try db.execute("DELETE FROM stock_display_messages WHERE display_id = ?", [id])
            let insert = try db.cachedStatement("INSERT INTO stock_display_messages (display_id, slot, message_id, rendered_hash) VALUES (?, ?, ?, ?)")
            for m in messages { try insert.execute([id, m.slot, m.messageID, m.renderedHash]) }
            try db.execute("""
                UPDATE stock_displays SET state = ?, error_code = ?, error_message = ?, synced_at = CASE WHEN ? = 'ok' THEN ? ELSE synced_at END
                WHERE id = ?
                """, [state.rawValue, error?.code.rawValue, error?.message, state.rawValue, nowMilliseconds(), id])
        }
    }
}

extension SupervisorStore {
    /// A refresh tries a broken display again.
    package func clearBroken(_ id: Int64) async throws {
        try await queue.write { db in
            try db.execute("UPDATE stock_displays SET state = 'pending', error_code = NULL, error_message = NULL WHERE id = ? AND state = 'broken'", [id])
        }
    }
}

extension SupervisorStore {
    /// Everything one sync of a display needs, in one read on the reader connection (it sees every commit,
    /// https://www.sqlite.org/wal.html, and never queues behind a write).
    package func displaySnapshot(_ id: Int64) async throws -> (display: Display, catalog: Catalog, products: [Product], messages: [DisplayMessage]) {
        try await reader.read { db in
            let display = try Self.display(id, db: db)
            let catalog = try Self.catalog(display.catalog_id, db: db)
            let products = try db.query("SELECT * FROM products WHERE catalog_id = ?", [display.catalog_id]).map(Self.product)
            let messages = try db.query("SELECT slot, message_id, rendered_hash FROM stock_display_messages WHERE display_id = ? ORDER BY slot", [id]).map {
                DisplayMessage(slot: try $0.decode(0), messageID: try $0.decode(1), renderedHash: try $0.decode(2))
            }
            return (display, catalog, products, messages)
        }
    }

    /// The catalogs a bot's displays show (each once, with its first display's options), for `/stock`.
    package func listingSnapshot(bot: String) async throws -> [(Catalog, Display, [Product])] {
        try await reader.read { db in
            var seen: Set<Int64> = []
            var out: [(Catalog, Display, [Product])] = []
            for row in try db.query("SELECT * FROM stock_displays WHERE bot = ? ORDER BY id", [bot]) {
                let display = try Self.display(row, db: db)
                guard seen.insert(display.catalog_id).inserted else { continue }
                let products = try db.query("SELECT * FROM products WHERE catalog_id = ? ORDER BY sort_order, name, sku", [display.catalog_id]).map(Self.product)
                out.append((try Self.catalog(display.catalog_id, db: db), display, products))
            }
            return out
        }
    }
}
