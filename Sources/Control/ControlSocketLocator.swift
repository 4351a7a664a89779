
/// Where `botvisorctl` looks for botvisord's control socket, in order.
///
/// `--socket PATH`, else `$BOTVISOR_SOCKET`: that path only. Else the runtime directory the daemon
/// would use: `--config`'s `[paths] runtime_dir` when the file sets it (that path only), else the
/// installed daemon's `/run/botvisor` (systemd's `RuntimeDirectory=botvisor`), then `./botvisor-data`
/// (the daemon's default outside systemd, and the demo's).
public struct ControlSocketLocator: Sendable {
    public static let systemRuntimeDirectory = "/run/botvisor"
    public static let localRuntimeDirectory = "./botvisor-data"

    public var socket: String?
    public var configPath: String?
    public var environment: [String: String]

    public init(socket: String?, configPath: String?, environment: [String: String]) {
        self.socket = socket
        self.configPath = configPath
        self.environment = environment
    }

    /// The paths to try, first to last.
    public func candidates() throws -> [String] {
        if let socket { return [socket] }
        if let env = environment["BOTVISOR_SOCKET"], !env.isEmpty { return [env] }
        var directories = [Self.systemRuntimeDirectory, Self.localRuntimeDirectory]
        if let configPath {
            // Read the file as the installed daemon does: under systemd, with RUNTIME_DIRECTORY set.
            let configured = try Configuration.load(path: configPath,
                                                    environment: ["RUNTIME_DIRECTORY": Self.systemRuntimeDirectory]).runtimeDirectory
            if configured != Self.systemRuntimeDirectory { directories = [configured] }
        }
        return directories.map { "\($0)/control.sock" }
    }
}
