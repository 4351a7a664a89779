import Discord
import JSON
import Testing
@testable import Operations
@testable import Store

/// The pure rendering of a display: Discord's embed limits, order, sold-out handling, stable bytes.
@Suite struct DisplayRendererTests {
    static let catalog = Catalog(id: 1, name: "Shop", currency: "USD", version: 1, created_at: 0, updated_at: 0)
    static func display(outOfStock: OutOfStockMode = .sold_out, grouped: Bool = false) -> Display {
        Display(id: 1, bot: "shop", channel_id: "1", catalog_id: 1, title: nil, color: 0x2ecc71, out_of_stock: outOfStock, show_prices: true,
                group_by_category: grouped, state: .pending, error: nil, message_ids: [], version: 1, created_at: 0, updated_at: 0, synced_at: nil)
    }
    static func product(_ i: Int, quantity: Int64? = 5, category: String? = nil, visible: Bool = true, description: String = "") -> Product {
        Product(catalog_id: 1, sku: "sku\(i)", name: "Product \(i)", description: description, price: Int64(100 * i + 5), currency: "USD",
                quantity: quantity, category: category, emoji: "📦", sort_order: Int64(i), visible: visible, version: 1, updated_at: 0)
    }

    /// Every message obeys Discord's limits, checked by the same validator the simulator uses.
    func checkLimits(_ messages: [JSON]) {
        for message in messages {
            #expect(MessageLimits.validate(message).isEmpty, "\(MessageLimits.validate(message))")
            let embeds = message["embeds"]?.array ?? []
            #expect(embeds.count <= 10)
            for embed in embeds { #expect((embed["fields"]?.array ?? []).count <= 25) }
        }
    }

    func names(_ messages: [JSON]) -> [String] {
        messages.flatMap { ($0["embeds"]?.array ?? []).flatMap { ($0["fields"]?.array ?? []).compactMap { $0["name"]?.string } } }
    }

    @Test(arguments: [false, true])
    func twoHundredProductsSplitOverSeveralMessagesWithinEveryLimitAndMergeBackWhenHidden(grouped: Bool) {
        let long = String(repeating: "Fresh and local. ", count: 40)  // 680 characters: a few products per message
        var products = (0..<200).map { Self.product($0, category: "c\($0 % 7)", description: long) }
        let messages = DisplayRenderer.render(Self.display(grouped: grouped), catalog: Self.catalog, products: products)
        #expect(messages.count > 3)
        checkLimits(messages)
        #expect(Set(names(messages)).count == 200 && names(messages).count == 200)
        for i in products.indices where i >= 5 { products[i].visible = false }
        let merged = DisplayRenderer.render(Self.display(grouped: grouped), catalog: Self.catalog, products: products)
        #expect(merged.count == 1)
        #expect(names(merged).count == 5)
    }

    @Test func shortProductsFillTwentyFiveFieldsPerEmbedAndTenEmbedsPerMessage() {
        let products = (0..<300).map { Self.product($0) }
        let messages = DisplayRenderer.render(Self.display(), catalog: Self.catalog, products: products)
        checkLimits(messages)
        #expect(names(messages).count == 300)
        #expect((messages[0]["embeds"]?.array?[0]["fields"]?.array?.count ?? 0) == 25)
    }

    @Test func soldOutProductsAreMarkedOrHiddenAndHiddenOnesNeverShow() {
        let products = [Self.product(1, quantity: 0), Self.product(2, quantity: nil), Self.product(3, visible: false)]
        let marked = DisplayRenderer.render(Self.display(), catalog: Self.catalog, products: products)
        #expect(names(marked) == ["📦 Product 1", "📦 Product 2"])
        #expect(marked[0].serialized().contains("Sold out") && marked[0].serialized().contains("In stock"))
        #expect(marked[0].serialized().contains("1.05 USD"))
        let hidden = DisplayRenderer.render(Self.display(outOfStock: .hide), catalog: Self.catalog, products: products)
        #expect(names(hidden) == ["📦 Product 2"])
        let empty = DisplayRenderer.render(Self.display(), catalog: Self.catalog, products: [])
        #expect(empty.count == 1 && empty[0].serialized().contains("Nothing for sale"))
    }

    @Test func theSameCatalogRendersToTheSameBytesAndAChangeToAnotherHash() {
        let products = (0..<40).map { Self.product($0) }
        let a = DisplayRenderer.render(Self.display(), catalog: Self.catalog, products: products)
        let b = DisplayRenderer.render(Self.display(), catalog: Self.catalog, products: products.reversed())
        #expect(a.map(DisplayRenderer.hash) == b.map(DisplayRenderer.hash))
        var changed = products
        changed[3].quantity = 4
        #expect(DisplayRenderer.render(Self.display(), catalog: Self.catalog, products: changed).map(DisplayRenderer.hash) != a.map(DisplayRenderer.hash))
    }
}
