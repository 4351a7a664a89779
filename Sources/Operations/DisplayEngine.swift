import Fleet
import IOCore
import IPC
import JSON
import Logging
import Store

/// Keeps every stock display on Discord current. It follows the fleet event stream: a `stockChanged`
/// marks the catalog's displays dirty, a bot becoming ready brings its displays up to date (and gives
/// its worker the `/stock` listing), and at start every display is checked once.
///
/// Coalescing: a display syncs at once when it has not synced for `minimumInterval`, else when that
/// interval is over; everything that changed meanwhile goes out as one edit with the final state. At most
/// one sync per display is in flight, and the worker's REST limiter spaces the requests by Discord's
/// buckets, so a burst of changes never provokes a 429. A message whose rendering did not change is not
/// sent (the store keeps a hash of what each message holds).
///
/// Failures: a refusal for the whole channel (unknown channel, no access) marks the display `broken` with
/// Discord's error and it is not retried until a PATCH or a refresh; a bot that is not running is retried
/// when it becomes ready; a transport failure is retried a few times with a growing pause.
public actor DisplayEngine {
    public struct Settings: Sendable {
        /// The least time between two syncs of one display (the coalescing window).
        public var minimumInterval: Duration = .seconds(1)
        /// How long one sync may wait in the worker (rate limits included).
        public var syncTimeout: Duration = .seconds(120)
        /// Pauses before retrying a transient failure (transport, 5xx, the worker going away).
        public var retryDelays: [Duration] = [.seconds(2), .seconds(5), .seconds(15)]
        public init() {}
    }

    /// The result of one sync, as a bulk job's item reports it.
    public enum Outcome: Sendable, Equatable {
        case ok(messageIDs: [String])
        case failed(ErrorCode, String)
        public var isOK: Bool { if case .ok = self { true } else { false } }
    }

    package let store: SupervisorStore
    package let fleet: Fleet
    package let settings: Settings
    let logger: Logger
    private let (requests, requestsContinuation) = AsyncStream.makeStream(of: Int64.self)
    /// Displays with a change not yet sent.
    private var dirty: Set<Int64> = []
    /// Displays whose driver task is running.
    private var driving: Set<Int64> = []
    private var lastStart: [Int64: ContinuousClock.Instant] = [:]
    /// Callers waiting for the next sync of a display to finish.
    private var waiters: [Int64: [CheckedContinuation<Outcome, Never>]] = [:]
    /// The listing each bot's worker has, to send it only when it changed.
    private var listings: [String: StockListing] = [:]
    /// Edits sent to Discord since start (benchmarks, tests).
    public private(set) var syncsSent = 0

    public init(store: SupervisorStore, fleet: Fleet, settings: Settings = Settings(), logger: Logger) {
        self.store = store
        self.fleet = fleet
        self.settings = settings
        self.logger = logger.with("component", "displays")
    }

    /// Runs until cancelled: follows the event stream and drives each dirty display.
    public func run() async {
        let subscription = fleet.events.subscribe(bufferSize: 1024)
        await fleet.waitUntilLoaded()
        for display in (try? await store.displays()) ?? [] { schedule(display.id) }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.follow(subscription) }
            for await id in requests {
                group.addTask { await self.drive(id) }
            }
        }
    }

    public func shutdown() { requestsContinuation.finish() }

    private func follow(_ subscription: FleetSubscription) async {
        for await element in subscription {
            switch element {
            case .event(.stockChanged(let catalog, _)):
                await catalogChanged(catalog)
            case .event(.botStateChanged(let bot, _, let to, _, _)) where to == .ready:
                listings[bot] = nil
                for display in (try? await store.displays(bot: bot)) ?? [] { schedule(display.id) }
                await sendListing(bot: bot)
            case .lagged:
                // Something may have changed unseen: check everything (unchanged displays cost nothing).
                listings = [:]
                for display in (try? await store.displays()) ?? [] { schedule(display.id) }
            case .event:
                continue
            }
        }
    }

    /// Marks every display of the catalog dirty and refreshes the `/stock` listings that show it.
    package func catalogChanged(_ catalog: Int64) async {
        let displays = (try? await store.displays(catalog: catalog)) ?? []
        for display in displays { schedule(display.id) }
        for bot in Set(displays.map(\.bot)) { await sendListing(bot: bot) }
    }

    /// A display was created or changed: sync it, and give its bot's worker a fresh `/stock` listing.
    package func displayChanged(_ display: Display) async {
        schedule(display.id)
        await sendListing(bot: display.bot)
    }

    /// Queues a sync of the display (coalesced with any already queued).
    package func schedule(_ id: Int64) {
        dirty.insert(id)
        if driving.insert(id).inserted { requestsContinuation.yield(id) }
    }

    /// Syncs the display (clearing `broken` first when asked); returns once a sync that started after this call finished.
    package func refresh(_ id: Int64, clearingBroken: Bool = true) async -> Outcome {
        if clearingBroken { try? await store.clearBroken(id) }
        return await withCheckedContinuation { continuation in
            waiters[id, default: []].append(continuation)
            schedule(id)
        }
    }

    /// Removes a display's messages from Discord (a deleted display, or one moved to another bot or channel).
    /// Best effort: a message that stays behind is harmless and can be deleted by hand.
    package func retire(bot: String, channelID: String, messageIDs: [String], displayID: Int64) async {
        guard !messageIDs.isEmpty, let supervisor = try? await fleet.supervisor(named: bot) else { return }
        _ = try? await supervisor.syncDisplay(DisplaySync(displayID: displayID, channelID: channelID, slots: [], delete: messageIDs),
                                              timeout: .seconds(30))
        let bots = Set(((try? await store.displays()) ?? []).map(\.bot))
        if !bots.contains(bot) { listings[bot] = nil }
        await sendListing(bot: bot)
    }

    private func drive(_ id: Int64) async {
        var failures = 0
        while true {
            if let last = lastStart[id], ContinuousClock.now < last + settings.minimumInterval {
                try? await Reactor.shared.sleep(until: last + settings.minimumInterval)
            }
            guard dirty.remove(id) != nil, !Task.isCancelled else {
                driving.remove(id)
                return
            }
            lastStart[id] = .now
            let waiting = waiters.removeValue(forKey: id) ?? []
            let (outcome, transient) = await sync(id)
            for waiter in waiting { waiter.resume(returning: outcome) }
            if transient {
                guard failures < settings.retryDelays.count else { continue }
                try? await Reactor.shared.sleep(until: .now + settings.retryDelays[failures])
                failures += 1
                dirty.insert(id)
            } else {
                failures = 0
            }
        }
    }

    /// The nonce of a post: unique per display, its version, the slot and the message it replaces, at most 25 characters.
    static func nonce(display: Display, slot: Int, replacing: String?) -> String {
        "sd\(String(display.id, radix: 36))v\(String(display.version, radix: 36))s\(slot)r\(replacing.map { String($0.suffix(6)) } ?? "0")"
    }

    /// One sync: render, compare with what Discord holds, send what changed. Returns the outcome and whether
    /// trying again later may help.
    private func sync(_ id: Int64) async -> (Outcome, transient: Bool) {
        let display: Display
        let bodies: [JSON]
        let stored: [DisplayMessage]
        do {
            let snapshot = try await store.displaySnapshot(id)
            display = snapshot.display
            if display.state == .broken, let error = display.error { return (.failed(error.code, error.message), false) }
            bodies = DisplayRenderer.render(display, catalog: snapshot.catalog, products: snapshot.products)
            stored = snapshot.messages
        } catch let error as StockError {
            return (.failed(error.code, error.message), false)
        } catch {
            logger.error("cannot read a display", ["display": id, "error": error])
            return (.failed(.internal, "\(error)"), true)
        }
        let hashes = bodies.map(DisplayRenderer.hash)
        var slots: [DisplaySync.Slot] = []
        for (i, body) in bodies.enumerated() {
            let old = stored.first { $0.slot == i }
            slots.append(.init(messageID: old?.messageID, body: old?.renderedHash == hashes[i] ? nil : body.serialized(),
                               nonce: Self.nonce(display: display, slot: i, replacing: old?.messageID)))
        }
        let extra = stored.filter { $0.slot >= bodies.count }.map(\.messageID)
        if slots.allSatisfy({ $0.body == nil }) && extra.isEmpty {
            let ids = stored.map(\.messageID)
            if display.state != .ok { try? await store.saveDisplaySync(id, messages: stored, state: .ok, error: nil) }
            return (.ok(messageIDs: ids), false)
        }
        guard let supervisor = try? await fleet.supervisor(named: display.bot) else {
            return (.failed(.botNotFound, "no bot named \(display.bot)"), false)
        }
        let reply: Reply
        do {
            syncsSent += 1
            reply = try await supervisor.syncDisplay(DisplaySync(displayID: id, channelID: display.channel_id, slots: slots, delete: extra),
                                                     timeout: settings.syncTimeout)
        } catch let error as BotNotRunning {
            // Synced when the bot is ready again (`follow`).
            return (.failed(.botNotRunning, "bot \(display.bot) is \(error.state.rawValue)"), false)
        } catch {
            return (.failed(.botNotRunning, "the worker went away during the sync: \(error)"), true)
        }
        let ids = (reply.result?["message_ids"] ?? "").split(separator: ",").map(String.init)
        if reply.ok, ids.count == bodies.count {
            let messages = ids.enumerated().map { DisplayMessage(slot: $0.offset, messageID: $0.element, renderedHash: hashes[$0.offset]) }
            do {
                try await store.saveDisplaySync(id, messages: messages, state: .ok, error: nil)
            } catch {
                logger.error("cannot record a display's messages", ["display": id, "error": error])
                return (.failed(.internal, "\(error)"), true)
            }
            fleet.events.publish(.displayUpdated(display: id, bot: display.bot, messageIDs: ids))
            return (.ok(messageIDs: ids), false)
        }
        let code = reply.errorCode ?? .sendFailed
        let message = reply.message ?? "Discord refused the display"
        if Self.isTransient(code) { return (.failed(code, message), true) }
        // Discord refused the channel (or the body) for good: shown as broken, not retried in a loop.
        // The messages that still stand are kept, so a fixed display edits them instead of posting again.
        try? await store.saveDisplaySync(id, messages: stored.filter { $0.slot < bodies.count }, state: .broken,
                                         error: .init(code: code, message: message))
        logger.warning("display broken", ["display": id, "bot": display.bot, "channel": display.channel_id, "code": code.rawValue,
                                          "error": message])
        fleet.events.publish(.displayBroken(display: id, bot: display.bot, code: code.rawValue, message: message))
        return (.failed(code, message), false)
    }

    /// Failures that may pass: Discord unreachable or failing, the worker gone, a 429 the limiter could not avoid.
    static func isTransient(_ code: ErrorCode) -> Bool {
        code == .discordUnreachable || code == .botNotRunning || code == .discordRateLimited || code.rawValue.hasPrefix("DISCORD_HTTP_5")
    }

    /// Sends the bot's worker its `/stock` listing when it changed.
    private func sendListing(bot: String) async {
        guard let supervisor = try? await fleet.supervisor(named: bot) else { return }
        guard let shown = try? await store.listingSnapshot(bot: bot) else { return }
        let listing = DisplayRenderer.listing(catalogs: shown)
        guard listings[bot] != listing else { return }
        listings[bot] = listing
        await supervisor.sendStockListing(listing)
    }
}
