import Testing
@testable import Fleet

/// The host's share of Discord's invalid-request budget, split among the bots (issue 13).
@Suite struct InvalidRequestBudgetTests {
    @Test func allowancesTogetherNeverPassEightyPercentOfTheBudget() {
        var budget = InvalidRequestBudget(budget: 10_000)
        for counts in [["a": 0, "b": 0, "c": 0], ["a": 5_000, "b": 10, "c": 0], ["a": 7_900, "b": 100, "c": 0], ["a": 9_000, "b": 0, "c": 0]] {
            let decision = budget.evaluate(counts: counts)
            #expect(decision.allowances.values.reduce(0, +) <= max(8_000, decision.used) + counts.count, "\(counts): \(decision.allowances)")
            for (bot, count) in counts { #expect(decision.allowances[bot]! >= count + (count == 0 ? 1 : 0)) }
        }
    }

    @Test func aBotThatSpendsNothingIsNeverHeldWhileTheOffenderIs() {
        var budget = InvalidRequestBudget(budget: 100)
        let decision = budget.evaluate(counts: ["broken": 80, "healthy": 0])
        #expect(decision.level == .pausing)
        // The offender may not spend one more; the healthy bot is above what it spent, so it is not held.
        #expect(decision.allowances["broken"] == 80)
        #expect(decision.allowances["healthy"] == 1)
    }

    @Test func theLevelRisesAtHalfAndAtEightyPercentAndFallsBackOnce() {
        var budget = InvalidRequestBudget(budget: 100)
        #expect(budget.evaluate(counts: ["a": 10]).level == .ok)
        let warning = budget.evaluate(counts: ["a": 50])
        #expect(warning.level == .warning && warning.levelChanged)
        #expect(!budget.evaluate(counts: ["a": 60]).levelChanged)
        let pausing = budget.evaluate(counts: ["a": 80])
        #expect(pausing.level == .pausing && pausing.levelChanged && pausing.allowances["a"] == 80)
        let calm = budget.evaluate(counts: ["a": 3])
        #expect(calm.level == .ok && calm.levelChanged && calm.allowances["a"] == 80)
    }
}
