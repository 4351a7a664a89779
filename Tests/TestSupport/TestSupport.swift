import Foundation
import IOCore

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

    public var isAvailable: Bool {
        guard let python = Peer.python3.path else { return false }
        let result = try? runProcess(python, ["-c", "import \(name)"], timeout: .seconds(20))
        return result?.status == 0
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
public func runProcess(_ path: String, _ arguments: [String], stdin: String? = nil,
                       environment: [String: String]? = nil, timeout: Duration = .seconds(30)) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    let deadline = ContinuousClock.now + timeout
    // Drain both pipes on other threads so a chatty child cannot block on a full pipe.
    let outData = LockedData(), errData = LockedData()
    let group = DispatchGroup()
    for (handle, sink) in [(out.fileHandleForReading, outData), (err.fileHandleForReading, errData)] {
        group.enter()
        DispatchQueue.global().async {
            sink.set(handle.readDataToEndOfFile())
            group.leave()
        }
    }
    while process.isRunning {
        if ContinuousClock.now > deadline {
            process.terminate()
            break
        }
        usleep(2_000)
    }
    process.waitUntilExit()
    group.wait()
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: outData.get(), as: UTF8.self),
                         stderr: String(decoding: errData.get(), as: UTF8.self))
}

final class LockedData: @unchecked Sendable {
    // because every access holds `lock`.
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// Waits until `condition` holds, checking every few milliseconds, or fails at `timeout`.
public func eventually(timeout: Duration = .seconds(10), _ what: String = "condition",
                       _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return }
        if ContinuousClock.now > deadline { throw TimedOutWaiting(what: what) }
        try await Task.sleep(for: .milliseconds(10))
    }
}

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

/// A long-running child process (a peer server) that is killed when stopped or deinitialised.
public final class BackgroundProcess: @unchecked Sendable {
    // because `process` is only mutated in init and stop.
    public let process: Process
    private let output = Pipe()

    public init(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                currentDirectory: String? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Reads the next line the process prints (stdout and stderr merged), or nil at EOF.
    public func readLine() -> String? {
        var bytes: [UInt8] = []
        let handle = output.fileHandleForReading
        while true {
            let chunk = handle.readData(ofLength: 1)
            if chunk.isEmpty { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if chunk[0] == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(chunk[0])
        }
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
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
