// swift-tools-version:6.0
// botvisor: no package dependencies. Foundation, Glibc, libsqlite3 and libssl only.
import PackageDescription

let package = Package(
    name: "botvisor",
    products: [
        .executable(name: "botvisord", targets: ["botvisord"]),
        .executable(name: "botvisor-worker", targets: ["botvisor-worker"]),
        .executable(name: "botvisorctl", targets: ["botvisorctl"]),
        .executable(name: "botvisor-sim", targets: ["botvisor-sim"]),
    ],
    targets: [
        // C at the bottom.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        .target(name: "CLinux", path: "Sources/CLinux"),

        // Shared plumbing.
        .target(name: "Logging"),
        .target(name: "IOCore", dependencies: ["CLinux", "Logging"]),
        .target(name: "TLS", dependencies: ["IOCore", "COpenSSL"]),
        .target(name: "HTTP", dependencies: ["IOCore", "TLS", "Logging"]),
        // AES-256-GCM, SHA-1, SHA-256 and HMAC-SHA256 over OpenSSL.
        .target(name: "Crypto", dependencies: ["COpenSSL"]),
        .target(name: "WebSocket", dependencies: ["HTTP", "IOCore", "TLS", "COpenSSL", "Logging"]),
        .target(name: "Storage", dependencies: ["CSQLite", "IOCore", "Logging"]),
        .target(name: "IPC", dependencies: ["IOCore", "Logging"]),
        // Discord's vocabulary (opcodes, close codes, payloads, limits), shared by the worker and the simulator.
        .target(name: "Discord"),
        // Accounts and access: JWT, password hashes, opaque tokens, rate limits, login lockout, the audit chain.
        // Discord only for its JSON value until that moves to its own module.
        .target(name: "Auth", dependencies: ["Crypto", "Discord"]),

        // A Discord simulator that speaks the real protocol (tests, benchmarks, demo mode).
        .target(name: "DiscordSim", dependencies: ["Discord", "HTTP", "WebSocket", "TLS", "IOCore", "Logging"]),
        .executableTarget(name: "botvisor-sim", dependencies: ["DiscordSim", "Logging"]),

        // The daemon and the worker, as libraries with thin executables.
        .target(name: "Supervisor", dependencies: ["IPC", "HTTP", "WebSocket", "Storage", "IOCore", "Logging", "COpenSSL", "CLinux",
                                                  "Discord", "DiscordSim"]),
        .target(name: "BotWorker", dependencies: ["Discord", "IPC", "HTTP", "WebSocket", "TLS", "IOCore", "Logging"]),
        .executableTarget(name: "botvisord", dependencies: ["Supervisor"]),
        .executableTarget(name: "botvisor-worker", dependencies: ["BotWorker"]),
        .executableTarget(name: "botvisorctl", dependencies: ["Supervisor", "Logging"]),

        // Benchmarks.
        .executableTarget(name: "http-bench-server", dependencies: ["HTTP", "IOCore", "Logging"], path: "Benchmarks/HTTPBenchServer"),
        .executableTarget(name: "worker-bench", dependencies: ["BotWorker", "Discord", "DiscordSim", "IPC", "IOCore", "Logging"],
                          path: "Benchmarks/WorkerBench"),
        .executableTarget(name: "auth-bench", dependencies: ["Auth", "Crypto"], path: "Benchmarks/AuthBench"),
        .executableTarget(name: "ingest-bench", dependencies: ["IPC", "IOCore"], path: "Benchmarks/IngestBench"),

        // Tests.
        .target(name: "TestSupport", dependencies: ["IOCore"], path: "Tests/TestSupport"),
        .testTarget(name: "IOCoreTests", dependencies: ["IOCore", "TestSupport"]),
        .testTarget(name: "TLSTests", dependencies: ["TLS", "IOCore", "TestSupport"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "IOCore", "TLS", "TestSupport"]),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket", "HTTP", "IOCore", "TestSupport"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestSupport"]),
        .testTarget(name: "LoggingTests", dependencies: ["Logging"]),
        .testTarget(name: "IPCTests", dependencies: ["IPC", "IOCore"]),
        .testTarget(name: "SupervisorTests", dependencies: ["Supervisor", "Discord", "DiscordSim", "HTTP", "IPC", "IOCore", "TestSupport"]),
        .testTarget(name: "DiscordTests", dependencies: ["Discord"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"]),
        .testTarget(name: "AuthTests", dependencies: ["Auth", "Crypto", "Discord", "IOCore", "TestSupport"]),
        .testTarget(name: "BotWorkerTests", dependencies: ["BotWorker", "Discord", "DiscordSim", "HTTP", "WebSocket", "TLS", "IPC", "IOCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
