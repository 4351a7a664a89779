/// Bring one stock display on Discord up to date (supervisor -> worker, a request). The supervisor
/// renders and decides what changed; the worker only performs it through its rate-limited REST
/// client: for each slot, edit the message (or post it when it has none), then delete the messages
/// in `delete`. A message Discord no longer has (10008) is posted again, and so is one whose edits
/// Discord refuses because it is older than an hour (429 with code 30046); the old one is then deleted.
/// The reply's `result["message_ids"]` lists the slots' message ids, comma-separated; a refusal for
/// the whole channel (10003, 50001, 50013) is `ok: false` with Discord's code and message.
public struct DisplaySync: Codable, Sendable, Equatable {
    public struct Slot: Codable, Sendable, Equatable {
        /// The message this slot occupies, if it was posted before.
        public var messageID: String?
        /// The message body (`{"content","embeds"}`) as JSON text; nil when the message is already current.
        public var body: String?
        /// Sent with `enforce_nonce` when the slot is posted: a post repeated after a crash returns the first message.
        public var nonce: String
        public init(messageID: String?, body: String?, nonce: String) {
            self.messageID = messageID
            self.body = body
            self.nonce = nonce
        }
        enum CodingKeys: String, CodingKey {
            case messageID = "message_id"
            case body, nonce
        }
    }
    public var displayID: Int64
    public var channelID: String
    public var slots: [Slot]
    /// Messages the display no longer needs (it shrank, or moved away from this channel).
    public var delete: [String]
    public init(displayID: Int64, channelID: String, slots: [Slot], delete: [String] = []) {
        self.displayID = displayID
        self.channelID = channelID
        self.slots = slots
        self.delete = delete
    }
    enum CodingKeys: String, CodingKey {
        case displayID = "display_id"
        case channelID = "channel_id"
        case slots, delete
    }
}

/// The visible products of the catalogs a bot shows, for its `/stock` command (supervisor -> worker,
/// one-way, sent after the hello and after every change). The worker answers `/stock` from it without
/// a round trip, well within Discord's 3 s.
public struct StockListing: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        /// `🍎 Apple`: the line's head.
        public var title: String
        /// `1.50 USD · 12 left`: what the display shows under it.
        public var detail: String
        public var category: String?
        public init(title: String, detail: String, category: String?) {
            self.title = title
            self.detail = detail
            self.category = category
        }
    }
    /// The catalogs' names, for the answer's title.
    public var title: String
    public var items: [Item]
    public init(title: String, items: [Item]) {
        self.title = title
        self.items = items
    }
}
