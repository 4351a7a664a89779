#!/usr/bin/env python3
"""Bulk messaging benchmark: 500 messages to 50 channels through 10 bots on the Discord
simulator with its default limits (per bot: 50 requests/s global, 5 messages per 5 s per
channel), through a release botvisord and its workers. Reports the job's completion time
beside the floor those limits impose, and the 429s the simulator served.
Usage: Benchmarks/bulk.py BIN_DIR [runs]   (run through Benchmarks/bulk.sh)"""
import functools, math, subprocess, sys, tempfile, time
import benchlib

BIN = sys.argv[1]
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
BOTS, CHANNELS_PER_BOT, PER_CHANNEL = 10, 5, 10
GLOBAL_PER_S, BUCKET, WINDOW_S = 50, 5, 5.0
SIM_PORT, HTTP_PORT = 18992, 18993
tmp = tempfile.mkdtemp(prefix="bvbulk-")
procs = []

TOKEN = {}  # the admin API token, made once botvisord listens

def api(method, path, body=None):
    return benchlib.call(method, f"http://127.0.0.1:{HTTP_PORT}{path}", body, token=TOKEN["admin"])

def sim(method, path, body=None):
    return benchlib.call(method, f"http://127.0.0.1:{SIM_PORT}/_sim{path}", body)

# The API and the simulator refuse connections until they listen.
wait = functools.partial(benchlib.wait, step=0.01, retry_on=(OSError,))

def floor_seconds(targets):
    """The least time Discord's limits allow: each (bot, channel) bucket sends BUCKET per WINDOW_S,
    so n messages need ceil(n/BUCKET)-1 full windows after the first burst; each bot's global
    limit needs ceil(n/GLOBAL_PER_S)-1 seconds. The slowest constraint is the floor."""
    per_bucket, per_bot = {}, {}
    for t in targets:
        per_bucket[(t["bot"], t["channel_id"])] = per_bucket.get((t["bot"], t["channel_id"]), 0) + 1
        per_bot[t["bot"]] = per_bot.get(t["bot"], 0) + 1
    bucket_floor = max((math.ceil(n / BUCKET) - 1) * WINDOW_S for n in per_bucket.values())
    global_floor = max((math.ceil(n / GLOBAL_PER_S) - 1) * 1.0 for n in per_bot.values())
    return max(bucket_floor, global_floor)

def main():
    procs.append(subprocess.Popen([f"{BIN}/botvisor-sim", "--port", str(SIM_PORT)], stdout=subprocess.DEVNULL))
    wait(lambda: sim("GET", "/stats"))
    with open(f"{tmp}/botvisor.conf", "w") as f:
        f.write(f"[http]\nlisten = 127.0.0.1:{HTTP_PORT}\n[paths]\nstate_dir = {tmp}/state\nruntime_dir = {tmp}/run\n[limits]\n# Benchmarks measure the daemon, not the rate limiter.\nenabled = no\n"
                f"[discord]\napi_base = http://127.0.0.1:{SIM_PORT}/api/v10\n[logs]\nlevel = warning\n")
    procs.append(subprocess.Popen([f"{BIN}/botvisord", "--config", f"{tmp}/botvisor.conf", "--worker", f"{BIN}/botvisor-worker"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    ctl = [f"{BIN}/botvisorctl", "--socket", f"{tmp}/run/control.sock"]
    wait(lambda: subprocess.run(ctl + ["status"], capture_output=True).returncode == 0, what="control socket")
    TOKEN["admin"] = benchlib.admin_token(ctl)
    wait(lambda: api("GET", "/api/v1/bots") is not None)
    for b in range(BOTS):
        sim("POST", "/bots", {"name": f"shop{b}", "token": f"tok-bench-{b}"})
        api("POST", "/api/v1/bots", {"name": f"shop{b}", "token": f"tok-bench-{b}"})
    wait(lambda: all(s["state"] == "ready" for s in api("GET", "/api/v1/bots")), timeout=60)
    print(f"{BOTS} bots ready; {BOTS * CHANNELS_PER_BOT * PER_CHANNEL} messages per run, {RUNS} runs")
    results = []
    for n in range(RUNS):
        # Each bot posts to its own channels (fresh ones each run, so every bucket starts full).
        targets = [{"bot": f"shop{b}", "channel_id": f"{n + 1}{b:02d}{c:02d}"}
                   for _ in range(PER_CHANNEL) for b in range(BOTS) for c in range(CHANNELS_PER_BOT)]
        floor = floor_seconds(targets)
        before = sim("GET", "/stats")["too_many_requests"]
        t0 = time.monotonic()
        job = api("POST", "/api/v1/bulk/messages", {"targets": targets, "content": "Restock: widgets are back"})
        job = wait(lambda: (lambda j: j if j["state"] not in ("queued", "running") else None)(api("GET", f"/api/v1/jobs/{job['id']}")),
                   timeout=120, step=0.005)
        wall = time.monotonic() - t0
        server = (job["finished_at"] - job["created_at"]) / 1000
        delivered = sum(len(sim("GET", f"/channels/{c}/messages")) for c in {t["channel_id"] for t in targets})
        served_429 = sim("GET", "/stats")["too_many_requests"] - before
        results.append((server, wall, floor))
        print(f"run {n + 1}: job {job['state']}, {job['progress']['succeeded']}/{len(targets)} ok, delivered {delivered}, "
              f"429s served {served_429}; created->finished {server:.3f} s, POST->seen finished {wall:.3f} s, "
              f"floor {floor:.3f} s, ratio {server / floor:.3f}x")
    best = min(r[0] for r in results)
    print(f"best: {best:.3f} s vs floor {results[0][2]:.3f} s = {best / results[0][2]:.3f}x")

benchlib.run(main, procs, tmp)
