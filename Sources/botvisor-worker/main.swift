import BotWorker
import Glibc

exit(await WorkerMain.main(Array(CommandLine.arguments.dropFirst())))
