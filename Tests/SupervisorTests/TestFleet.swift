import Fleet
import Logging
import Store

/// A fleet over a real store whose workers never run (`/bin/false`): for API and feed tests that need
/// the fleet's bots and events, not its processes.
enum TestFleet {
    static func idle(store: SupervisorStore, dir: String, apiBase: String = "http://127.0.0.1:1") -> Fleet {
        let environment = BotSupervisor.Environment(workerPath: "/bin/false", ipcSocketPath: "\(dir)/ipc.sock", apiBase: apiBase,
                                                    heartbeatInterval: .seconds(1), heartbeatTimeout: .seconds(5), stopTimeout: .seconds(1),
                                                    workerEnvironment: [:], records: store, sessions: store)
        return Fleet(repository: store, environment: environment, restart: .init(), logger: Logger(label: "test"))
    }
}
