import BotWorker
import Foundation

exit(await WorkerMain.main(Array(CommandLine.arguments.dropFirst())))
