import Fleet
import IOCore
import IPC
import JSON
import Synchronization
import WebSocket

/// One event of the live feed as it goes on the wire, encoded once and shared by every client:
/// `{"data":{...},"id":N,"time":<Unix ms>,"topic":"bots","type":"bot.state"}`. Ids increase by one per
/// event; the first is the daemon's start time in Unix milliseconds times 1000, so ids also increase across
/// a daemon restart (and a client holding an id from before it is told to `reset`).
///
/// A class: the replay buffer and every client's queue hold the same instance, so queuing an event for
/// fifty clients costs fifty references, not fifty copies of its strings. The text is written when a
/// client first needs it: a command record becomes an event as it is committed, tens of thousands a
/// second under load, mostly with no client listening (issue 16: rendering each one at once was about a
/// sixth of the IPC threads' time).
public final class FeedEvent: Sendable, Equatable {
    public let id: UInt64
    public let topic: EventTopic
    public let type: String
    /// Unix milliseconds.
    public let time: Int64
    // What filters look at.
    public let bot: String?
    public let guild: String?
    public let outcome: CommandOutcome?
    public let command: String?
    private let data: Payload
    private let rendered = Mutex<Rendered?>(nil)

    /// What goes under `data`.
    enum Payload: Sendable {
        case json(String)
        case record(CommandRecord)
    }

    private struct Rendered {
        var text: String
        var frame: [UInt8]
    }

    /// The whole event as JSON text.
    public var text: String { rendering().text }
    /// `text` as one WebSocket text frame from the server (unmasked), written as is to every client.
    public var frame: [UInt8] { rendering().frame }

    init(id: UInt64, topic: EventTopic, type: String, time: Int64, data: Payload,
         bot: String? = nil, guild: String? = nil, outcome: CommandOutcome? = nil, command: String? = nil) {
        self.id = id
        self.topic = topic
        self.type = type
        self.time = time
        self.bot = bot
        self.guild = guild
        self.outcome = outcome
        self.command = command
        self.data = data
    }

    private func rendering() -> Rendered {
        rendered.withLock { cached in
            if let cached { return cached }
            let json: String
            switch data {
            case .json(let text): json = text
            case .record(let record):
                var bytes: [UInt8] = []
                LogPageJSON.record(&bytes, record)
                json = String(decoding: bytes, as: UTF8.self)
            }
            // topic and type are our own constants: no escaping needed.
            let text = "{\"data\":\(json),\"id\":\(id),\"time\":\(time),\"topic\":\"\(topic.rawValue)\",\"type\":\"\(type)\"}"
            let made = Rendered(text: text, frame: WebSocketFrame(opcode: .text, payload: Array(text.utf8)).encoded())
            cached = made
            return made
        }
    }

    public static func == (a: FeedEvent, b: FeedEvent) -> Bool { a.id == b.id && a.text == b.text }

    /// The feed events a fleet event becomes (one per command record), numbered from `firstID`.
    static func make(from event: FleetEvent, firstID: UInt64, time: Int64) -> [FeedEvent] {
        func one(_ topic: EventTopic, _ type: String, _ data: JSON, bot: String? = nil) -> [FeedEvent] {
            [FeedEvent(id: firstID, topic: topic, type: type, time: time, data: .json(data.serialized()), bot: bot)]
        }
        switch event {
        case .botStateChanged(let bot, let from, let to, let generation, let reason):
            return one(.bots, "bot.state", ["bot": .string(bot), "from": .string(from.rawValue), "to": .string(to.rawValue),
                                            "generation": .number(Double(generation)), "reason": reason.map(JSON.string) ?? .null], bot: bot)
        case .workerExited(let bot, let generation, let status, let ranFor):
            var data: [String: JSON] = ["bot": .string(bot), "generation": .number(Double(generation)),
                                        "ran_for_ms": .number(Double(ranFor.milliseconds)), "description": .string(status.description)]
            switch status {
            case .exited(let code): data["exit_code"] = .number(Double(code))
            case .signaled(let signal): data["signal"] = .number(Double(signal))
            }
            return one(.bots, "bot.exited", .object(data), bot: bot)
        case .sessionHandedOver(let bot):
            return one(.bots, "bot.handover", ["bot": .string(bot)], bot: bot)
        case .botAdded(let bot):
            return one(.bots, "bot.added", ["bot": .string(bot)], bot: bot)
        case .botUpdated(let bot):
            return one(.bots, "bot.updated", ["bot": .string(bot)], bot: bot)
        case .botRemoved(let bot):
            return one(.bots, "bot.removed", ["bot": .string(bot)], bot: bot)
        case .commandRecordsCommitted(_, let records):
            return records.enumerated().map { index, record in
                FeedEvent(id: firstID + UInt64(index), topic: .commands, type: "command", time: time, data: .record(record),
                          bot: record.bot, guild: record.guildID, outcome: record.outcome, command: record.command)
            }
        case .metricsSampled(let samples):
            return one(.metrics, "metrics.sampled", ["samples": .number(Double(samples))])
        case .jobProgress(let job, let seq, let state):
            return one(.jobs, seq == nil ? "job.state" : "job.item",
                       ["job": .string(job), "seq": seq.map { .number(Double($0)) } ?? .null, "state": .string(state)])
        case .stockChanged(let catalog, let skus):
            return one(.stock, "stock.changed", ["catalog": .number(Double(catalog)), "skus": .array(skus.map(JSON.string))])
        case .displayUpdated(let display, let bot, let messageIDs):
            return one(.stock, "display.updated", ["display": .number(Double(display)), "bot": .string(bot),
                                                   "message_ids": .array(messageIDs.map(JSON.string))], bot: bot)
        case .displayBroken(let display, let bot, let code, let message):
            return one(.stock, "display.broken", ["display": .number(Double(display)), "bot": .string(bot),
                                                  "code": .string(code), "message": .string(message)], bot: bot)
        case .audited(let row):
            return one(.audit, "audit.recorded", row)
        }
    }

    /// A message for one client that is not a numbered event (`lagged`, `subscribed`, `error`...):
    /// it carries the newest id the feed had given out, so a client may resume from there.
    static func notice(_ type: String, _ data: JSON, lastID: UInt64, time: Int64) -> String {
        "{\"data\":\(data.serialized()),\"id\":\(lastID),\"time\":\(time),\"type\":\"\(type)\"}"
    }
}
