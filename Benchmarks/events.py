#!/usr/bin/env python3
"""Live feed latency (run through Benchmarks/events.sh).

CLIENTS WebSocket clients subscribe to `bots` on a botvisord whose one bot runs ingest-bench. The bot
is restarted RESTARTS times (POST /api/v1/bots/bench/restart, then wait for ready); every bot.* event
each client receives is timed twice:
  - feed to client: the client's receipt minus the event's `time` (when the feed numbered it, Unix
    ms: millisecond resolution, same host clock);
  - request to client: for the first event of each restart (ready -> stopping), the receipt minus
    when the restart request was sent (HTTP request, supervisor action, fleet event, feed, socket).
One client (Python websockets) runs here and times both; the other CLIENTS-1 are spread over PROCS child
processes that read their sockets by hand (`fanout.py --client PORT COUNT bots`), so no one process's fan-in
over a hundred sockets bounds the figure. Also reported: events each client missed against the one here (must
be 0) and botvisord's RSS.
Usage: Benchmarks/events.py BIN_DIR [RESTARTS] [CLIENTS] [PROCS]"""
import asyncio, json, sys, tempfile, time
import websockets
from benchlib import add_bots, admin_token, call, http_port, run, start_botvisord, wait
from fanout import start_clients

BIN = sys.argv[1]
RESTARTS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
CLIENTS = int(sys.argv[3]) if len(sys.argv) > 3 else 100
PROCS = int(sys.argv[4]) if len(sys.argv) > 4 else 7
tmp = tempfile.mkdtemp(prefix="bvevents-")
procs = []


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p / 100))] if s else float("nan")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def main():
    daemon, ctl = start_botvisord(BIN, tmp, procs, f"[http]\nlisten = 127.0.0.1:0\nmax_event_clients = {CLIENTS + 10}\n"
                                  f"[discord]\napi_base = http://127.0.0.1:1/api/v10\n[restart]\nbackoff_initial = 0\n[logs]\nlevel = warning\n")
    add_bots(ctl, tmp, ["bench"])
    port = http_port(tmp)
    base = f"http://127.0.0.1:{port}"

    # Every route but health needs a token: an admin API token made over the control socket.
    token = admin_token(ctl)

    def state():
        return call("GET", f"{base}/api/v1/bots/bench", token=token)["state"]
    wait(lambda: state() == "ready", what="bench ready")
    children = start_clients(port, token, CLIENTS - 1, PROCS, procs, topic="bots")
    asyncio.run(measure(base, daemon.pid, state, token, children))


async def measure(base, pid, state, token, children):
    url = base.replace("http:", "ws:") + "/api/v1/events?topics=bots"
    clients = [await websockets.connect(url, max_queue=None, additional_headers={"Authorization": f"Bearer {token}"})]
    for c in clients:
        assert json.loads(await c.recv())["type"] == "hello"
    feed_ms, request_ms, ids, notices = [], [], [[] for _ in clients], []
    restart = {"sent": None}

    async def follow(i, c):
        async for text in c:
            now = time.time() * 1000
            m = json.loads(text)
            if m["type"] in ("lagged", "reset"):
                notices.append((i, m["type"]))
                continue
            ids[i].append(m["id"])
            feed_ms.append(now - m["time"])
            # The first event of a restart: the bot leaves ready.
            if m["type"] == "bot.state" and m["data"]["from"] == "ready" and restart["sent"] is not None:
                request_ms.append(now - restart["sent"])

    tasks = [asyncio.create_task(follow(i, c)) for i, c in enumerate(clients)]
    rss_before = rss_kib(pid)
    load = open("/proc/loadavg").read().split()[:3]
    loop = asyncio.get_running_loop()

    def post_restart():
        call("POST", f"{base}/api/v1/bots/bench/restart", token=token)
    for _ in range(RESTARTS):
        restart["sent"] = time.time() * 1000
        await loop.run_in_executor(None, post_restart)
        end = time.monotonic() + 30
        await asyncio.sleep(0.05)
        while await loop.run_in_executor(None, state) != "ready" and time.monotonic() < end:
            await asyncio.sleep(0.02)
    await asyncio.sleep(0.5)
    rss_after = rss_kib(pid)
    closed_early = [(i, c.close_code, c.close_reason) for i, c in enumerate(clients) if c.close_code is not None]
    for c in clients:
        await c.close()
    for t in tasks:
        t.cancel()
    # The children stop once every one of their clients has what the client here got (or after 60 s).
    expected = len(ids[0])
    for c in children:
        c.stdin.write(f"{expected}\n")
        c.stdin.flush()
    reports = [json.loads(c.stdout.readline()) for c in children]
    far = [r for rep in reports for r in rep["clients"]]
    feed_ms += [v for rep in reports for v in rep["latencies"]]
    notices += [r["notices"] for r in far if r["notices"]]
    closed_early += [r["closed"] for r in far if r["closed"]]
    # Ids are shared by every topic: compare what the clients got with one another instead.
    counts = sorted([len(got) for got in ids] + [r["events"] for r in far])
    missed = sum(counts[-1] - n for n in counts)

    print(f"load average at start: {' '.join(load)}; at end: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    print(f"{len(counts)} clients ({len(far)} in {len(children)} processes), {RESTARTS} restarts: {counts[0]}..{counts[-1]} events per client, "
          f"{missed} short of the best, {len(notices)} lagged/reset, {len(closed_early)} closed early {closed_early[:3]}")
    print(f"feed to client (ms, 1 ms resolution): p50 {pct(feed_ms, 50):.1f}  p99 {pct(feed_ms, 99):.1f}  max {max(feed_ms):.1f}"
          f"  ({len(feed_ms)} deliveries)")
    print(f"restart request to the first event at the client here (ms): p50 {pct(request_ms, 50):.1f}  p99 {pct(request_ms, 99):.1f}"
          f"  ({len(request_ms)} deliveries)")
    print(f"botvisord RSS: {rss_before} KiB before, {rss_after} KiB after")


run(main, procs, tmp)
