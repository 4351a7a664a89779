#!/usr/bin/env python3
"""Live feed fan-out with a stalled client (run through Benchmarks/fanout.sh).

A release botvisord supervises one bot whose worker is ingest-bench, paced to RATE command records per
second for SECONDS: each record is one `command` event on the feed. CLIENTS WebSocket clients follow
the `commands` topic: CLIENTS-1 healthy ones spread over PROCS processes (so the client side is not the
bottleneck; each reads its sockets by hand), and one stalled client that never reads its socket. Reported:
  - per healthy client: events received (must equal the records the worker had acknowledged), whether
    every client got the same ids (count, first, last and sum alike; ids are shared by every topic, so
    they are not consecutive on one topic), lagged/reset notices and early closes (must be 0);
  - feed to client: receipt minus the event's `time` (when the feed numbered it; 1 ms resolution);
  - the stalled client: what it finds in its socket at the end (events, lagged notices, close code);
  - botvisord's RSS, sampled every second.
Usage: Benchmarks/fanout.py BIN_DIR [SECONDS] [CLIENTS] [RATE] [PROCS]
       Benchmarks/fanout.py --client PORT COUNT [TOPIC]   (a child: token on stdin, then the expected total; events.py
       runs these children too, on the `bots` topic)"""
import base64, json, os, re, socket, subprocess, sys, tempfile, time


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p / 100))] if s else float("nan")


# MARK: WebSocket by hand: Python's websockets costs tens of microseconds a message, and 50 clients at
# 1,000 events/s made the clients the bottleneck. A raw socket and a frame parser cost a few.

def ws_open(port, token, rcvbuf=None, topic="commands"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        # Set before connecting, so the window is small from the start (the kernel rounds it up).
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /api/v1/events?topics={topic} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Authorization: Bearer {token}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


def frames(buffer):
    """Complete frames at the start of `buffer` (server frames are unmasked): (opcode, payload) each, and the rest."""
    out, i, n = [], 0, len(buffer)
    while i + 2 <= n:
        opcode, length, j = buffer[i] & 0x0F, buffer[i + 1] & 0x7F, i + 2
        if length == 126:
            if j + 2 > n:
                break
            length, j = int.from_bytes(buffer[j:j + 2], "big"), j + 2
        elif length == 127:
            if j + 8 > n:
                break
            length, j = int.from_bytes(buffer[j:j + 8], "big"), j + 8
        if j + length > n:
            break
        out.append((opcode, buffer[j:j + length]))
        i = j + length
    return out, buffer[i:]


TAIL = re.compile(rb',"id":(\d+),"time":(\d+),"topic"')


def child(port, count, topic):
    import selectors
    token = sys.stdin.readline().strip()
    sockets = [ws_open(port, token, topic=topic) for _ in range(count)]
    results = [{"events": 0, "first": None, "last": None, "sum": 0, "notices": 0, "closed": None} for _ in sockets]
    buffers = [b""] * count
    latencies = []
    selector = selectors.DefaultSelector()
    for k, s in enumerate(sockets):
        s.setblocking(False)
        selector.register(s, selectors.EVENT_READ, k)
    selector.register(sys.stdin, selectors.EVENT_READ, -1)
    print("READY", flush=True)
    expected, deadline = None, None
    while True:
        if expected is not None and (time.monotonic() > deadline or all(r["events"] >= expected or r["closed"] for r in results)):
            break
        for key, _ in selector.select(timeout=0.5):
            k = key.data
            if k == -1:
                expected, deadline = int(sys.stdin.readline()), time.monotonic() + 60
                selector.unregister(sys.stdin)
                continue
            try:
                data = sockets[k].recv(1 << 18)
            except (BlockingIOError, InterruptedError):
                continue
            if not data:
                results[k]["closed"] = results[k]["closed"] or "eof"
                selector.unregister(sockets[k])
                continue
            now = time.time() * 1000
            got, buffers[k] = frames(buffers[k] + data)
            r = results[k]
            for opcode, payload in got:
                if opcode == 9:
                    # RFC 6455 §5.5.2: answer a ping with a pong carrying its data (client frames are masked; a zero mask).
                    sockets[k].setblocking(True)
                    sockets[k].sendall(bytes([0x8A, 0x80 | len(payload), 0, 0, 0, 0]) + payload)
                    sockets[k].setblocking(False)
                    continue
                if opcode == 8:
                    r["closed"] = int.from_bytes(payload[:2], "big")
                    continue
                m = TAIL.search(payload, max(0, len(payload) - 120))
                if not m:
                    if b'"type":"hello"' not in payload:
                        r["notices"] += 1
                    continue
                i = int(m.group(1))
                if r["first"] is None:
                    r["first"] = i
                r["last"] = i
                r["sum"] += i
                r["events"] += 1
                latencies.append(now - int(m.group(2)))
    for s in sockets:
        s.close()
    print(json.dumps({"clients": results, "latencies": latencies}), flush=True)


# MARK: The stalled client: a WebSocket opened by hand, never read until the end.

def stalled_open(port, token):
    return ws_open(port, token, rcvbuf=4096)


def stalled_drain(s):
    """Reads the socket out (what the server managed to send before it gave up on it): frames by type."""
    s.settimeout(5)
    data, dropped = b"", False
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                dropped = True
                break
            data += chunk
    except socket.timeout:
        pass
    except ConnectionResetError:
        dropped = True
    got, _ = frames(data)
    events = sum(1 for op, p in got if op == 1 and b'"topic"' in p)
    lagged = sum(1 for op, p in got if op == 1 and b'"type":"lagged"' in p)
    close = next(((int.from_bytes(p[:2], "big"), p[2:].decode(errors="replace")) for op, p in got if op == 8), None)
    # dropped: the server ended the connection (end of stream or reset), rather than leaving it open.
    return {"bytes": len(data), "events": events, "lagged": lagged, "close": close, "dropped": dropped}


# MARK: The driver.

def start_clients(port, token, count, processes, procs, topic="commands"):
    """`count` clients of `topic` spread over `processes` children (`--client`), each READY once its sockets are open;
    a child reports when told the total to expect (a line on its stdin)."""
    shares = [count // processes + (1 if i < count % processes else 0) for i in range(processes)]
    children = []
    for n in (n for n in shares if n > 0):
        c = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--client", str(port), str(n), topic],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(c)
        c.stdin.write(token + "\n")
        c.stdin.flush()
        children.append(c)
    for c in children:
        assert c.stdout.readline().strip() == "READY"
    return children


def cpu_seconds(pid):
    """User plus system CPU time of a process (and of its waited-for children), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def main():
    from benchlib import add_bots, admin_token, http_port, run, start_botvisord, wait
    BIN = sys.argv[1]
    SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    CLIENTS = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    RATE = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    PROCS = int(sys.argv[5]) if len(sys.argv) > 5 else 7
    tmp = tempfile.mkdtemp(prefix="bvfanout-")
    procs = []

    def body():
        daemon, ctl = start_botvisord(BIN, tmp, procs, f"[http]\nlisten = 127.0.0.1:0\nmax_event_clients = {CLIENTS + 10}\n"
                                      f"[discord]\napi_base = http://127.0.0.1:1/api/v10\n[limits]\nenabled = no\n[logs]\nlevel = warning\n")
        token = admin_token(ctl, role="viewer", name="fanout")
        add_bots(ctl, tmp, ["bench"])
        port = http_port(tmp)
        wait(lambda: "ready" in subprocess.run(ctl + ["status"], capture_output=True, text=True).stdout, what="bench ready")

        children = start_clients(port, token, CLIENTS - 1, PROCS, procs)
        stalled = stalled_open(port, token)

        rss = [rss_kib(daemon.pid)]
        cpu = {"daemon": cpu_seconds(daemon.pid), "clients": sum(cpu_seconds(c.pid) for c in children)}
        wall = time.monotonic()
        load = open("/proc/loadavg").read().split()[:3]
        with open(f"{tmp}/run/start", "w") as f:
            f.write(f"{SECONDS} {RATE}\n")
        result = f"{tmp}/run/result-bench.txt"
        while not os.path.exists(result):
            time.sleep(1)
            rss.append(rss_kib(daemon.pid))
        cpu = {k: (cpu_seconds(daemon.pid) if k == "daemon" else sum(cpu_seconds(c.pid) for c in children)) - v for k, v in cpu.items()}
        wall = time.monotonic() - wall
        fields = dict(kv.split("=") for kv in open(result).read().split())
        acked = int(fields["acked"])
        for c in children:
            c.stdin.write(f"{acked}\n")
            c.stdin.flush()
        reports = [json.loads(c.stdout.readline()) for c in children]
        rss.append(rss_kib(daemon.pid))
        stalled_report = stalled_drain(stalled)
        clients = [r for rep in reports for r in rep["clients"]]
        latencies = [v for rep in reports for v in rep["latencies"]]
        sent_s = (int(fields["last_ack_us"]) - int(fields["first_send_us"])) / 1e6
        print(f"load average at start: {' '.join(load)}; at end: {' '.join(open('/proc/loadavg').read().split()[:3])}")
        print(f"worker: {fields['sent']} records sent, {acked} acknowledged in {sent_s:.1f} s ({acked / sent_s:.0f}/s)")
        counts = sorted(c["events"] for c in clients)
        print(f"{len(clients)} healthy clients in {len(children)} processes: {counts[0]}..{counts[-1]} events each "
              f"(expected {acked}); same ids at every client: {len({(c['events'], c['first'], c['last'], c['sum']) for c in clients}) == 1}; "
              f"lagged/reset notices {sum(c['notices'] for c in clients)}, closed early {sum(1 for c in clients if c['closed'])}")
        print(f"feed to client (ms): p50 {pct(latencies, 50):.1f}  p99 {pct(latencies, 99):.1f}  max {max(latencies):.1f}  "
              f"({len(latencies)} deliveries)")
        print(f"stalled client's socket at the end: {stalled_report}")
        print(f"botvisord RSS (KiB): start {rss[0]}, max {max(rss)}, end {rss[-1]} ({len(rss)} samples)")
        print(f"CPU over the {wall:.1f} s of sending: botvisord {cpu['daemon']:.1f} s, client processes {cpu['clients']:.1f} s "
              f"(2 cores shared with the machine's other work)")

    run(body, procs, tmp)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        child(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "commands")
    else:
        main()
