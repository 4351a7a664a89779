// Serves GET /bench with a small JSON body, for Benchmarks/http.sh.
import HTTP
import IOCore
import Logging

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8751 : 8751
LoggingSystem.bootstrap(level: .warning)
let body = Array(#"{"status":"ok","bots":3,"ready":3}"#.utf8)
var router = Router()
router.add(.get, "/bench", immediate: { _, _ in HTTPResponse(headers: ["Content-Type": "application/json"], bytes: body) })
let server = try HTTPServer(port: port, responder: router)
print("listening on \(server.port)")
await server.run()
