import IPC
import JSON
import Store

/// The OpenAPI description of catalogs, products, stock displays and the bulk stock jobs
/// (`CatalogsAPI`, `DisplaysAPI`), merged into `OpenAPIDocument`. Request schemas are strict
/// (`additionalProperties: false`) and carry the validator's limits (`StockValidator`).
package enum OpenAPIStock {
    package static let errorCodes = [ErrorCode.catalogNotFound, .productNotFound, .productExists, .displayNotFound, .versionMismatch].map(\.rawValue)

    static let ref = OpenAPIManagement.ref
    static let json = OpenAPIManagement.json
    static let error = OpenAPIManagement.error
    static let body = OpenAPIManagement.body
    /// Text without control characters (a newline is allowed where it reads well).
    static func text(_ min: Int, _ max: Int, nullable: Bool = false) -> JSON {
        ["type": nullable ? ["string", "null"] : "string", "minLength": .number(Double(min)), "maxLength": .number(Double(max)),
         "pattern": "^[^\\u0000-\\u0009\\u000b-\\u001f]*$"]
    }
    static let id: JSON = ["name": "id", "in": "path", "required": true, "schema": ["type": "integer", "minimum": 1]]
    static let sku: JSON = ["name": "sku", "in": "path", "required": true, "schema": ["type": "string"]]
    static let ifMatch: JSON = ["name": "If-Match", "in": "header", "required": false,
                                "description": "The version from the ETag (\"3\"); a stale one is 412 VERSION_MISMATCH with the current ETag",
                                "schema": ["type": "string", "pattern": "^(\\*|(W/)?\"[1-9][0-9]{0,17}\"|[1-9][0-9]{0,17})$"]]
    static let etag: JSON = ["ETag": ["description": "The version, as \"3\"", "schema": ["type": "string"]]]
    static func created(_ schema: String, _ location: String) -> JSON {
        ["description": "Created", "content": ["application/json": ["schema": ref(schema)]],
         "headers": ["Location": ["description": .string(location), "schema": ["type": "string"]], "ETag": etag["ETag"]!]]
    }
    static func versioned(_ schema: String, _ description: String) -> JSON {
        ["description": .string(description), "content": ["application/json": ["schema": ref(schema)]], "headers": etag]
    }
    static let deleted: JSON = ["description": "Deleted"]

    package static var paths: [String: JSON] {
        let catalog = versioned("Catalog", "The catalog")
        let product = versioned("Product", "The product")
        let display = versioned("Display", "The display")
        func bulk(_ summary: String, _ schema: String) -> JSON {
            ["post": ["summary": .string(summary), "parameters": [OpenAPIManagement.idempotencyKey], "requestBody": body(ref(schema)),
                      "responses": ["202": OpenAPIManagement.accepted, "400": error, "404": error, "422": error]]]
        }
        return [
            "/api/v1/catalogs": [
                "get": ["summary": "Every catalog", "responses": ["200": json(["type": "object", "required": ["catalogs"],
                                                                                "properties": ["catalogs": ["type": "array", "items": ref("Catalog")]]], "Catalogs")]],
                "post": ["summary": "Create a catalog (a shop)", "requestBody": body(ref("CatalogInput")),
                         "responses": ["201": created("Catalog", "/api/v1/catalogs/{id}"), "422": error]],
            ],
            "/api/v1/catalogs/{id}": [
                "get": ["summary": "One catalog", "parameters": [id], "responses": ["200": catalog, "404": error]],
                "patch": ["summary": "Change a catalog", "parameters": [id, ifMatch], "requestBody": body(ref("CatalogPatch")),
                          "responses": ["200": catalog, "404": error, "412": error, "422": error]],
                "delete": ["summary": "Delete a catalog with its products and displays (their messages are deleted on Discord)",
                           "parameters": [id, ifMatch], "responses": ["204": deleted, "404": error, "412": error]],
            ],
            "/api/v1/catalogs/{id}/products": [
                "get": ["summary": "A catalog's products in display order", "parameters": [
                    id, ["name": "category", "in": "query", "required": false, "schema": ["type": "string"]],
                    ["name": "visible", "in": "query", "required": false, "schema": ["type": "string", "enum": ["", "true", "false"]]]],
                        "responses": ["200": json(["type": "object", "required": ["products"],
                                                   "properties": ["products": ["type": "array", "items": ref("Product")]]], "Products"), "404": error]],
                "post": ["summary": "Add a product (SKU unique per catalog: 409 PRODUCT_EXISTS)", "parameters": [id],
                         "requestBody": body(ref("ProductInput")),
                         "responses": ["201": created("Product", "/api/v1/catalogs/{id}/products/{sku}"), "404": error, "409": error, "422": error]],
            ],
            "/api/v1/catalogs/{id}/products/{sku}": [
                "get": ["summary": "One product", "parameters": [id, sku], "responses": ["200": product, "404": error]],
                "patch": ["summary": "Change a product: stock (`quantity`), visibility (`visible`) or anything else; every display of its catalog follows",
                          "parameters": [id, sku, ifMatch], "requestBody": body(ref("ProductPatch")),
                          "responses": ["200": product, "404": error, "412": error, "422": error]],
                "delete": ["summary": "Delete a product", "parameters": [id, sku, ifMatch], "responses": ["204": deleted, "404": error, "412": error]],
            ],
            "/api/v1/catalogs/{id}/stock": ["put": [
                "summary": "Inventory sync: many quantities in one transaction; every SKU must exist (422 naming each that does not)",
                "parameters": [id, ["name": "Idempotency-Key", "in": "header", "required": false,
                                    "description": "The same key answers the first response again and applies nothing twice",
                                    "schema": ["type": "string", "pattern": "^[!-~]{1,255}$"]]],
                "requestBody": body(ref("StockSync")),
                "responses": ["200": json(ref("StockSyncResult"), "What changed"), "404": error, "422": error]]],
            "/api/v1/displays": [
                "get": ["summary": "Stock displays", "parameters": [
                    ["name": "catalog_id", "in": "query", "required": false, "schema": ["type": "string", "pattern": "^([1-9][0-9]{0,17})?$"]],
                    ["name": "bot", "in": "query", "required": false, "schema": ["type": "string"]]],
                        "responses": ["200": json(["type": "object", "required": ["displays"],
                                                   "properties": ["displays": ["type": "array", "items": ref("Display")]]], "Displays")]],
                "post": ["summary": "Create a display: the bot posts it in the channel and keeps it current",
                         "requestBody": body(ref("DisplayInput")), "responses": ["201": created("Display", "/api/v1/displays/{id}"), "422": error]],
            ],
            "/api/v1/displays/{id}": [
                "get": ["summary": "One display: state (pending, ok, broken with Discord's error) and its message ids", "parameters": [id],
                        "responses": ["200": display, "404": error]],
                "patch": ["summary": "Change a display (a new bot or channel posts it afresh; any change clears broken)",
                          "parameters": [id, ifMatch], "requestBody": body(ref("DisplayPatch")),
                          "responses": ["200": display, "404": error, "412": error, "422": error]],
                "delete": ["summary": "Delete a display and its messages on Discord", "parameters": [id, ifMatch],
                           "responses": ["204": deleted, "404": error, "412": error]],
            ],
            "/api/v1/displays/{id}/refresh": ["post": [
                "summary": "Re-render the display now (a broken one is tried once more); answers after Discord did",
                "parameters": [id], "responses": ["200": json(ref("Display"), "The display after the sync"), "404": error]]],
            "/api/v1/bulk/products/visibility": bulk("Show or hide products as a job with one result per display of the catalogs concerned",
                                                     "VisibilityChange"),
            "/api/v1/bulk/displays/refresh": bulk("Re-render many displays as a job with one result per display", "DisplayRefresh"),
        ]
    }

    package static var schemas: [String: JSON] {
        let time: JSON = ["type": "integer", "description": "Unix milliseconds"]
        let currency: JSON = ["type": "string", "pattern": "^[A-Z]{3}$"]
        let skuSchema: JSON = ["type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"]
        let catalogID: JSON = ["type": "integer", "minimum": 1, "maximum": 4_611_686_018_427_387_903]
        let productFields: [String: JSON] = [
            "sku": skuSchema, "name": text(1, StockValidator.maximumName),
            "description": ["type": ["string", "null"], "maxLength": .number(Double(StockValidator.maximumDescription)),
                            "pattern": "^[^\\u0000-\\u0009\\u000b-\\u001f]*$"],
            "price": ["type": "integer", "minimum": 0, "maximum": .number(Double(StockValidator.maximumPrice)), "description": "Minor units (cents)"],
            "currency": currency,
            "quantity": ["type": ["integer", "null"], "minimum": 0, "maximum": .number(Double(StockValidator.maximumQuantity)),
                         "description": "null: unlimited"],
            "category": text(1, StockValidator.maximumCategory, nullable: true),
            "emoji": ["type": ["string", "null"], "minLength": 1, "maxLength": .number(Double(StockValidator.maximumEmoji)),
                      "pattern": "^[^\\u0000-\\u001f]*$"],
            "sort_order": ["type": "integer", "minimum": -1_000_000_000, "maximum": 1_000_000_000],
            "visible": ["type": "boolean"],
        ]
        var productPatch = productFields
        productPatch["sku"] = nil
        let displayFields: [String: JSON] = [
            "bot": ["type": "string", "description": "An existing bot (422 otherwise)"],
            "channel_id": ["type": "string", "pattern": "^[0-9]{1,20}$"],
            "catalog_id": catalogID,
            "title": text(1, 200, nullable: true),
            "color": ["type": ["integer", "null"], "minimum": 0, "maximum": 16_777_215],
            "out_of_stock": ["type": "string", "enum": .array(OutOfStockMode.allCases.map { .string($0.rawValue) }),
                             "description": "sold_out shows them marked, hide leaves them out"],
            "show_prices": ["type": "boolean"], "group_by_category": ["type": "boolean"],
        ]
        let ids: JSON = ["type": "array", "minItems": 1, "maxItems": 10_000, "items": catalogID]
        func selector(_ key: String, _ schema: JSON) -> JSON {
            ["type": "object", "additionalProperties": false, "required": .array([.string(key), "visible"]),
             "properties": [key: schema, "visible": ["type": "boolean"], "catalog_id": catalogID]]
        }
        return [
            "Catalog": ["type": "object", "required": ["id", "name", "currency", "version", "created_at", "updated_at"], "properties": [
                "id": ["type": "integer"], "name": ["type": "string"], "currency": ["type": "string"], "version": ["type": "integer"],
                "created_at": time, "updated_at": time]],
            "CatalogInput": ["type": "object", "additionalProperties": false, "required": ["name"],
                             "properties": ["name": text(1, 100), "currency": currency]],
            "CatalogPatch": ["type": "object", "additionalProperties": false, "properties": ["name": text(1, 100), "currency": currency]],
            "Product": ["type": "object", "required": ["catalog_id", "sku", "name", "description", "price", "currency", "quantity", "category", "emoji",
                                                       "sort_order", "visible", "version", "updated_at"], "properties": [
                "catalog_id": ["type": "integer"], "sku": ["type": "string"], "name": ["type": "string"], "description": ["type": "string"],
                "price": ["type": "integer"], "currency": ["type": "string"], "quantity": ["type": ["integer", "null"]],
                "category": ["type": ["string", "null"]], "emoji": ["type": ["string", "null"]], "sort_order": ["type": "integer"],
                "visible": ["type": "boolean"], "version": ["type": "integer"], "updated_at": time]],
            "ProductInput": ["type": "object", "additionalProperties": false, "required": ["sku", "name"], "properties": .object(productFields)],
            "ProductPatch": ["type": "object", "additionalProperties": false, "properties": .object(productPatch),
                             "description": "Every field is optional; the SKU cannot change"],
            "StockSync": ["type": "object", "additionalProperties": false, "required": ["items"], "properties": [
                "items": ["type": "array", "minItems": 1, "maxItems": 10_000, "description": "Each SKU once (422 otherwise)", "items": [
                    "type": "object", "additionalProperties": false, "required": ["sku", "quantity"],
                    "properties": ["sku": skuSchema, "quantity": productFields["quantity"]!]]]]],
            "StockSyncResult": ["type": "object", "required": ["catalog_id", "updated", "unchanged", "changed_skus", "replayed"], "properties": [
                "catalog_id": ["type": "integer"], "updated": ["type": "integer"], "unchanged": ["type": "integer"],
                "changed_skus": ["type": "array", "items": ["type": "string"]],
                "replayed": ["type": "boolean", "description": "The Idempotency-Key was seen before: the first answer again, nothing applied"]]],
            "Display": ["type": "object", "required": ["id", "bot", "channel_id", "catalog_id", "title", "color", "out_of_stock", "show_prices",
                                                       "group_by_category", "state", "error", "message_ids", "version", "created_at", "updated_at",
                                                       "synced_at"], "properties": [
                "id": ["type": "integer"], "bot": ["type": "string"], "channel_id": ["type": "string"], "catalog_id": ["type": "integer"],
                "title": ["type": ["string", "null"]], "color": ["type": ["integer", "null"]],
                "out_of_stock": ["type": "string", "enum": .array(OutOfStockMode.allCases.map { .string($0.rawValue) })],
                "show_prices": ["type": "boolean"], "group_by_category": ["type": "boolean"],
                "state": ["type": "string", "enum": .array(DisplayState.allCases.map { .string($0.rawValue) })],
                "error": ["type": ["object", "null"], "required": ["code", "message"],
                          "properties": ["code": ["type": "string", "description": "Discord's code as DISCORD_<code>, or BOT_NOT_RUNNING ..."],
                                         "message": ["type": "string"]]],
                "message_ids": ["type": "array", "items": ["type": "string"]], "version": ["type": "integer"],
                "created_at": time, "updated_at": time, "synced_at": ["type": ["integer", "null"]]]],
            "DisplayInput": ["type": "object", "additionalProperties": false, "required": ["bot", "channel_id", "catalog_id"],
                             "properties": .object(displayFields)],
            "DisplayPatch": ["type": "object", "additionalProperties": false, "properties": .object(displayFields)],
            "VisibilityChange": ["description": "Exactly one selector (skus, category, out_of_stock, catalogs or all) and visible; catalog_id narrows it",
                                 "oneOf": [
                selector("skus", ["type": "array", "minItems": 1, "maxItems": 10_000, "items": skuSchema]),
                selector("category", text(1, StockValidator.maximumCategory)),
                selector("out_of_stock", ["const": true]),
                selector("catalogs", ids),
                selector("all", ["const": true]),
            ]],
            "DisplayRefresh": ["description": "Exactly one of displays, catalogs, bot or all", "oneOf": [
                ["type": "object", "additionalProperties": false, "required": ["displays"], "properties": ["displays": ids]],
                ["type": "object", "additionalProperties": false, "required": ["catalogs"], "properties": ["catalogs": ids]],
                ["type": "object", "additionalProperties": false, "required": ["bot"], "properties": ["bot": ["type": "string"]]],
                ["type": "object", "additionalProperties": false, "required": ["all"], "properties": ["all": ["const": true]]],
            ]],
        ]
    }

    /// Adds these paths and schemas to `document`, the display jobs to `Job.kind` and `display_id` to `JobItem`.
    package static func merge(into document: JSON) -> JSON {
        guard var doc = document.object, var docPaths = doc["paths"]?.object, var components = doc["components"]?.object,
              var docSchemas = components["schemas"]?.object else { return document }
        docPaths.merge(paths) { $1 }
        docSchemas.merge(schemas) { $1 }
        if var job = docSchemas["Job"]?.object, var properties = job["properties"]?.object {
            properties["kind"] = ["type": "string", "enum": ["start", "stop", "restart", "message", "product_visibility", "display_refresh"]]
            job["properties"] = .object(properties)
            docSchemas["Job"] = .object(job)
        }
        if var item = docSchemas["JobItem"]?.object, var properties = item["properties"]?.object {
            properties["display_id"] = ["type": "integer", "description": "The display of a display job's item"]
            item["properties"] = .object(properties)
            docSchemas["JobItem"] = .object(item)
        }
        components["schemas"] = .object(docSchemas)
        doc["paths"] = .object(docPaths)
        doc["components"] = .object(components)
        return .object(doc)
    }
}
