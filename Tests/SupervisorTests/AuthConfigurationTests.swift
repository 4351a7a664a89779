import Testing
@testable import Control

/// The `[auth]` section.
@Suite struct AuthConfigurationTests {
    @Test func authKeysAreParsedWithDefaultsAndBounds() throws {
        let defaults = Configuration(environment: [:])
        #expect(!defaults.publicMetrics && defaults.accessTokenLifetime == .seconds(900) && defaults.refreshTokenLifetime == .seconds(30 * 86_400))
        let c = try Configuration.parse("[auth]\npublic_metrics = yes\naccess_token_ttl = 5m\nrefresh_token_ttl = 7d\n", environment: [:])
        #expect(c.publicMetrics && c.accessTokenLifetime == .seconds(300) && c.refreshTokenLifetime == .seconds(7 * 86_400))
        #expect(throws: ConfigurationError.self) { try Configuration.parse("[auth]\npublic_metrics = maybe\n", environment: [:]) }
        #expect(throws: ConfigurationError.self) { try Configuration.parse("[auth]\naccess_token_ttl = 2d\n", environment: [:]) }
    }
}
