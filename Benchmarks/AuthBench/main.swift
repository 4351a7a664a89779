// auth-bench: the cost of the auth building blocks on this machine (release build).
//   swift run -c release auth-bench [--verifies N] [--hashes N]
// Prints one password hash at today's parameters (PBKDF2-HMAC-SHA256, 600,000
// iterations), and JWT verifications per second with a two-key ring: a first presentation
// (parse, HMAC, claims) and a token presented again (`VerifiedTokenCache` hit).
import Auth
import Crypto
import Glibc

/// CPU seconds this process has used: on a loaded machine wall time overstates the cost.
func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let arguments = Array(CommandLine.arguments.dropFirst())
func argument(_ flag: String, default value: Int) -> Int {
    guard let i = arguments.firstIndex(of: flag), i + 1 < arguments.count, let n = Int(arguments[i + 1]) else { return value }
    return n
}
let hashes = argument("--hashes", default: 5)
let verifies = argument("--verifies", default: 200_000)
let clock = ContinuousClock()

var best = Duration.seconds(3600)
var stored: PasswordHash? = nil
let cpuBefore = cpuSeconds()
for _ in 0..<hashes {
    let elapsed = clock.measure { stored = PasswordHash(password: "correct horse battery staple") }
    best = min(best, elapsed)
}
let cpuPerHash = (cpuSeconds() - cpuBefore) / Double(hashes)
print("password hash: pbkdf2-sha256 \(PasswordHash.currentIterations) iterations, best of \(hashes): \(best) wall, \(Int(cpuPerHash * 1000)) ms CPU each")
let verifyTime = clock.measure { precondition(stored!.verify("correct horse battery staple")) }
print("password verify: \(verifyTime)")

var ring = JWTKeyRing(issuer: "botvisor", current: try SigningKey.generate(id: "k1"))
ring.rotate(to: try SigningKey.generate(id: "k2"))
let now: Int64 = 1_800_000_000
let token = ring.sign(.fresh(issuer: "botvisor", subject: "admin", role: .admin, now: now, lifetime: 900))
var accepted = 0
let cpuBeforeVerify = cpuSeconds()
let elapsed = clock.measure {
    for _ in 0..<verifies {
        if (try? ring.verify(token, now: now + 1)) != nil { accepted += 1 }
    }
}
precondition(accepted == verifies)
let cpuVerify = cpuSeconds() - cpuBeforeVerify
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("jwt verify: \(verifies) in \(elapsed), \(Int(Double(verifies) / seconds))/s (\(token.utf8.count)-byte token); \(Int(Double(verifies) / cpuVerify))/s per CPU second")

// The same token presented again: what every request after a client's first costs.
var cache = VerifiedTokenCache()
_ = try cache.verify(token, ring: ring, now: now + 1)
var cached = 0
let cpuBeforeCached = cpuSeconds()
let elapsedCached = clock.measure {
    for _ in 0..<verifies {
        if (try? cache.verify(token, ring: ring, now: now + 1)) != nil { cached += 1 }
    }
}
precondition(cached == verifies && cache.hits == verifies)
let cpuCached = cpuSeconds() - cpuBeforeCached
let secondsCached = Double(elapsedCached.components.seconds) + Double(elapsedCached.components.attoseconds) / 1e18
print("jwt verify cached: \(verifies) in \(elapsedCached), \(Int(Double(verifies) / secondsCached))/s; \(Int(Double(verifies) / cpuCached))/s per CPU second")
