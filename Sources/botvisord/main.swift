import BuildInfo
import Glibc
import Supervisor

if CommandLine.arguments.dropFirst().contains("--version") {
    print(BuildInfo.versionLine(program: "botvisord"))
    exit(0)
}
exit(await DaemonMain.main(Array(CommandLine.arguments.dropFirst())))
