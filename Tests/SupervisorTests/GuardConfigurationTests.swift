import Testing
@testable import API
@testable import Control
@testable import Supervisor

/// `[limits]`, `[audit]` and the `[http]` keys of the guards.
@Suite struct GuardConfigurationTests {
    @Test func limitsHostsOriginsTLSAndRetentionAreRead() throws {
        let c = try Configuration.parse("""
            [http]
            listen = 127.0.0.1:8750
            allowed_hosts = botvisor.example.com, 127.0.0.1:8750
            cors_origins = https://grafana.example.com http://localhost:3000
            tls_certificate = /etc/botvisor/cert.pem
            tls_key = /etc/botvisor/key.pem
            [limits]
            api = 100/10s
            lifecycle = 5/1m
            bulk = 2/1h
            max_tracked = 500
            [audit]
            retention = 90d
            """, environment: [:])
        #expect(c.allowedHosts == ["botvisor.example.com", "127.0.0.1:8750"])
        #expect(c.corsOrigins == ["https://grafana.example.com", "http://localhost:3000"])
        #expect(c.tlsCertificate == "/etc/botvisor/cert.pem" && c.tlsKey == "/etc/botvisor/key.pem")
        #expect(c.limits.api == .init(100, per: .seconds(10)))
        #expect(c.limits.bulk == .init(2, per: .seconds(3600)))
        #expect(c.auditRetention == .seconds(90 * 86_400))
        let settings = RateLimits.Settings(c.limits)
        #expect(settings.lifecycle.policyHeaderValue == "\"lifecycle\";q=5;w=60")
        #expect(settings.capacity == 500)
    }

    @Test func badGuardSettingsAreRefusedWithTheLine() {
        for (text, line, words) in [
            ("[limits]\napi = lots", 2, "requests/window"),
            ("[limits]\nbulk = 0/1m", 2, "requests/window"),
            ("[limits]\nenabled = maybe", 2, "yes or no"),
            ("[http]\ncors_origins = https://x.example/path", 2, "no path"),
            ("[http]\ntls_certificate = /a.pem", 2, "both or neither"),
        ] {
            #expect {
                _ = try Configuration.parse(text, file: "f.conf", environment: [:])
            } throws: { error in
                let description = "\(error)"
                return description.hasPrefix("f.conf:\(line): ") && description.contains(words)
            }
        }
    }

    @Test func theDefaultHostsAreTheListenAddressAndLoopbackWithThePort() {
        let hosts = CrossSiteMiddleware.Settings(allowedHosts: CrossSiteMiddleware.Settings.defaultHosts(listenHost: "127.0.0.1", port: 8750))
        #expect(hosts.allows(authority: "127.0.0.1:8750"))
        #expect(hosts.allows(authority: "LOCALHOST:8750"))
        #expect(hosts.allows(authority: "[::1]:8750"))
        #expect(!hosts.allows(authority: "localhost"))
        #expect(!hosts.allows(authority: "evil.example:8750"))
        let named = CrossSiteMiddleware.Settings(allowedHosts: ["botvisor.example.com"])
        #expect(named.allows(authority: "botvisor.example.com") && named.allows(authority: "botvisor.example.com:443"))
        #expect(!named.allows(authority: "botvisor.example.com.evil.example"))
    }
}
