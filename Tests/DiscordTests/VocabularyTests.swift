import JSON
import Testing
@testable import Discord

@Suite struct VocabularyTests {
    @Test func closeCodesClassify() {
        for code in [4004, 4010, 4011, 4012, 4013, 4014] { #expect(GatewayCloseCode(rawValue: code).isFatal) }
        for code in [4000, 4001, 4002, 4003, 4005, 4007, 4008, 4009] { #expect(!GatewayCloseCode(rawValue: code).isFatal) }
        #expect(GatewayCloseCode.invalidSeq.requiresNewSession && GatewayCloseCode.sessionTimedOut.requiresNewSession)
    }

    @Test func intentsKnowWhichArePrivileged() {
        #expect(GatewayIntents.privileged.rawValue == (1 << 1 | 1 << 8 | 1 << 15))
        #expect(GatewayIntents.allKnown.contains([.guilds, .messageContent, .directMessagePolls]))
        #expect(!GatewayIntents.allKnown.contains(GatewayIntents(rawValue: 1 << 17)))
    }

    @Test func messageLimitsReportEveryViolationByPath() {
        #expect(MessageLimits.validate(["content": "hi"]).isEmpty)
        #expect(MessageLimits.validate([:]).map(\.code) == ["50006"])
        let long = String(repeating: "x", count: 2001)
        #expect(MessageLimits.validate(["content": .string(long)]).map(\.path) == ["content"])
        let embed: JSON = ["title": .string(String(repeating: "t", count: 257)), "fields": .array([["name": "n", "value": .string(String(repeating: "v", count: 1025))]])]
        let errors = MessageLimits.validate(["embeds": [embed]])
        #expect(errors.map(\.path) == ["embeds.0.title", "embeds.0.fields.0.value"])
        let big: JSON = ["description": .string(String(repeating: "d", count: 4000))]
        #expect(MessageLimits.validate(["embeds": [big, big]]).map(\.code) == ["MAX_EMBED_SIZE_EXCEEDED"])
        let body = MessageLimits.invalidFormBody(errors)
        #expect(body["code"]?.int == 50035)
        #expect(body["errors"]?["embeds"]?["0"]?["title"]?["_errors"]?[0]?["code"]?.string == "BASE_TYPE_MAX_LENGTH")
    }

    @Test func commandNamesFollowDiscordsRules() {
        #expect(MessageLimits.isValidCommandName("ping"))
        #expect(MessageLimits.isValidCommandName("stock-check_2"))
        #expect(!MessageLimits.isValidCommandName("Ping"))
        #expect(!MessageLimits.isValidCommandName(""))
        #expect(!MessageLimits.isValidCommandName(String(repeating: "a", count: 33)))
        #expect(!MessageLimits.isValidCommandName("has space"))
    }
}
