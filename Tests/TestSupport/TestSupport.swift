import Foundation
import IOCore
import Synchronization

/// An external program a test talks to (curl, openssl, python3 ...).
public struct Peer: Sendable {
    public let name: String
    /// How to install it on Debian, for the skip message.
    public let install: String

    public init(_ name: String, install: String) {
        self.name = name
        self.install = install
    }

    public static let curl = Peer("curl", install: "apt-get install curl")
    public static let openssl = Peer("openssl", install: "apt-get install openssl")
    public static let sqlite3 = Peer("sqlite3", install: "apt-get install sqlite3")
    public static let python3 = Peer("python3", install: "apt-get install python3")

    /// The absolute path of the program on PATH, if any.
    public var path: String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for dir in dirs {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public var isAvailable: Bool { path != nil }

    /// The skip comment shown when the peer is missing.
    public var missing: Comment { Comment(rawValue: "\(name) not found: install it with `\(install)` (or run .ci/run)") }
}

import Testing

/// A Python module a test drives (websockets ...), found with `python3 -c "import NAME"`.
public struct PythonModule: Sendable {
    public let name: String
    public let pip: String
    public init(_ name: String, pip: String? = nil) {
        self.name = name
        self.pip = pip ?? name
    }

    /// Whether `python3 -c "import NAME"` succeeds. Checked once per module (concurrent callers share the one
    /// check) and awaited, never waited for: importing a module such as schemathesis takes seconds of CPU on a
    /// loaded machine, and a check that blocked a thread of the cooperative pool (two threads on two cores)
    /// would stall every suite running beside it. Use it as `.enabled(module.missing) { await module.available() }`.
    public func available() async -> Bool {
        await PythonModule.checks.result(for: name)
    }

    static let checks = Checks()

    actor Checks {
        private var running: [String: Task<Bool, Never>] = [:]

        func result(for name: String) async -> Bool {
            if let check = running[name] { return await check.value }
            let check = Task<Bool, Never> {
                guard let python = Peer.python3.path,
                      let result = try? await runProcess(python, ["-c", "import \(name)"], timeout: .seconds(120)) else { return false }
                return result.status == 0
            }
            running[name] = check
            return await check.value
        }
    }

    public var missing: Comment { Comment(rawValue: "python module \(name) not found: install it with `pip install \(pip)` (or run .ci/run)") }
}

/// The outcome of a finished child process.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program to completion (killed at `timeout`) and captures its output.
/// Everything waits on the reactor: a test must never block the cooperative
/// pool, or the server it talks to (on the same pool) starves.
public func runProcess(_ path: String, _ arguments: [String], stdin: String? = nil,
                       environment: [String: String]? = nil, timeout: Duration = .seconds(30)) async throws -> ProcessResult {
    let timeout = max(timeout, testPatience)
    let child = try ChildProcess(path: path, arguments: arguments,
                                 environment: environment ?? ProcessInfo.processInfo.environment,
                                 output: .separate, stdin: stdin != nil)
    let deadline = ContinuousClock.now + timeout
    if let stdin, let input = child.input {
        try? await input.write(Array(stdin.utf8), deadline: deadline)
        input.close()
    }
    do {
        async let out = child.output!.readToEnd(deadline: deadline)
        async let err = child.errorOutput!.readToEnd(deadline: deadline)
        let (o, e) = try await (out, err)
        let status = try await child.waitForExit(deadline: deadline)
        let code: Int32
        switch status {
        case .exited(let c): code = c
        case .signaled(let sig): code = 128 + sig
        }
        return ProcessResult(status: code, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    } catch {
        child.signalGroup(SIGKILL)
        _ = try? await child.waitForExit()
        throw error
    }
}

/// Waits until `condition` holds, checking every few milliseconds, or fails at `timeout`.
/// `timeout` is at least `testPatience`: a wait's deadline only bounds how long a failing test takes to say so
/// (no test asserts a latency), and on a loaded 2-core machine a condition that is true a second later
/// idle may take tens of seconds.
public func eventually(timeout: Duration = .seconds(10), _ what: String = "condition",
                       _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + max(timeout, testPatience)
    while true {
        if try await condition() { return }
        if ContinuousClock.now > deadline { throw TimedOutWaiting(what: what) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// The least any test waits for something that should happen: 60 s, or `BOTVISOR_TEST_PATIENCE` seconds.
public let testPatience: Duration = .seconds(Int(ProcessInfo.processInfo.environment["BOTVISOR_TEST_PATIENCE"] ?? "") ?? 60)
/// `testPatience` in whole seconds, for a peer's own timeout option (`curl --max-time`): a peer must not give
/// up on a server the loaded test process has not scheduled yet sooner than the test itself would.
public let testPatienceSeconds = String(testPatience.components.seconds)

/// `eventually` gave up.
public struct TimedOutWaiting: Error, CustomStringConvertible {
    public var what: String
    public var description: String { "timed out waiting for \(what)" }
}

/// A fresh temporary directory, removed after `body`.
public func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("botvisor-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// A long-running child process (a peer server), killed with its process group when stopped.
public final class BackgroundProcess: Sendable {
    public let child: ChildProcess
    /// Every line the process printed and the test has not read yet, and whether its output ended.
    /// A task reads the output from the start, whether or not the test ever asks for a line: a process
    /// whose pipe nobody drains blocks on its next write once the pipe holds 64 KiB (a daemon that logs
    /// every request would stop answering in the middle of a test).
    private let output = OutputLines()

    final class OutputLines: Sendable {
        let state = Mutex<(lines: [String], next: Int, ended: Bool)>(([], 0, false))
    }

    /// With `stdin`, `writeLine` talks to the process (a scripted peer that waits for the test's go-ahead).
    public init(_ path: String, _ arguments: [String], environment: [String: String]? = nil, stdin: Bool = false) throws {
        child = try ChildProcess(path: path, arguments: arguments,
                                 environment: environment ?? ProcessInfo.processInfo.environment, output: .merged, stdin: stdin)
        let stream = child.output!
        let output = self.output
        Task.detached {
            let reader = LineReader()
            while let line = try? await reader.next(from: stream, deadline: nil) {
                output.state.withLock { $0.lines.append(line) }
            }
            output.state.withLock { $0.ended = true }
        }
    }

    /// Writes one line to the process's stdin (started with `stdin: true`).
    public func writeLine(_ line: String) async throws {
        try await child.input!.write(Array((line + "\n").utf8), deadline: .now + .seconds(10))
    }

    public var pid: Int32 { child.pid }

    /// The next line the process printed (stdout and stderr merged), or nil at end of output.
    public func readLine(deadline: Deadline? = .now + .seconds(30)) async throws -> String? {
        while true {
            let (line, ended): (String?, Bool) = output.state.withLock { o in
                guard o.next < o.lines.count else { return (nil, o.ended) }
                defer {
                    o.next += 1
                    // Read lines are dropped now and then, not one by one.
                    if o.next >= 4096 { o.lines.removeFirst(o.next); o.next = 0 }
                }
                return (o.lines[o.next], false)
            }
            if let line { return line }
            if ended { return nil }
            if let deadline, Deadline.now >= deadline { throw DeadlineExceeded() }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Reads lines until one satisfies `predicate`; returns it.
    public func waitForLine(deadline: Deadline = .now + .seconds(30), _ predicate: (String) -> Bool) async throws -> String {
        while let line = try await readLine(deadline: deadline) {
            if predicate(line) { return line }
        }
        throw TimedOutWaiting(what: "a matching line of output")
    }

    public func stop() async {
        if child.exitStatus == nil {
            child.signalGroup(SIGTERM)
            if (try? await child.waitForExit(deadline: .now + .seconds(5))) == nil {
                child.signalGroup(SIGKILL)
                _ = try? await child.waitForExit()
            }
        }
    }

    deinit {
        if child.exitStatus == nil { child.signalGroup(SIGKILL) }
    }
}

/// Splits a stream into lines across calls.
final class LineReader: @unchecked Sendable {
    // because only the one task that owns a BackgroundProcess reads its lines.
    private var buffer: [UInt8] = []

    func next(from stream: SocketStream, deadline: Deadline?) async throws -> String? {
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeFirst(nl + 1)
                return line
            }
            var chunk: [UInt8] = []
            if try await stream.read(into: &chunk, maxLength: 4096, deadline: deadline) == 0 {
                if buffer.isEmpty { return nil }
                defer { buffer.removeAll() }
                return String(decoding: buffer, as: UTF8.self)
            }
            buffer.append(contentsOf: chunk)
        }
    }
}

/// Waits until a TCP port accepts connections.
public func waitForPort(_ port: Int, host: String = "127.0.0.1", timeout: Duration = .seconds(15)) async throws {
    try await eventually(timeout: timeout, "port \(port) to listen") {
        do {
            let s = try await SocketStream.connect(host: host, port: port, deadline: .now + .seconds(1))
            s.close()
            return true
        } catch {
            return false
        }
    }
}

/// A free TCP port on loopback (bind to 0, read it, close).
public func freePort() throws -> Int {
    let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
    defer { listener.close() }
    return listener.port
}

/// The path of a product built beside the test bundle (`botvisord`, `botvisor-worker` ...).
public func productPath(_ name: String) -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent(name).path
}

/// The repository's root directory (for etc/, systemd/ and scripts).
public func repositoryRoot(file: String = #filePath) -> String {
    var url = URL(fileURLWithPath: file)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
    }
    return FileManager.default.currentDirectoryPath
}

/// A throwaway certificate authority and certificates made with the `openssl` CLI.
public struct TestPKI: Sendable {
    public let directory: String
    public var caCertificate: String { "\(directory)/ca.pem" }
    /// A server certificate for `localhost` and 127.0.0.1.
    public var serverCertificate: String { "\(directory)/server.pem" }
    public var serverKey: String { "\(directory)/server.key" }
    /// Certificate + key in one file (for servers that take one path).
    public var serverBundle: String { "\(directory)/server-bundle.pem" }

    /// Creates the CA and a server certificate in `directory`.
    public static func make(in directory: String) async throws -> TestPKI {
        guard let openssl = Peer.openssl.path else { throw TimedOutWaiting(what: "openssl") }
        func run(_ args: [String]) async throws {
            let r = try await runProcess(openssl, args, timeout: .seconds(60))
            guard r.status == 0 else { throw PKIError(message: "openssl \(args.first ?? ""): \(r.stderr)") }
        }
        let d = directory
        try await run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                       "-keyout", "\(d)/ca.key", "-out", "\(d)/ca.pem", "-days", "2", "-subj", "/CN=botvisor test CA",
                       "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try await run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                       "-keyout", "\(d)/server.key", "-out", "\(d)/server.csr", "-subj", "/CN=localhost"])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
            .writeAtomically(to: "\(d)/ext.cnf")
        try await run(["x509", "-req", "-in", "\(d)/server.csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key",
                       "-CAcreateserial", "-out", "\(d)/server.pem", "-days", "2", "-extfile", "\(d)/ext.cnf"])
        let bundle = try String(contentsOfFile: "\(d)/server.pem", encoding: .utf8) + String(contentsOfFile: "\(d)/server.key", encoding: .utf8)
        try bundle.writeAtomically(to: "\(d)/server-bundle.pem")
        return TestPKI(directory: d)
    }
}

public struct PKIError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// A process-wide gate for heavy end-to-end tests: those that start a simulator, `botvisord`, workers or
/// other real processes. Swift Testing runs suites in parallel; without the gate a 2-core machine ran a
/// dozen daemons and workers at once (load 12), and CPU starvation showed up as late heartbeats and
/// missed deadlines. Light tests (parsers, state machines, storage) still run in parallel beside them.
/// `BOTVISOR_TEST_HEAVY_WIDTH` sets how many heavy tests may run at once (default 1).
public actor HeavyTestGate {
    public static let shared = HeavyTestGate(width: Int(ProcessInfo.processInfo.environment["BOTVISOR_TEST_HEAVY_WIDTH"] ?? "") ?? 1)

    private let width: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(width: Int) { self.width = max(1, width) }

    func acquire() async {
        if running < width { running += 1; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().resume() }
    }

    /// Runs `body` holding one place in the gate.
    public func withPlace<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }
}

/// The `.heavy` trait: every test case of the suite or test holds a place in `HeavyTestGate` while it runs.
public struct HeavyTestTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        try await HeavyTestGate.shared.withPlace(function)
    }
}

extension Trait where Self == HeavyTestTrait {
    /// Runs one at a time with the other heavy tests (see `HeavyTestGate`).
    public static var heavy: Self { HeavyTestTrait() }
}

extension String {
    /// Writes the string to `path` all at once (a daemon reading it sees the old file or the new one),
    /// without Foundation's `atomically: true`, which leaves a `TemporaryDirectory.*` in /tmp on Linux.
    public func writeAtomically(to path: String) throws {
        try AtomicFile.replace(path, with: Array(utf8))
    }
}
