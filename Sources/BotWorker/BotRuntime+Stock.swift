import Discord
import HTTP
import IPC
import JSON

/// Stock displays and `/stock`, kept out of `BotRuntime.swift`: the supervisor renders and decides; the
/// worker performs the edits through its rate-limited REST client and answers `/stock` from the listing
/// the supervisor last sent.
extension BotRuntime {
    /// Discord's code for edits refused on a message older than an hour (docs/discord-protocol.md §3.2).
    static let oldMessageEditLimit = 30046

    /// Edits (or posts) each slot, then deletes the messages the display no longer needs.
    public func syncDisplay(_ sync: DisplaySync) async -> Reply {
        let channel = sync.channelID
        var ids: [String] = []
        func failure(_ response: DiscordResponse) -> Reply {
            Reply(ok: false, errorCode: Self.discordCode(response), message: response.body["message"]?.string ?? "HTTP \(response.status)",
                  result: ["message_ids": ids.joined(separator: ",")])
        }
        do {
            for slot in sync.slots {
                guard let text = slot.body else {
                    if let id = slot.messageID { ids.append(id) }
                    continue
                }
                let body = (try? JSON.parse(text)) ?? [:]
                var replaced: String?
                if let id = slot.messageID {
                    let edit = try await rest.send(.patch, "/channels/\(channel)/messages/\(id)", body: body)
                    if edit.ok {
                        ids.append(id)
                        continue
                    }
                    switch (edit.status, edit.errorCode) {
                    case (404, 10008):
                        // Deleted on Discord: post it again.
                        logger.notice("a display's message was deleted; posting it again", ["display": sync.displayID, "message": id])
                    case (429, Self.oldMessageEditLimit):
                        // Discord limits edits of messages older than an hour: a fresh message takes its place.
                        logger.notice("edits of an old display message are limited; posting a fresh one", ["display": sync.displayID, "message": id])
                        replaced = id
                    default:
                        return failure(edit)
                    }
                }
                var post = body.object ?? [:]
                post["nonce"] = .string(slot.nonce)
                post["enforce_nonce"] = true
                let created = try await rest.send(.post, "/channels/\(channel)/messages", body: .object(post))
                guard created.ok, let id = created.body["id"]?.string else { return failure(created) }
                ids.append(id)
                if let replaced { _ = try? await rest.send(.delete, "/channels/\(channel)/messages/\(replaced)") }
            }
            for id in sync.delete {
                // Best effort: already gone (10008) is as good as deleted, and a message left behind harms nothing.
                let deleted = try await rest.send(.delete, "/channels/\(channel)/messages/\(id)")
                if !deleted.ok && deleted.errorCode != 10008 {
                    logger.warning("cannot delete a display's message", ["display": sync.displayID, "message": id, "status": deleted.status])
                }
            }
        } catch {
            return Reply(ok: false, errorCode: .discordUnreachable, message: "\(error)", result: ["message_ids": ids.joined(separator: ",")])
        }
        return Reply(ok: true, result: ["message_ids": ids.joined(separator: ",")])
    }

    /// `/stock [category]` as registered with Discord (option type 3 is STRING).
    static let stockCommand: JSON = ["name": "stock", "description": "What is for sale and how many are left", "type": ApplicationCommandType.chatInput.json,
                                     "options": [["name": "category", "description": "Only this category", "type": 3, "required": false]]]

    /// A configured custom command named `stock` replaces the built-in one.
    var hasCustomStock: Bool { config.customCommands.contains { $0.name == "stock" } }

    /// Keeps the listing `/stock` answers from.
    public func setStockListing(_ listing: StockListing) {
        stockListing = listing
    }

    /// `/stock [category]`: the visible products, at most one message's worth (2,000 characters).
    func stockAnswer(category: String?) -> String {
        guard let listing = stockListing else { return "This bot shows no stock." }
        let wanted = category?.lowercased()
        let items = listing.items.filter { wanted == nil || $0.category?.lowercased() == wanted }
        guard !items.isEmpty else {
            return category.map { "Nothing in \($0) right now." } ?? "Nothing for sale right now."
        }
        var text = "**\(listing.title)**" + (category.map { " · \($0)" } ?? "")
        for (i, item) in items.enumerated() {
            let line = "\n\(item.title): \(item.detail.split(separator: "\n").first.map(String.init) ?? "")"
            let more = "\n… and \(items.count - i) more"
            if text.count + line.count + more.count > MessageLimits.content {
                text += more
                break
            }
            text += line
        }
        return text
    }

    /// The `category` option of a slash command (`[{name, type, value}]`) or the words after a prefix command.
    nonisolated static func categoryOption(_ options: JSON) -> String? {
        guard let list = options.array, !list.isEmpty else { return nil }
        if list.allSatisfy({ $0.string != nil }) {
            let words = list.compactMap(\.string).joined(separator: " ")
            return words.isEmpty ? nil : words
        }
        return list.first { $0["name"]?.string == "category" }?["value"]?.string
    }
}
