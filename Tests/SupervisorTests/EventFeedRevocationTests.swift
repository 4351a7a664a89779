import Foundation
import Control
import Testing
import TestSupport
@testable import Supervisor

/// A revoked credential closes its live connections: a real botvisord, and Python's `websockets` (and a
/// plain HTTP stream for SSE) as its clients, revoking over the daemon's own HTTP API as an admin would.
@Suite(.serialized, .heavy) struct EventFeedRevocationTests {
    static let script = #"""
    import asyncio, http.client, json, sys, threading, time, urllib.error, urllib.request, websockets
    BASE = sys.argv[1]
    HOST, PORT = BASE.split("//")[1].split(":")
    WS = "ws://%s:%s/api/v1/events" % (HOST, PORT)

    def need(action):
        print("NEED " + action, flush=True)
        line = sys.stdin.readline().strip()
        assert line.startswith("OK"), line
        return line[3:]

    # Secrets come over stdin, never argv.
    ADMIN = need("token admin")
    VIEWER = need("token viewer")
    PASSWORD = need("password")

    def call(method, path, token=None, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(BASE + path, method=method, data=data)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                text = r.read()
                return r.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            text = e.read()
            return e.code, json.loads(text) if text else None

    def login(name):
        status, body = call("POST", "/api/v1/auth/login", body={"username": name, "password": PASSWORD})
        assert status == 200, (status, body)
        return body["access_token"]

    def ticket(token):
        status, body = call("POST", "/api/v1/auth/ws-ticket", token, {})
        assert status == 200, (status, body)
        return body["ticket"]

    def admin(method, path, body=None):
        status, reply = call(method, path, ADMIN, body)
        assert status in (200, 204), (method, path, status, reply)
        return reply

    async def recv(ws):
        return json.loads(await asyncio.wait_for(ws.recv(), 60))

    async def opened(url, **options):
        ws = await websockets.connect(url, **options)
        hello = await recv(ws)
        assert hello["type"] == "hello", hello
        return ws

    async def closes(ws, words):
        # The server closes within its check interval; 60 s bounds a failure, it is not a latency check.
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 60)
        except websockets.exceptions.ConnectionClosed as e:
            assert e.rcvd is not None and e.rcvd.code == 1008, e
            assert words in e.rcvd.reason, e.rcvd.reason

    def stream(token, lines):
        # Server-Sent Events over a plain HTTP connection, with a bearer token: every line until the stream ends.
        c = http.client.HTTPConnection(HOST, int(PORT), timeout=120)
        c.request("GET", "/api/v1/events?topics=bots", headers={"Authorization": "Bearer " + token, "Accept": "text/event-stream"})
        r = c.getresponse()
        lines.append("status %d" % r.status)
        for line in r:
            lines.append(line.decode().rstrip("\n"))
        lines.append("END")

    async def until(what, check):
        deadline = time.monotonic() + 60
        while not check():
            assert time.monotonic() < deadline, what
            await asyncio.sleep(0.05)

    async def main():
        # A connection nothing here revokes: it must outlive all of the below.
        bystander = await opened(WS, additional_headers={"Authorization": "Bearer " + ADMIN})

        # An API token revoked by an admin: its WebSocket closes with 1008 and the reason.
        viewer = await opened(WS + "?topics=bots", additional_headers={"Authorization": "Bearer " + VIEWER})
        token_id = [t["id"] for t in admin("GET", "/api/v1/tokens")["tokens"] if t["name"] == "e2e-viewer"][0]
        admin("POST", "/api/v1/tokens/%s/revoke" % token_id)
        await closes(viewer, "API token was revoked")

        # An account disabled: its browser-style connection (a ticket) and its SSE stream both end.
        ada = login("ada")
        ws = await opened(WS + "?ticket=" + ticket(ada))
        lines = []
        reader = threading.Thread(target=stream, args=(ada, lines), daemon=True)
        reader.start()
        await until("the SSE stream said hello", lambda: any('"type":"hello"' in l for l in lines))
        assert lines[0] == "status 200", lines
        admin("PATCH", "/api/v1/users/ada", {"enabled": False})
        await closes(ws, "disabled or deleted")
        await until("the SSE stream ended", lambda: lines[-1:] == ["END"])
        closed = [json.loads(l[6:]) for l in lines if l.startswith("data: ") and '"closed"' in l]
        assert len(closed) == 1 and "disabled or deleted" in closed[0]["data"]["reason"], lines

        # A logout: the connection opened with that login closes, and a ticket it got before is refused.
        bob = login("bob")
        ws = await opened(WS + "?ticket=" + ticket(bob))
        spare = ticket(bob)
        status, _ = call("POST", "/api/v1/auth/logout", bob, {})
        assert status == 204, status
        await closes(ws, "signed out")
        try:
            await websockets.connect(WS + "?ticket=" + spare)
            assert False, "a ticket outlived its login"
        except websockets.exceptions.InvalidStatus as e:
            assert e.response.status_code == 401, e.response.status_code

        # A role change: an admin following the audit topic is demoted, and the connection goes.
        cy = login("cy")
        ws = await opened(WS + "?topics=audit&ticket=" + ticket(cy))
        admin("PATCH", "/api/v1/users/cy", {"role": "viewer"})
        await closes(ws, "account changed")

        # The bystander is still served.
        await bystander.send(json.dumps({"op": "subscribe", "topic": "bots"}))
        m = await recv(bystander)
        assert m["type"] == "subscribed", m
        await bystander.close()
        print("PASS", flush=True)

    asyncio.run(main())
    """#

    @Test(.enabled(EventFeedProtocolTests.websockets.missing) { await EventFeedProtocolTests.websockets.available() })
    func revokingATokenDisablingOrDemotingAnAccountOrSigningOutClosesItsLiveConnections() async throws {
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            let password = "correct horse battery staple"
            // dee: a second admin account, so demoting cy is not refused with LAST_ADMIN.
            for (name, role) in [("ada", "operator"), ("bob", "viewer"), ("cy", "admin"), ("dee", "admin")] {
                let added = try await h.ctl(ControlRequest(command: .userAdd, name: name, role: role, password: password))
                #expect(added.ok, "\(String(describing: added.error))")
            }
            let admin = try await h.adminToken()
            let viewer = try await h.newToken(role: "viewer")
            let (passed, log) = try await EventFeedProtocolTests.runPeer(Self.script, arguments: ["http://127.0.0.1:\(h.httpPort)"]) { action in
                switch action {
                case "token admin": return admin
                case "token viewer": return viewer
                case "password": return password
                default:
                    Issue.record("unknown action \(action)")
                    return ""
                }
            }
            #expect(passed, "\(log.joined(separator: "\n"))")
        }
    }
}
