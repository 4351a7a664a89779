import BotWorker
import BuildInfo
import Glibc
import Supervisor

// `botvisord worker --ipc PATH --bot NAME` is the worker itself: botvisord
// spawns itself this way when no botvisor-worker binary sits beside it.
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == WorkerCommand.workerModeArgument {
    exit(await WorkerMain.main(Array(arguments.dropFirst())))
}
if arguments.contains("--version") {
    print(BuildInfo.versionLine(program: "botvisord"))
    exit(0)
}
exit(await DaemonMain.main(arguments))
