#!/usr/bin/env python3
"""Command-log query latency at 10M rows through the HTTP API (run through Benchmarks/query.sh).

1. botvisord (release, no bots) starts once so its migrations create botvisor.db, and stops.
2. The generator fills command_logs with ROWS records over the last 30 days (50 bots, ~100k users,
   12 commands, realistic outcomes and durations), inserted in time order as they would arrive:
   indexes and triggers are dropped first and rebuilt afterwards (CREATE INDEX sorts once, FTS5
   'rebuild'), and command_totals is recomputed, so the file is what botvisord would have written.
3. botvisord starts again; a keep-alive HTTP client measures p50/p95 over N requests each of
   a random user's last 50, stats for the last hour, full-text searches (a common and a rare
   word), and /metrics. Beside them, SQL run directly by Python's sqlite3 on the file: the same
   statements, and what the search and /metrics did before (sort every match, scan the log).
Usage: Benchmarks/query.py ROWS REQUESTS BIN_DIR [DB_CACHE_DIR]"""
import http.client, json, os, random, shutil, signal, sqlite3, statistics, subprocess, sys, tempfile, time
from benchlib import run, wait

ROWS = int(sys.argv[1])
REQUESTS = int(sys.argv[2])
BIN = sys.argv[3]
CACHE = sys.argv[4] if len(sys.argv) > 4 else None
HTTP_PORT = 18981
DAY_US = 86_400_000_000
tmp = tempfile.mkdtemp(prefix="bvquery-")
procs = []
COMMANDS = ["ping", "help", "stock", "balance", "daily", "play", "skip", "queue", "weather", "remind", "poll", "rank"]
ITEMS = ["widget", "gadget", "sprocket", "gizmo", "doohickey"]
HEADERS = {}



def start_daemon():
    conf = f"{tmp}/botvisor.conf"
    with open(conf, "w") as f:
        f.write(f"[http]\nlisten = 127.0.0.1:{HTTP_PORT}\n[paths]\nstate_dir = {tmp}/state\nruntime_dir = {tmp}/run\n[limits]\n# Benchmarks measure the daemon, not the rate limiter.\nenabled = no\n[logs]\nlevel = warning\n# The benchmark measures 10M rows: no size cap.\nmax_db_size = 0\n")
    daemon = subprocess.Popen([f"{BIN}/botvisord", "--config", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(daemon)

    def up():
        try:
            c = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=1)
            c.request("GET", "/api/v1/monitoring/health")
            return c.getresponse().status in (200, 503)
        except OSError:
            return False
    # At 10M rows a first start may migrate the log (seconds, more on a loaded machine).
    wait(up, timeout=600, what="botvisord's HTTP port")
    return daemon


def stop_daemon(daemon):
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(30)


def user_id(rnd):
    # A long tail: 30% of commands come from a thousand regulars, the rest from anyone of 100k.
    n = min(int(rnd.paretovariate(1.0)), 1000) - 1 if rnd.random() < 0.3 else rnd.randrange(100_000)
    return str(100_000_000_000_000_000 + n)


def generate(path, rows):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -262144")
    # What the migrations created besides the tables: dropped for the bulk load, recreated after.
    later = [r for r in db.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'command_logs' AND type IN ('index', 'trigger') "
                                    "AND sql IS NOT NULL")]
    for kind, name, _ in later:
        db.execute(f"DROP {kind.upper()} {name}")
    rnd = random.Random(10)
    now = int(time.time() * 1e6)
    start = now - 30 * DAY_US
    step = 30 * DAY_US / rows
    t0 = time.monotonic()
    batch = []
    sql = ("INSERT INTO command_logs (id, bot, guild_id, channel_id, user_id, command, options, started_at, duration_us, outcome, "
           "error_code, error_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    db.execute("BEGIN")
    for i in range(rows):
        started = start + int(i * step) + rnd.randrange(max(1, int(step)))
        roll = rnd.randrange(1000)
        duration = 10_000_000 if roll < 5 else rnd.randint(800, 900_000 if roll < 100 else 60_000)
        if roll < 5:
            outcome, code, msg = "timeout", "TIMEOUT", "handler did not answer within 10 s"
        elif roll < 35:
            outcome, code, msg = "error", "OUT_OF_STOCK", f"{ITEMS[roll % 5]} sold out"
        elif roll < 45:
            outcome, code, msg = "rate_limited", None, None
        else:
            outcome, code, msg = "ok", None, None
        bot = rnd.randrange(50)
        guild = 800_000_000_000_000_000 + bot * 100 + rnd.randrange(20)
        # Snowflake-shaped ids from the start time, unique by the low bits.
        ident = str((((started // 1000) - 1_420_070_400_000) << 22) | (i & 0x3fffff))
        batch.append((ident, f"bot-{bot:02d}", str(guild), str(guild * 10 + rnd.randrange(8)), user_id(rnd),
                      COMMANDS[rnd.randrange(len(COMMANDS))], f'{{"item":"{ITEMS[roll % 5]} {roll}","quantity":{roll % 9 + 1}}}',
                      started, duration, outcome, code, msg))
        if len(batch) == 100_000:
            db.executemany(sql, batch)
            batch.clear()
    db.executemany(sql, batch)
    db.execute("COMMIT")
    print(f"generator   {rows:,} rows inserted in {time.monotonic() - t0:.0f} s", flush=True)
    t1 = time.monotonic()
    for kind, name, create in later:
        db.execute(create)
    db.execute("INSERT INTO command_logs_fts (command_logs_fts) VALUES ('rebuild')")
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'command_totals'").fetchone():
        cols = [r[1] for r in db.execute("PRAGMA table_info(command_totals)")]
        buckets = [c for c in cols if c.startswith("le_")]
        bounds = [5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000]
        db.execute("DELETE FROM command_totals")
        db.execute(f"INSERT INTO command_totals (bot, command, outcome, count, duration_sum_us, {', '.join(buckets)}) "
                   f"SELECT bot, command, outcome, count(*), SUM(duration_us), "
                   f"{', '.join(f'SUM(duration_us <= {b})' for b in bounds[:len(buckets)])} FROM command_logs GROUP BY 1, 2, 3")
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'command_log_blocks'").fetchone():
        # Per 256 rowids the newest start, as botvisord's store keeps it (SupervisorStore+SearchWindow.swift).
        db.execute("DELETE FROM command_log_blocks")
        db.execute("INSERT INTO command_log_blocks SELECT rowid >> 8, max(started_at) FROM command_logs GROUP BY 1")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("ANALYZE")
    db.close()
    print(f"generator   indexes, FTS5 and totals rebuilt in {time.monotonic() - t1:.0f} s "
          f"({os.path.getsize(path) / 2**30:.1f} GiB)", flush=True)


def percentiles(samples):
    samples = sorted(samples)
    return samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def fmt(ms):
    return f"{ms * 1000:7.0f} µs" if ms < 1 else f"{ms:7.2f} ms"


def viewer_token():
    """An API token with the viewer role, from the control socket (every log route needs one)."""
    def create():
        out = subprocess.run([f"{BIN}/botvisorctl", "--socket", f"{tmp}/run/control.sock", "token", "create", "--role", "viewer",
                              "--name", "bench"], capture_output=True, text=True)
        return next((word for word in out.stdout.split() if word.startswith("bva_")), None)
    # The control socket may answer a moment after the HTTP port does.
    return wait(create, timeout=60, step=0.5, what="a viewer token from botvisorctl")


def measure(conn, label, targets, goal_ms=None, pause=0.0, count=None):
    for t in targets[-20:]:  # warm-up (the last ones: a list longer than the run is never repeated)
        conn.request("GET", t, headers=HEADERS)
        conn.getresponse().read()
    time.sleep(1.1 if pause else 0)  # what the warm-up cached has expired
    samples = []
    for i in range(count or REQUESTS):
        time.sleep(pause)
        t0 = time.perf_counter()
        conn.request("GET", targets[i % len(targets)], headers=HEADERS)
        r = conn.getresponse()
        body = r.read()
        samples.append((time.perf_counter() - t0) * 1000)
        if r.status != 200:
            raise RuntimeError(f"{targets[i % len(targets)]}: {r.status} {body[:200]!r}")
    p50, p95 = percentiles(samples)
    verdict = "" if goal_ms is None else f"   goal p50 <= {goal_ms} ms: {'met' if p50 <= goal_ms else 'MISSED'}"
    print(f"botvisord   {label:34s} p50 {fmt(p50)}  p95 {fmt(p95)}  ({len(body):,} bytes){verdict}", flush=True)
    return p50


def direct(db, label, statements, runs=None):
    samples = []
    for i in range(runs or REQUESTS):
        sql, args = statements[i % len(statements)]
        t0 = time.perf_counter()
        db.execute(sql, args).fetchall()
        samples.append((time.perf_counter() - t0) * 1000)
    p50, p95 = percentiles(samples)
    print(f"sqlite3     {label:34s} p50 {fmt(p50)}  p95 {fmt(p95)}  (same SQL, Python sqlite3 on the file)", flush=True)


def main():
    daemon = start_daemon()
    stop_daemon(daemon)
    path = f"{tmp}/state/botvisor.db"
    cached = CACHE and f"{CACHE}/botvisor-{ROWS}.db"
    if cached and os.path.exists(cached):
        shutil.copy(cached, path)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        print(f"generator   reusing {cached}", flush=True)
    else:
        generate(path, ROWS)
        if cached:
            os.makedirs(CACHE, exist_ok=True)
            shutil.copy(path, cached)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rnd = random.Random(7)
    users = [str(100_000_000_000_000_000 + rnd.randrange(100_000)) for _ in range(1000)]
    daemon = start_daemon()
    HEADERS["Authorization"] = f"Bearer {viewer_token()}"
    conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=60)
    counts = [db.execute("SELECT count(*) FROM command_logs WHERE user_id = ?", [u]).fetchone()[0] for u in users[:200]]
    print(f"data        {ROWS:,} rows; sampled users have {statistics.median(counts):.0f} records (median), "
          f"{max(counts)} at most; {db.execute('SELECT count(*) FROM command_logs WHERE started_at >= ?', [int(time.time() * 1e6) - 3_600_000_000]).fetchone()[0]:,} in the last hour",
          flush=True)
    measure(conn, "user's last 50", [f"/api/v1/logs/user/{u}?limit=50" for u in users], 1)
    # The API caches a window's stats for at most 1 s and takes whole minutes: two windows (60 and 61
    # minutes) in turn, one request every 0.51 s, so each finds its window's answer expired and runs the query.
    measure(conn, "stats, last hour (uncached)", ["/api/v1/logs/stats?window=60m", "/api/v1/logs/stats?window=61m"], 10,
            pause=0.51, count=100)
    measure(conn, "stats, last hour (polled, 1 s cache)", ["/api/v1/logs/stats?window=1h"], 10)
    measure(conn, "search q=sprocket (20% of rows)", ["/api/v1/logs?q=sprocket&limit=50"], 5)
    measure(conn, "search q=timeout (0.5% of rows)", ["/api/v1/logs?q=timeout&limit=50"], 5)
    measure(conn, "/metrics", ["/metrics"])
    hour = int(time.time() * 1e6) - 3_600_000_000
    direct(db, "user's last 50", [("SELECT * FROM command_logs WHERE user_id = ? ORDER BY started_at DESC, id DESC LIMIT 51", [u]) for u in users])
    direct(db, "stats rows, last hour", [("SELECT bot, command, outcome, duration_us FROM command_logs WHERE started_at >= ?", [hour])])
    direct(db, "search q=sprocket, sorting matches", [("SELECT l.* FROM command_logs l WHERE l.rowid IN (SELECT rowid FROM command_logs_fts "
                                                       "WHERE command_logs_fts MATCH 'sprocket') ORDER BY l.started_at DESC, l.id DESC LIMIT 51", [])], runs=5)
    direct(db, "metrics, scanning the log", [("SELECT bot, command, outcome, count(*) FROM command_logs GROUP BY bot, command, outcome", [])], runs=2)
    stop_daemon(daemon)


run(main, procs, tmp)
