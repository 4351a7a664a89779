/// Worker exit statuses the supervisor acts on (sysexits.h values).
public enum WorkerExitCode {
    /// Discord refused the token (close 4004): do not restart.
    public static let authFailed: Int32 = 77
    /// Discord refused the configuration (close 4010-4014): do not restart.
    public static let configFailed: Int32 = 78
    /// The worker never got its welcome: botvisord could not be reached, or closed the connection, or stayed
    /// silent past the welcome deadline. A start-up failure, not a crash: it does not spend the restart budget.
    public static let supervisorUnreachable: Int32 = 75
    /// The worker was told to stop, or its standalone session ended normally.
    public static let ok: Int32 = 0
}
