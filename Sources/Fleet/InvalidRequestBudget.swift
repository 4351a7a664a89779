/// Discord's invalid-request budget, shared by every bot on the host: 10,000 responses 401, 403 or 429 (not
/// `X-RateLimit-Scope: shared`) per 10 minutes per IP, past which Cloudflare bans the IP for a while
/// (https://discord.com/developers/docs/topics/rate-limits#invalid-request-limit-aka-cloudflare-bans).
///
/// A plain state machine: each worker counts its own invalid requests over the last 10 minutes and reports
/// them; the fleet feeds the counts in and sends each worker the allowance this returns. A worker whose
/// count reaches its allowance holds its REST calls (the worker enforces it at once, without waiting for the
/// supervisor to hear about it) until its old invalid requests age out of the window.
///
/// Allowances split what is left under `pauseFraction` of the budget evenly: bot i may reach
/// `count_i + headroom / n` (at least 1 for a bot that spent nothing), so the allowances together stay under
/// `pauseFraction × budget` (plus one per such bot), however the bots spend them. Bots that make no invalid requests never reach theirs; once the fleet
/// nears the budget, the offenders (the bots still spending) are the ones held.
public struct InvalidRequestBudget: Sendable, Equatable {
    public enum Level: String, Sendable, Codable { case ok, warning, pausing }

    public var budget: Int
    /// Past this share the offenders are paused (their allowance is what they have spent).
    public var pauseFraction = 0.8
    /// Past this share a warning is logged.
    public var warnFraction = 0.5
    public private(set) var level: Level = .ok

    public init(budget: Int) { self.budget = budget }

    /// What one evaluation decided.
    public struct Decision: Sendable, Equatable {
        /// Invalid requests the fleet spent in the window.
        public var used: Int
        public var level: Level
        /// The level changed with this evaluation (log it once).
        public var levelChanged: Bool
        /// Per bot: how many invalid requests in the window its worker may reach.
        public var allowances: [String: Int]
    }

    /// `counts`: each running worker's invalid requests in the last 10 minutes.
    public mutating func evaluate(counts: [String: Int]) -> Decision {
        let used = counts.values.reduce(0, +)
        let ceiling = Int(Double(budget) * pauseFraction)
        let headroom = max(0, ceiling - used)
        let share = counts.isEmpty ? headroom : headroom / counts.count
        var allowances: [String: Int] = [:]
        // A bot that has spent nothing may always make one: it is never held for what others spent (the 20% between
        // the pause and Discord's limit covers one request per bot). One that has spent gets no more than its share.
        for (bot, count) in counts { allowances[bot] = count + max(share, count == 0 ? 1 : 0) }
        let new: Level = used >= ceiling || share == 0 ? .pausing : Double(used) >= Double(budget) * warnFraction ? .warning : .ok
        let changed = new != level
        level = new
        return Decision(used: used, level: new, levelChanged: changed, allowances: allowances)
    }
}
