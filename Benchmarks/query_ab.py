#!/usr/bin/env python3
"""Before/after on a shared, loaded machine: two botvisord builds serve two copies of query.sh's cached
10M-row database and are measured in alternating rounds, so load that comes and goes hits both alike.
Response bodies of the same request must be identical. Beside them, in the same rounds, Python's sqlite3 runs the
user's-last-50 SQL directly on the "before" copy (read-only, same users): the figure without HTTP or botvisord.
Usage: Benchmarks/query_ab.py BEFORE_BIN_DIR AFTER_BIN_DIR [rounds=6] [requests per round=50]
(run Benchmarks/query.sh once first; each BIN_DIR holds botvisord and botvisorctl)"""
import http.client, os, random, shutil, signal, sqlite3, statistics, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import wait
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build-bench", "botvisor-10000000.db")
bins = {"before": sys.argv[1], "after": sys.argv[2]}
tmp = tempfile.mkdtemp(prefix="bvqueryab-")
ports = {"before": 18993, "after": 18994}
procs, tokens = {}, {}
for name, b in bins.items():
    d = f"{tmp}/{name}"
    shutil.rmtree(d, ignore_errors=True); os.makedirs(f"{d}/state")
    shutil.copy(SRC, f"{d}/state/botvisor.db")
    with open(f"{d}/c.conf", "w") as f:
        f.write(f"[http]\nlisten = 127.0.0.1:{ports[name]}\n[paths]\nstate_dir = {d}/state\nruntime_dir = {d}/run\n[limits]\nenabled = no\n[logs]\nlevel = warning\nmax_db_size = 0\n")
    procs[name] = subprocess.Popen([f"{b}/botvisord", "--config", f"{d}/c.conf"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def tok():
        out = subprocess.run([f"{b}/botvisorctl", "--socket", f"{d}/run/control.sock", "token", "create", "--role", "viewer", "--name", "ab"], capture_output=True, text=True).stdout
        return next((w for w in out.split() if w.startswith("bva_")), None)
    tokens[name] = wait(tok, timeout=600, step=0.5, what="token")
conns = {n: http.client.HTTPConnection("127.0.0.1", ports[n], timeout=60) for n in bins}
rnd = random.Random(7)
users = [str(100_000_000_000_000_000 + rnd.randrange(100_000)) for _ in range(2000)]
routes = {"user's last 50": lambda i: f"/api/v1/logs/user/{users[i % 2000]}?limit=50",
          "q=timeout (0.5%)": lambda i: "/api/v1/logs?q=timeout&limit=50",
          "q=sprocket (20%)": lambda i: "/api/v1/logs?q=sprocket&limit=50"}
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 6
PER = int(sys.argv[4]) if len(sys.argv) > 4 else 50
samples = {(r, n): [] for r in routes for n in bins}
direct = sqlite3.connect(f"file:{tmp}/before/state/botvisor.db?mode=ro", uri=True)
DIRECT_SQL = "SELECT * FROM command_logs WHERE user_id = ? ORDER BY started_at DESC, id DESC LIMIT 51"
python_samples = []
bodies = {}
loads = []
for rnd_i in range(ROUNDS):
    loads.append(float(open("/proc/loadavg").read().split()[0]))
    for r, path in routes.items():
        for n in (["before", "after"] if rnd_i % 2 == 0 else ["after", "before"]):
            c = conns[n]; h = {"Authorization": f"Bearer {tokens[n]}"}
            for k in range(PER):
                i = rnd_i * PER + k
                t0 = time.perf_counter(); c.request("GET", path(i), headers=h); resp = c.getresponse(); body = resp.read()
                samples[(r, n)].append((time.perf_counter() - t0) * 1e3)
                assert resp.status == 200, (n, resp.status, body[:200])
                if r != "user's last 50" or k == 0: bodies.setdefault((r, n, path(i)), body)
    # The same SQL from Python, for users of the same kind (not the ones just asked: those pages are warm).
    for k in range(PER):
        u = users[(rnd_i * PER + k + 1000) % 2000]
        t0 = time.perf_counter(); direct.execute(DIRECT_SQL, [u]).fetchall()
        python_samples.append((time.perf_counter() - t0) * 1e3)
for r in routes:
    b, a = statistics.median(samples[(r, "before")]), statistics.median(samples[(r, "after")])
    print(f"{r:18s} p50 before {b:6.2f} ms  after {a:6.2f} ms  ({a / b:.2f}x)   p95 {sorted(samples[(r, 'before')])[int(0.95 * len(samples[(r, 'before')]))]:.2f} / {sorted(samples[(r, 'after')])[int(0.95 * len(samples[(r, 'after')]))]:.2f} ms")
print(f"{'same SQL, Python':18s} p50 {statistics.median(python_samples):6.2f} ms (user's last 50 from sqlite3 on the file, no HTTP)")
same = all(bodies.get((r, "before", p)) == bodies.get((r, "after", p)) for (r, n, p) in bodies if n == "before" and (r, "after", p) in bodies)
print(f"identical bodies for the same request: {same}; load average during rounds {min(loads):.1f}-{max(loads):.1f}")
direct.close()
for p in procs.values(): p.send_signal(signal.SIGTERM); p.wait(60)
shutil.rmtree(tmp, ignore_errors=True)
