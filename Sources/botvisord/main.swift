import Foundation
import Supervisor

exit(await DaemonMain.main(Array(CommandLine.arguments.dropFirst())))
