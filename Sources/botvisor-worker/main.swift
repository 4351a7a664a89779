import BotWorker
import BuildInfo
import Glibc

if CommandLine.arguments.dropFirst().contains("--version") {
    print(BuildInfo.versionLine(program: "botvisor-worker"))
    exit(0)
}
exit(await WorkerMain.main(Array(CommandLine.arguments.dropFirst())))
