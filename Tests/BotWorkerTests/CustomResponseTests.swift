import Testing
@testable import BotWorker

/// A custom command's response template: placeholders filled, anything else left as written.
@Suite struct CustomResponseTests {
    @Test func placeholdersAreFilledAndOtherBracesStay() {
        let values = ["{user}": "<@1>", "{guild}": "g", "{channel}": "<#2>"]
        #expect(BotRuntime.fill("{user} in {channel} of {guild}", values) == "<@1> in <#2> of g")
        #expect(BotRuntime.fill("{user}{user} {nope} { {user", values) == "<@1><@1> {nope} { {user")
        #expect(BotRuntime.fill("héllo {user} ✓", values) == "héllo <@1> ✓")
        #expect(BotRuntime.fill("", values) == "")
    }
}
