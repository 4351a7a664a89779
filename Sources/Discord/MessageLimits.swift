import JSON

/// Message and embed limits (docs/discord-protocol.md §3, D-MSG "Embed Limits"),
/// checked the way Discord reports them: field errors keyed by JSON path,
/// under error code 50035 "Invalid Form Body".
public enum MessageLimits {
    public static let content = 2000
    public static let embeds = 10
    public static let title = 256
    public static let description = 4096
    public static let fields = 25
    public static let fieldName = 256
    public static let fieldValue = 1024
    public static let footerText = 2048
    public static let authorName = 256
    /// Sum of title, description, field names and values, footer text and author name over all embeds.
    public static let embedTotal = 6000

    /// One failing field: its JSON path and Discord's error code and message.
    public struct FieldError: Sendable, Equatable {
        public var path: String
        public var code: String
        public var message: String
        public init(path: String, code: String, message: String) {
            self.path = path
            self.code = code
            self.message = message
        }
    }

    /// Validates a message body (`content`, `embeds`); empty when valid.
    public static func validate(_ body: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        let content = body["content"]?.string ?? ""
        // Discord counts characters (Unicode scalars as the API reports them).
        if content.count > Self.content {
            errors.append(FieldError(path: "content", code: "BASE_TYPE_MAX_LENGTH", message: "Must be \(Self.content) or fewer in length."))
        }
        let embeds = body["embeds"]?.array ?? []
        if embeds.count > Self.embeds {
            errors.append(FieldError(path: "embeds", code: "BASE_TYPE_MAX_LENGTH", message: "Must be \(Self.embeds) or fewer in length."))
        }
        let hasComponents = !(body["components"]?.array ?? []).isEmpty || !(body["sticker_ids"]?.array ?? []).isEmpty
        if content.isEmpty && embeds.isEmpty && !hasComponents {
            errors.append(FieldError(path: "content", code: "50006", message: "Cannot send an empty message"))
        }
        var total = 0
        func check(_ value: String?, _ limit: Int, _ path: String) {
            guard let value else { return }
            total += value.count
            if value.count > limit {
                errors.append(FieldError(path: path, code: "BASE_TYPE_MAX_LENGTH", message: "Must be \(limit) or fewer in length."))
            }
        }
        for (i, embed) in embeds.enumerated() {
            check(embed["title"]?.string, title, "embeds.\(i).title")
            check(embed["description"]?.string, description, "embeds.\(i).description")
            check(embed["footer"]?["text"]?.string, footerText, "embeds.\(i).footer.text")
            check(embed["author"]?["name"]?.string, authorName, "embeds.\(i).author.name")
            let fields = embed["fields"]?.array ?? []
            if fields.count > Self.fields {
                errors.append(FieldError(path: "embeds.\(i).fields", code: "BASE_TYPE_MAX_LENGTH", message: "Must be \(Self.fields) or fewer in length."))
            }
            for (j, field) in fields.enumerated() {
                check(field["name"]?.string, fieldName, "embeds.\(i).fields.\(j).name")
                check(field["value"]?.string, fieldValue, "embeds.\(i).fields.\(j).value")
            }
        }
        if total > embedTotal {
            errors.append(FieldError(path: "embeds", code: "MAX_EMBED_SIZE_EXCEEDED", message: "Embed size exceeds maximum size of \(embedTotal)"))
        }
        return errors
    }

    /// Discord's 400 body for these errors: code 50035 with `errors` nested by path.
    public static func invalidFormBody(_ errors: [FieldError]) -> JSON {
        var tree: JSON = [:]
        for error in errors {
            let leaf: JSON = ["_errors": [["code": .string(error.code), "message": .string(error.message)]]]
            tree = insert(leaf, at: error.path.split(separator: ".").map(String.init), into: tree)
        }
        return ["code": 50035, "message": "Invalid Form Body", "errors": tree]
    }

    static func insert(_ leaf: JSON, at path: [String], into tree: JSON) -> JSON {
        guard let head = path.first else { return leaf }
        var o = tree.object ?? [:]
        o[head] = insert(leaf, at: Array(path.dropFirst()), into: o[head] ?? [:])
        return .object(o)
    }

    /// Application command names: 1-32 characters, lowercase, letters, digits, `-` and `_` (D-CMD).
    public static func isValidCommandName(_ name: String) -> Bool {
        guard (1...32).contains(name.count) else { return false }
        return name.allSatisfy { c in
            (c.isLetter && c.lowercased() == String(c)) || c.isNumber || c == "-" || c == "_"
        }
    }
}
