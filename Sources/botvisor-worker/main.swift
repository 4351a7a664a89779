import BotWorker
import Glibc
import IOCore

// Block the signals we watch before any thread exists, so only the signalfd sees them.
SignalWatcher.blockEarly([SIGTERM, SIGINT, SIGHUP])
exit(await WorkerMain.main(Array(CommandLine.arguments.dropFirst())))
