import Glibc
import Supervisor

exit(await DaemonMain.main(Array(CommandLine.arguments.dropFirst())))
