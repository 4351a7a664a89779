#!/usr/bin/env python3
"""Stock display benchmark, through botvisord, its workers and the Discord simulator (default limits:
5 message edits per 5 s per channel, 50 requests/s per bot):
  1. latency: a stock change accepted by the API -> the message edited on the simulator, p50/p99,
     with the channel's bucket free (changes rotate over 5 displays, one edit per channel per 6 s);
  2. a burst: CHANGES stock changes as fast as 4 clients send them to one display's product ->
     how long the API took, how many edits Discord got, 429s, whether the final message is exact;
  3. hiding one product across 50 displays on 10 bots -> until every message lacks it, beside the floor
     Discord's limits impose (one edit per display; each channel's bucket is free, so one round trip).
Usage: Benchmarks/stock.py BIN_DIR [changes]   (run through Benchmarks/stock.sh)"""
import functools, http.client, json, subprocess, sys, tempfile, threading, time
import benchlib

BIN = sys.argv[1]
CHANGES = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
SIM_PORT, HTTP_PORT = 18994, 18995
tmp = tempfile.mkdtemp(prefix="bvstock-")
procs = []

TOKEN = {}  # the admin API token, made once botvisord listens

def api(method, path, body=None):
    return benchlib.call(method, f"http://127.0.0.1:{HTTP_PORT}{path}", body, token=TOKEN["admin"])

def sim(method, path, body=None):
    return benchlib.call(method, f"http://127.0.0.1:{SIM_PORT}/_sim{path}", body)

wait = functools.partial(benchlib.wait, step=0.002, retry_on=(OSError,))

def shown(channel):
    return " ".join(m["content"] + json.dumps(m.get("embeds", "")) for m in sim("GET", f"/channels/{channel}/messages"))

def edits(channel):
    return sum(1 for c in sim("GET", "/stats")["rest_calls"] if c["method"] == "PATCH" and c["path"].startswith(f"/channels/{channel}/"))

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

def catalog(name, products):
    c = api("POST", "/api/v1/catalogs", {"name": name})
    for sku, q in products:
        api("POST", f"/api/v1/catalogs/{c['id']}/products", {"sku": sku, "name": f"Product {sku}", "quantity": q})
    return c["id"]

def display(bot, channel, cat):
    d = api("POST", "/api/v1/displays", {"bot": bot, "channel_id": channel, "catalog_id": cat})
    wait(lambda: api("GET", f"/api/v1/displays/{d['id']}")["state"] == "ok", timeout=60, what=f"display {channel}")
    return d["id"]

def main():
    procs.append(subprocess.Popen([f"{BIN}/botvisor-sim", "--port", str(SIM_PORT)], stdout=subprocess.DEVNULL))
    wait(lambda: sim("GET", "/stats"))
    with open(f"{tmp}/botvisor.conf", "w") as f:
        f.write(f"[http]\nlisten = 127.0.0.1:{HTTP_PORT}\n[paths]\nstate_dir = {tmp}/state\nruntime_dir = {tmp}/run\n"
                f"[limits]\n# Benchmarks measure the daemon, not the API's rate limiter.\nenabled = no\n[discord]\napi_base = http://127.0.0.1:{SIM_PORT}/api/v10\n[logs]\nlevel = warning\n")
    procs.append(subprocess.Popen([f"{BIN}/botvisord", "--config", f"{tmp}/botvisor.conf", "--worker", f"{BIN}/botvisor-worker"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    ctl = [f"{BIN}/botvisorctl", "--socket", f"{tmp}/run/control.sock"]
    wait(lambda: subprocess.run(ctl + ["status"], capture_output=True).returncode == 0, what="control socket")
    TOKEN["admin"] = benchlib.admin_token(ctl)
    wait(lambda: api("GET", "/api/v1/bots") is not None)
    bots = [f"shop{b}" for b in range(10)]
    for b in bots:
        sim("POST", "/bots", {"name": b, "token": f"tok-stock-{b}"})
        api("POST", "/api/v1/bots", {"name": b, "token": f"tok-stock-{b}"})
    wait(lambda: all(s["state"] == "ready" for s in api("GET", "/api/v1/bots")), timeout=120, what="bots ready")

    # 1. Latency with free buckets.
    lanes = [(catalog(f"lat{i}", [("x", 1)]), f"900{i}") for i in range(5)]
    for cat, channel in lanes:
        display("shop0", channel, cat)
    latencies = []
    for n in range(20):
        cat, channel = lanes[n % 5]
        q = 1000 + n
        api("PATCH", f"/api/v1/catalogs/{cat}/products/x", {"quantity": q})
        t0 = time.monotonic()
        wait(lambda: f"{q} left" in shown(channel), timeout=30, what="edit")
        latencies.append((time.monotonic() - t0) * 1000)
        time.sleep(1.3)
    print(f"change -> edit latency (bucket free): p50 {pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms, n={len(latencies)}")

    # 2. A burst of CHANGES changes, 4 clients, one product each.
    skus = ["a", "b", "c", "d"]
    cat = catalog("burst", [(s, 1) for s in skus])
    display("shop1", "9100", cat)
    before = edits("9100")
    tmr = sim("GET", "/stats")["too_many_requests"]
    def lane(sku, count):
        conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT)
        for i in range(1, count + 1):
            conn.request("PATCH", f"/api/v1/catalogs/{cat}/products/{sku}", json.dumps({"quantity": 100000 + i}),
                         {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN['admin']}"})
            r = conn.getresponse()
            r.read()
            assert r.status == 200, r.status
    per = CHANGES // len(skus)
    t0 = time.monotonic()
    threads = [threading.Thread(target=lane, args=(s, per)) for s in skus]
    for t in threads: t.start()
    for t in threads: t.join()
    took = time.monotonic() - t0
    final = f"{100000 + per} left"
    wait(lambda: shown("9100").count(final) == len(skus), timeout=60, what="final quantities")
    settled = time.monotonic() - t0
    print(f"burst: {per * len(skus)} changes accepted in {took:.2f} s; final message exact after {settled:.2f} s; "
          f"{edits('9100') - before} edits; {sim('GET', '/stats')['too_many_requests'] - tmr} 429s")

    # 3. Hide one product across 50 displays on 10 bots.
    cat = catalog("wide", [("keep", 5), ("gone", 5)])
    channels = []
    for i, b in enumerate(bots):
        for j in range(5):
            channels.append(f"92{i}{j}")
            display(b, channels[-1], cat)
    time.sleep(5.5)  # let every channel's bucket refill after the first posts
    t0 = time.monotonic()
    api("PATCH", f"/api/v1/catalogs/{cat}/products/gone", {"visible": False})
    wait(lambda: all("Product gone" not in shown(c) for c in channels), timeout=120, what="hidden everywhere")
    print(f"hide one product on 50 displays / 10 bots: {(time.monotonic() - t0) * 1000:.0f} ms "
          f"(floor: one edit per display, buckets free: one round trip)")

benchlib.run(main, procs, tmp)
