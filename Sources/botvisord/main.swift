import Foundation
import Glibc
import IOCore
import Logging
import Supervisor

// Block the signals we handle before any thread exists, so only the signalfd sees them.
SignalWatcher.blockEarly([SIGTERM, SIGINT, SIGHUP])
exit(await DaemonMain.main(Array(CommandLine.arguments.dropFirst())))
