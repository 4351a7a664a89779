// botvisor-sim: the Discord simulator as a process.
//   botvisor-sim [--port N] [--heartbeat-ms N] [--bot NAME:TOKEN]... | --version
import BuildInfo
import DiscordSim
import Glibc
import Logging

var port = 0
var configuration = DiscordSimulator.Configuration()
var bots: [(String, String)] = []
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let flag = args.removeFirst()
    switch flag {
    case "--port": port = Int(args.removeFirst()) ?? 0
    case "--heartbeat-ms": configuration.heartbeatInterval = .milliseconds(Int64(args.removeFirst()) ?? 41_250)
    case "--bot":
        let spec = args.removeFirst().split(separator: ":", maxSplits: 1).map(String.init)
        guard spec.count == 2 else { FileDescriptorSink(fd: 2).write(line: "--bot takes NAME:TOKEN\n"); exit(2) }
        bots.append((spec[0], spec[1]))
    case "--version":
        print(BuildInfo.versionLine(program: "botvisor-sim"))
        exit(0)
    case "--help", "-h":
        print("usage: botvisor-sim [--port N] [--heartbeat-ms N] [--bot NAME:TOKEN]... | --version\nServes Discord's REST API at /api/v10, the gateway at /gateway and a control API at /_sim.")
        exit(0)
    default:
        FileDescriptorSink(fd: 2).write(line: "unknown option \(flag)\n")
        exit(2)
    }
}
LoggingSystem.bootstrap(level: .notice)
let sim = try DiscordSimulator(port: port, configuration: configuration)
for (name, token) in bots { await sim.addBot(name: name, token: token) }
FileDescriptorSink(fd: 1).write(line: "discord-sim listening on \(sim.port) api_base=\(sim.apiBase)\n")
await sim.run()
