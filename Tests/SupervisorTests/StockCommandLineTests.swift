import Testing
@testable import Control

/// `botvisorctl stock ...` and `display ...` arguments, parsed without a socket.
@Suite struct StockCommandLineTests {
    func request(_ args: [String]) throws -> ControlRequest {
        guard case .request(let parsed) = try CommandLineParser.parse(args) else { throw CommandLineParser.UsageError("not a request") }
        return parsed.request
    }

    func usageError(_ args: [String]) -> String? {
        do {
            _ = try CommandLineParser.parse(args)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func stockAndDisplayCommandsBecomeTheirRequests() throws {
        #expect(try request(["stock", "list"]) == ControlRequest(command: .stockList))
        #expect(try request(["stock", "hide", "apple", "pear", "--catalog", "3"]) == ControlRequest(command: .stockHide, skus: ["apple", "pear"], catalog: 3))
        #expect(try request(["stock", "show", "apple"]) == ControlRequest(command: .stockShow, skus: ["apple"]))
        #expect(try request(["stock", "set", "apple", "12"]) == ControlRequest(command: .stockSet, skus: ["apple"], quantity: 12))
        #expect(try request(["stock", "set", "apple", "unlimited"]) == ControlRequest(command: .stockSet, skus: ["apple"], unlimited: true))
        #expect(try request(["display", "list", "--json"]) == ControlRequest(command: .displayList))
        #expect(try request(["display", "refresh", "1", "2"]) == ControlRequest(command: .displayRefresh, displays: [1, 2]))
        #expect(try request(["display", "refresh", "--all"]) == ControlRequest(command: .displayRefresh, all: true))
    }

    @Test func mistakesAreUsageErrorsThatSayWhy() {
        #expect(usageError(["stock"])?.contains("subcommand") == true)
        #expect(usageError(["stock", "hid", "apple"])?.contains("did you mean hide?") == true)
        #expect(usageError(["stock", "hide"])?.contains("SKU") == true)
        #expect(usageError(["stock", "set", "apple"])?.contains("SKU QTY") == true)
        #expect(usageError(["stock", "set", "apple", "many"])?.contains("quantity") == true)
        #expect(usageError(["stock", "list", "--catalog", "x"])?.contains("--catalog") == true)
        #expect(usageError(["stock", "hide", "apple", "--force"])?.contains("unknown option --force") == true)
        #expect(usageError(["display", "refresh"])?.contains("--all") == true)
        #expect(usageError(["display", "refresh", "1", "--all"])?.contains("not both") == true)
        #expect(usageError(["display", "refresh", "one"])?.contains("display ids") == true)
    }
}
