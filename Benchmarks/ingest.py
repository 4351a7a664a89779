#!/usr/bin/env python3
"""Command-log ingest beside Python's sqlite3, in one run (run through Benchmarks/ingest.sh).

1. botvisord (release) supervises 10 bots whose worker is `ingest-bench`: each does the real IPC
   handshake, reports ready, then streams `commands` batches of 500 records for DURATION seconds
   with at most 8 batches unacknowledged. Records/s = records acknowledged (so committed) /
   (last ack - first send). After botvisord stops, the rows in botvisor.db are counted and
   compared with what the workers sent and saw acknowledged: nothing may be lost.
2. Python's sqlite3 inserting 1M records of the same shape, 1000 per transaction (executemany), WAL,
   synchronous=NORMAL: into command_logs with two indexes (bot, time) and (user, time), with
   SQLite's default pragmas and with botvisord's (page cache, checkpoint interval, mmap); and into
   the schema botvisord created (every index, FTS5 and its triggers) with botvisord's pragmas.
Usage: Benchmarks/ingest.py DURATION BIN_DIR"""
import os, random, signal, sqlite3, subprocess, sys, tempfile, time
from benchlib import run, wait

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 60
BIN = sys.argv[2]
WORKERS = 10
HTTP_PORT = 18971
tmp = tempfile.mkdtemp(prefix="bvingest-")
procs = []



def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ours():
    conf = f"{tmp}/botvisor.conf"
    with open(conf, "w") as f:
        f.write(f"[http]\nlisten = 127.0.0.1:{HTTP_PORT}\n[paths]\nstate_dir = {tmp}/state\nruntime_dir = {tmp}/run\n[limits]\n# Benchmarks measure the daemon, not the rate limiter.\nenabled = no\n"
                f"[discord]\napi_base = http://127.0.0.1:1/api/v10\n[logs]\nmax_db_size = 0\nlevel = {os.environ.get('INGEST_LOG_LEVEL', 'warning')}\n")
    daemon = subprocess.Popen([f"{BIN}/botvisord", "--config", conf, "--worker", f"{BIN}/ingest-bench"],
                              stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/botvisord.log", "w"))
    procs.append(daemon)
    ctl = [f"{BIN}/botvisorctl", "--socket", f"{tmp}/run/control.sock"]
    wait(lambda: subprocess.run(ctl + ["status"], capture_output=True).returncode == 0, what="control socket")
    with open(f"{tmp}/token", "w") as f:
        f.write("dummy-token-never-used")
    for i in range(WORKERS):
        subprocess.run(ctl + ["bot", "add", f"ingest{i}", "--token-file", f"{tmp}/token"], check=True, stdout=subprocess.DEVNULL)

    def all_ready():
        import json
        out = subprocess.run(ctl + ["status", "--json"], capture_output=True, text=True).stdout
        return sum(1 for b in json.loads(out)["bots"] if b["state"] == "ready") == WORKERS
    wait(all_ready, timeout=60, step=0.2, what="10 bots ready")
    cpu0, t0 = cpu_seconds(daemon.pid), time.monotonic()
    with open(f"{tmp}/run/start.tmp", "w") as f:
        f.write(f"{DURATION}\n")
    os.rename(f"{tmp}/run/start.tmp", f"{tmp}/run/start")
    results = f"{tmp}/run"
    wait(lambda: len([n for n in os.listdir(results) if n.startswith("result-") and n.endswith(".txt")]) == WORKERS,
         timeout=DURATION + 120, step=0.2, what="every worker's result")
    cpu = cpu_seconds(daemon.pid) - cpu0
    wall = time.monotonic() - t0
    sent = acked = 0
    first, last = [], []
    for i in range(WORKERS):
        with open(f"{results}/result-ingest{i}.txt") as f:
            r = dict(kv.split("=") for kv in f.read().split())
        sent += int(r["sent"]); acked += int(r["acked"])
        first.append(int(r["first_send_us"])); last.append(int(r["last_ack_us"]))
    seconds = (max(last) - min(first)) / 1e6
    daemon.send_signal(signal.SIGTERM)
    code = daemon.wait(30)
    db = sqlite3.connect(f"{tmp}/state/botvisor.db")
    rows = db.execute("SELECT count(*) FROM command_logs").fetchone()[0]
    # Every record's options hold the word "item": the index must know every row.
    fts = db.execute("SELECT count(*) FROM command_logs_fts WHERE command_logs_fts MATCH 'options:item'").fetchone()[0]
    schema = [r[0] for r in db.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name LIKE 'command%' AND name NOT LIKE 'command_logs_fts_%' "
        "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END")]
    db.close()
    rate = acked / seconds
    print(f"botvisord   {WORKERS} workers x {DURATION:.0f} s over IPC: {acked:,} records acknowledged in {seconds:.2f} s "
          f"= {rate:,.0f} records/s (botvisord CPU {100 * cpu / wall:.0f}% of one core, {1e6 * cpu / max(acked, 1):.1f} µs per record)")
    lost = sent - rows
    print(f"botvisord   sent {sent:,}, acknowledged {acked:,}, rows in command_logs {rows:,} (full-text index finds {fts:,}), "
          f"lost {lost:,}; botvisord exited {code}")
    for name in sorted(os.listdir(results)):
        if name.startswith("error-"):
            with open(f"{results}/{name}") as f:
                print(f"worker {name[6:-4]}: {f.read().strip()}", file=sys.stderr)
    if rows != sent or acked != sent or fts != rows:
        print("FAIL: records lost or unacknowledged; botvisord's log:", file=sys.stderr)
        with open(f"{tmp}/botvisord.log") as f:
            print("".join(l for l in f.readlines() if "state " not in l), file=sys.stderr)
        sys.exit(1)
    return rate, schema


COMMANDS = ["ping", "help", "stock", "balance", "daily", "play", "skip", "queue", "weather", "remind", "poll", "rank"]
ITEMS = ["widget", "gadget", "sprocket", "gizmo", "doohickey"]


def records(n):
    """The record shape ingest-bench sends, with its rising times: ingest-bench stamps each batch with the
    clock, so rows reach the (user_id, started_at) index in time order. A fixed `now` (as before) made
    Python's times random and its inserts slower than the workload it stands beside. 25 µs per record is
    the spacing of 40,000 records/s."""
    rnd = random.Random(5)
    start = int(time.time() * 1e6)
    out = []
    for i in range(n):
        now = start + i * 25
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
        guild = 800_000_000_000_000_000 + rnd.randrange(40)
        out.append((str((1 << 60) + i), f"ingest{i % 10}", str(guild), str(guild + 1000 + rnd.randrange(8)),
                    str(100_000_000_000_000_000 + rnd.randrange(100_000)), COMMANDS[rnd.randrange(len(COMMANDS))],
                    f'{{"item":"{ITEMS[roll % 5]} {roll}","quantity":{roll % 9 + 1}}}', now - duration, duration, outcome, code, msg))
    return out


# What SupervisorStore sets besides WAL and synchronous=NORMAL.
OUR_PRAGMAS = ["PRAGMA cache_size = -65536", "PRAGMA wal_autocheckpoint = 20000", "PRAGMA mmap_size = 2147418112"]


def python_sqlite(label, schema, rows, pragmas=()):
    path = f"{tmp}/py-{len(schema)}-{len(pragmas)}.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    for p in pragmas:
        db.execute(p)
    for stmt in schema:
        db.execute(stmt)
    sql = ("INSERT OR IGNORE INTO command_logs (id, bot, guild_id, channel_id, user_id, command, options, started_at, duration_us, "
           "outcome, error_code, error_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    # botvisord indexes a transaction's new rows for full-text search in one INSERT ... SELECT (no insert trigger).
    fts = any("command_logs_fts" in s for s in schema) and not any("AFTER INSERT" in s for s in schema)
    t0 = time.perf_counter()
    for i in range(0, len(rows), 1000):
        db.execute("BEGIN")
        last = db.execute("SELECT max(rowid) FROM command_logs").fetchone()[0] or 0
        db.executemany(sql, rows[i:i + 1000])
        if fts:
            db.execute("INSERT INTO command_logs_fts (rowid, command, options, error_code, error_message) "
                       "SELECT rowid, command, options, error_code, error_message FROM command_logs WHERE rowid > ?", [last])
        db.execute("COMMIT")
    seconds = time.perf_counter() - t0
    assert db.execute("SELECT count(*) FROM command_logs").fetchone()[0] == len(rows)
    if fts:
        assert db.execute("SELECT count(*) FROM command_logs_fts WHERE command_logs_fts MATCH 'options:item'").fetchone()[0] == len(rows)
    db.close()
    rate = len(rows) / seconds
    print(f"python      sqlite3 {sqlite3.sqlite_version}, batches of 1000, {label}: {len(rows):,} records in {seconds:.2f} s = {rate:,.0f} records/s")
    return rate


def main():
    rate, schema = ours()
    if os.environ.get("INGEST_SKIP_PYTHON"):
        return
    table = next(s for s in schema if s.startswith("CREATE TABLE command_logs"))
    two = [table, "CREATE INDEX command_logs_bot_time ON command_logs (bot, started_at DESC)",
           "CREATE INDEX command_logs_user_time ON command_logs (user_id, started_at DESC)"]
    rows = records(1_000_000)
    py2 = python_sqlite("two indexes, default pragmas", two, rows)
    py2ours = python_sqlite("two indexes, botvisord's pragmas", two, rows, OUR_PRAGMAS)
    full = python_sqlite("botvisord's schema (4 indexes, FTS5 per transaction) and pragmas", schema, rows, OUR_PRAGMAS)
    print(f"ratio: botvisord ingests at {100 * rate / py2:.0f}% / {100 * rate / py2ours:.0f}% of python with two indexes "
          f"(default / botvisord's pragmas), {100 * rate / full:.0f}% of python with botvisord's schema; "
          f"goal 84,000 records/s {'met' if rate >= 84_000 else 'MISSED'}")


run(main, procs, tmp)
