import Fleet

/// When botvisord gives back memory it used only to get going: freed heap (`malloc_trim`) and the resident pages
/// of code (`Memory.dropCodePages`: start-up, configuration, migrations, spawning every worker). Once the fleet
/// has settled (no bot starting, connecting or resuming), and again every `period` while it stays settled, so the
/// resident set follows what the daemon runs now rather than everything it ever ran. The code that runs again
/// faults back in from the page cache.
struct ResidentSetTrim {
    let period: Duration
    private var lastTrim: ContinuousClock.Instant?
    private var settledSinceTrim = false

    init(period: Duration = .seconds(600)) { self.period = period }

    /// Whether to trim now, given whether the fleet is settled; records the trim when it says yes.
    mutating func shouldTrim(settled: Bool, now: ContinuousClock.Instant) -> Bool {
        guard settled else {
            settledSinceTrim = false
            return false
        }
        if settledSinceTrim, let lastTrim, now - lastTrim < period { return false }
        settledSinceTrim = true
        lastTrim = now
        return true
    }

    /// A bot on its way up runs code that settles afterwards.
    static func isSettled(_ states: some Sequence<WorkerState>) -> Bool {
        !states.contains { $0 == .starting || $0 == .connecting || $0 == .resuming }
    }
}
