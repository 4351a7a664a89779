// swift-tools-version:6.0
// botvisor: no package dependencies. Glibc, libsqlite3 and libssl only.
import PackageDescription
#if canImport(Glibc)
import Glibc
#endif

// Release builds link the Swift runtime statically (`-static-stdlib`), as scripts/install.sh already does with
// `--static-swift-stdlib`: benchmarks measure what is installed, and a process maps only the runtime pages it uses
// (Benchmarks/daemon_memory.sh: botvisord with 50 bots 27.6 -> 25.2 MB). No binary links Foundation: the
// modules use the JSON module's coders, IOCore's file calls and Glibc.
// botvisord is also linked by lld with no exported symbols and, where the C library's loader reads them (glibc 2.36+;
// scripts/install.sh builds on the machine that runs it), packed relative relocations (DT_RELR). Gold wrote 44,000
// RELA entries into botvisord (1 MB, all read at start; 0.6 MB in the worker) and exported 20,000 symbols whose
// tables every library's symbol lookup searches first (0.8 MB resident): botvisord with 50 bots 20.9 -> 19.0 MB beside
// main's. The worker stays on gold: it drops its code pages once ready (Memory.dropCodePages), gold's tables with
// them, and linked by lld it was 0.2 MB larger. Benchmarks/text_pages.py shows what of a binary is resident.
let staticStdlib: [LinkerSetting] = [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))]
#if canImport(Glibc)
let loaderReadsRELR: Bool = {
    var text = [CChar](repeating: 0, count: 64) // "glibc 2.36"
    _ = confstr(Int32(_CS_GNU_LIBC_VERSION), &text, text.count)
    let version = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        .split(whereSeparator: { $0 == " " || $0 == "." }).compactMap { Int($0) }
    return version.count >= 2 && (version[0], version[1]) >= (2, 36)
}()
#else
let loaderReadsRELR = false
#endif
let staticRelease: [LinkerSetting] = [.unsafeFlags(["-static-stdlib", "-use-ld=lld", "-Xlinker", "--no-export-dynamic"]
                                                   + (loaderReadsRELR ? ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"] : []),
                                                   .when(configuration: .release))]
// No module of the worker uses Regex: without the implicit `_StringProcessing` import the worker loads neither
// libswift_StringProcessing nor libswift_RegexParser.
let noRegex: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import"])]

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
        // The version and, when the build passes it, the git commit (`--version` on every binary).
        .target(name: "CBuildInfo", path: "Sources/CBuildInfo"),
        .target(name: "BuildInfo", dependencies: ["CBuildInfo"], swiftSettings: noRegex),

        // Shared plumbing.
        .target(name: "Logging", swiftSettings: noRegex),
        .target(name: "IOCore", dependencies: ["CLinux"], swiftSettings: noRegex),
        .target(name: "TLS", dependencies: ["IOCore", "COpenSSL"], swiftSettings: noRegex),
        .target(name: "HTTP", dependencies: ["IOCore", "TLS", "Logging", "JSON"], swiftSettings: noRegex),
        // AES-256-GCM, SHA-1, SHA-256 and HMAC-SHA256 over OpenSSL.
        .target(name: "Crypto", dependencies: ["COpenSSL"], swiftSettings: noRegex),
        .target(name: "WebSocket", dependencies: ["HTTP", "IOCore", "TLS", "Crypto"], swiftSettings: noRegex),
        .target(name: "Storage", dependencies: ["CSQLite", "IOCore"], swiftSettings: noRegex),
        .target(name: "IPC", dependencies: ["IOCore", "JSON"], swiftSettings: noRegex),
        // Discord's vocabulary (opcodes, close codes, payloads, limits), shared by the worker and the simulator.
        // A JSON value with its own fast parser and serializer.
        .target(name: "JSON", swiftSettings: noRegex),
        .target(name: "Discord", dependencies: ["JSON", "Logging"], swiftSettings: noRegex),
        // Accounts and access: JWT, password hashes, opaque tokens, rate limits, login lockout, the audit chain.
        .target(name: "Auth", dependencies: ["Crypto", "JSON"], swiftSettings: noRegex),

        // A Discord simulator that speaks the real protocol (tests, benchmarks, demo mode).
        .target(name: "DiscordSim", dependencies: ["Discord", "JSON", "HTTP", "WebSocket", "TLS", "IOCore", "Logging"], swiftSettings: noRegex),
        .executableTarget(name: "botvisor-sim", dependencies: ["DiscordSim", "Logging", "BuildInfo"]),

        // The daemon, as layered libraries; each imports only the ones above it in this list.
        // Fleet: worker processes, their IPC server, restart policy and states.
        .target(name: "Fleet", dependencies: ["IPC", "IOCore", "Logging", "Discord", "JSON"], swiftSettings: noRegex),
        // Control: the control socket's protocol, its client and the status table (all botvisorctl links).
        .target(name: "Control", dependencies: ["Fleet", "IPC", "IOCore", "JSON"], swiftSettings: noRegex),
        // Store: the daemon's SQLite schema, command logs, metric samples, jobs tables and sealed tokens.
        .target(name: "Store", dependencies: ["Fleet", "Storage", "IPC", "Crypto", "Logging", "Auth", "IOCore", "JSON"], swiftSettings: noRegex),
        // Operations: bulk jobs and metrics recording, over the fleet and the store.
        .target(name: "Operations", dependencies: ["Fleet", "Store", "IPC", "IOCore", "Logging", "Discord", "JSON"], swiftSettings: noRegex),
        // API: the HTTP routes, their errors, authentication and roles, OpenAPI, Prometheus exposition, response caches,
        // the live event feed (WebSocket and SSE) and the dashboard's static files.
        .target(name: "API", dependencies: ["Fleet", "Store", "Operations", "Auth", "Crypto", "HTTP", "WebSocket", "Storage", "IPC", "Logging", "Discord", "JSON", "BuildInfo", "IOCore"], swiftSettings: noRegex),
        // Supervisor: the composition root (daemon wiring, configuration, systemd, control server, demo mode).
        .target(name: "Supervisor", dependencies: ["Control", "Fleet", "Store", "Operations", "API", "Auth",
                                                  "IPC", "HTTP", "IOCore", "JSON", "Logging", "Discord", "DiscordSim", "TLS"], swiftSettings: noRegex),

        // The worker, as a library with a thin executable.
        .target(name: "BotWorker", dependencies: ["Discord", "JSON", "IPC", "HTTP", "WebSocket", "TLS", "IOCore", "Logging", "CLinux"], swiftSettings: noRegex),
        .executableTarget(name: "botvisord", dependencies: ["Supervisor", "BotWorker", "BuildInfo"], swiftSettings: noRegex, linkerSettings: staticRelease),
        .executableTarget(name: "botvisor-worker", dependencies: ["BotWorker", "BuildInfo"], swiftSettings: noRegex, linkerSettings: staticStdlib),
        .executableTarget(name: "botvisorctl", dependencies: ["Control", "Fleet", "Logging", "IOCore", "BuildInfo", "JSON"]),

        // Benchmarks.
        .executableTarget(name: "http-bench-server", dependencies: ["HTTP", "IOCore", "Logging"], path: "Benchmarks/HTTPBenchServer"),
        .executableTarget(name: "worker-bench", dependencies: ["BotWorker", "Discord", "JSON", "DiscordSim", "IPC", "IOCore", "Logging", "TLS"],
                          path: "Benchmarks/WorkerBench"),
        .executableTarget(name: "auth-bench", dependencies: ["Auth", "Crypto"], path: "Benchmarks/AuthBench"),
        .executableTarget(name: "ingest-bench", dependencies: ["IPC", "IOCore"], path: "Benchmarks/IngestBench"),

        // Tests.
        .target(name: "TestSupport", dependencies: ["IOCore"], path: "Tests/TestSupport"),
        .testTarget(name: "IOCoreTests", dependencies: ["IOCore", "TestSupport"]),
        .testTarget(name: "TLSTests", dependencies: ["TLS", "IOCore", "TestSupport"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "IOCore", "TLS", "JSON", "TestSupport"]),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket", "HTTP", "IOCore", "TestSupport"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestSupport"]),
        .testTarget(name: "LoggingTests", dependencies: ["Logging"]),
        .testTarget(name: "IPCTests", dependencies: ["IPC", "IOCore", "JSON"]),
        .testTarget(name: "FleetTests", dependencies: ["Fleet", "IPC", "IOCore", "Logging"]),
        .testTarget(name: "SupervisorTests", dependencies: ["Supervisor", "Control", "Fleet", "Store", "Operations", "API", "Auth", "Crypto", "Storage", "Discord", "JSON", "DiscordSim", "HTTP", "IPC", "IOCore", "TestSupport", "BuildInfo", "Logging"]),
        .testTarget(name: "DiscordTests", dependencies: ["Discord", "JSON"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"]),
        .testTarget(name: "BotWorkerTests", dependencies: ["BotWorker", "Discord", "JSON", "DiscordSim", "HTTP", "WebSocket", "TLS", "IPC", "IOCore", "TestSupport"]),
        .testTarget(name: "AuthTests", dependencies: ["Auth", "Crypto", "JSON", "IOCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
