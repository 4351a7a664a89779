import API
import Auth
import Control

extension RateLimits.Settings {
    /// The `[limits]` section as the API's rate limiter takes it.
    init(_ limits: Configuration.Limits) {
        self.init()
        enabled = limits.enabled
        api = RateLimitPolicy(name: "api", quota: limits.api.quota, window: limits.api.window)
        lifecycle = RateLimitPolicy(name: "lifecycle", quota: limits.lifecycle.quota, window: limits.lifecycle.window)
        bulk = RateLimitPolicy(name: "bulk", quota: limits.bulk.quota, window: limits.bulk.window)
        capacity = limits.maxTracked
    }
}
