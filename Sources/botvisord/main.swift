import BotWorker
import Glibc
import Supervisor

// `botvisord worker --ipc PATH --bot NAME` is the worker itself: botvisord
// spawns itself this way when no botvisor-worker binary sits beside it.
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == WorkerCommand.workerModeArgument {
    exit(await WorkerMain.main(Array(arguments.dropFirst())))
}
exit(await DaemonMain.main(arguments))
