#!/usr/bin/env python3
"""What the (user_id, started_at) index costs at insert, and what a small hot index merged into the big one
in sorted runs would cost instead (issue 16), with Python's sqlite3 and botvisord's schema and pragmas.

Each variant builds a table of PREFILL rows (every index, FTS5), then times MEASURE rows inserted in
4000-row transactions, as botvisord's writer commits them (FTS5 filled per transaction, rising times):
  today  the user index on command_logs: each row lands on a random leaf of a big index.
  hot H  no user index on command_logs; each transaction copies its rows' (user_id, started_at, rowid) into
         `user_hot`, and every H rows `user_hot` is merged into `user_cold` in key order and emptied, so a
         merge dirties each leaf of the big index about once for many rows.
Then the p50 of a user's last 50 rows (SQL only) in each: one index walk against a union of two.
First a check: with rows still in user_hot, both return the same 50 ids. Variants alternate, so load that comes and goes hits both. Prints the load average of each run.
Usage: Benchmarks/ingest_user_index.py [PREFILL=2000000] [MEASURE=400000] [H=100000] [rounds=1]"""
import os, random, sqlite3, statistics, sys, tempfile, time
PREFILL, MEASURE, H, ROUNDS = [int(a) for a in (sys.argv[1:] + ["2000000", "400000", "100000", "1"][len(sys.argv) - 1:])]
COMMANDS = ["ping", "help", "stock", "balance", "daily", "play", "skip", "queue", "weather", "remind", "poll", "rank"]
ITEMS = ["widget", "gadget", "sprocket", "gizmo", "doohickey"]
T0 = 1_700_000_000_000_000


def records(start, n):
    rnd = random.Random(start)
    for i in range(start, start + n):
        roll, duration, guild = rnd.randrange(1000), rnd.randint(800, 60000), 800_000_000_000_000_000 + rnd.randrange(40)
        yield (str((1 << 60) + i), f"ingest{i % 10}", str(guild), str(guild + 1000 + rnd.randrange(8)),
               str(100_000_000_000_000_000 + rnd.randrange(100_000)), COMMANDS[rnd.randrange(12)],
               f'{{"item":"{ITEMS[roll % 5]} {roll}","quantity":{roll % 9 + 1}}}', T0 + i * 25 - duration, duration,
               "ok" if roll > 45 else "error", None if roll > 45 else "OUT_OF_STOCK", None)


SCHEMA = ["""CREATE TABLE command_logs (id TEXT PRIMARY KEY, bot TEXT NOT NULL, guild_id TEXT, channel_id TEXT, user_id TEXT NOT NULL,
          command TEXT NOT NULL, options TEXT NOT NULL, started_at INTEGER NOT NULL, duration_us INTEGER NOT NULL, outcome TEXT NOT NULL,
          error_code TEXT, error_message TEXT)"""]
INDEXES = ["CREATE INDEX command_logs_bot_time ON command_logs (bot, started_at DESC)",
           "CREATE INDEX command_logs_time ON command_logs (started_at DESC, id DESC, bot, command, outcome, duration_us)",
           "CREATE VIRTUAL TABLE command_logs_fts USING fts5(command, options, error_code, error_message, content='command_logs', content_rowid='rowid')",
           "INSERT INTO command_logs_fts (rowid, command, options, error_code, error_message) SELECT rowid, command, options, error_code, error_message FROM command_logs"]
TODAY = ["CREATE INDEX command_logs_user_time ON command_logs (user_id, started_at DESC)"]
HOT = [f"CREATE TABLE user_{t} (user_id TEXT NOT NULL, started_at INTEGER NOT NULL, log INTEGER NOT NULL, PRIMARY KEY (user_id, started_at DESC, log)) WITHOUT ROWID"
       for t in ("hot", "cold")] + ["INSERT INTO user_cold SELECT user_id, started_at, rowid FROM command_logs ORDER BY 1, 2 DESC, 3"]
PRAGMAS = ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA cache_size = -65536", "PRAGMA wal_autocheckpoint = 20000", "PRAGMA mmap_size = 2147418112"]
INSERT = "INSERT OR IGNORE INTO command_logs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
COLS = "id, bot, guild_id, channel_id, user_id, command, options, started_at, duration_us, outcome, error_code, error_message"
LAST50 = {"today": f"SELECT {COLS} FROM command_logs WHERE user_id = ? ORDER BY started_at DESC, id DESC LIMIT 50",
          "hot": f"""SELECT {COLS} FROM command_logs WHERE rowid IN (SELECT log FROM (SELECT started_at, log FROM user_hot WHERE user_id = ?1
                     UNION ALL SELECT started_at, log FROM user_cold WHERE user_id = ?1) ORDER BY started_at DESC LIMIT 50)
                     ORDER BY started_at DESC, id DESC"""}


def build(path, variant):
    db = sqlite3.connect(path, isolation_level=None)
    for p in PRAGMAS:
        db.execute(p)
    db.execute(SCHEMA[0])
    db.execute("BEGIN"); db.executemany(INSERT, records(0, PREFILL)); db.execute("COMMIT")
    for s in INDEXES + (TODAY if variant == "today" else HOT):
        db.execute(s)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


def measure(db, variant):
    rows = list(records(PREFILL, MEASURE))
    merge = 0.0
    t = time.perf_counter()
    for i in range(0, MEASURE, 4000):
        db.execute("BEGIN")
        last = db.execute("SELECT max(rowid) FROM command_logs").fetchone()[0]
        db.executemany(INSERT, rows[i:i + 4000])
        db.execute("INSERT INTO command_logs_fts (rowid, command, options, error_code, error_message) "
                   "SELECT rowid, command, options, error_code, error_message FROM command_logs WHERE rowid > ?", [last])
        if variant == "hot":
            db.execute("INSERT INTO user_hot SELECT user_id, started_at, rowid FROM command_logs WHERE rowid > ?", [last])
        db.execute("COMMIT")
        if variant == "hot" and (i + 4000) % H == 0:
            m = time.perf_counter()
            db.execute("BEGIN")
            db.execute("INSERT INTO user_cold SELECT * FROM user_hot ORDER BY 1, 2 DESC, 3")
            db.execute("DELETE FROM user_hot")
            db.execute("COMMIT")
            merge += time.perf_counter() - m
    return time.perf_counter() - t, merge


def last50(db, variant):
    rnd, times = random.Random(7), []
    users = [str(100_000_000_000_000_000 + rnd.randrange(100_000)) for _ in range(2000)]
    for u in users:
        t = time.perf_counter()
        db.execute(LAST50[variant], [u]).fetchall()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def check(tmp):
    """Before timing: with 30k rows merged and 8k still in user_hot, both variants return the same 50 ids."""
    global PREFILL, MEASURE, H
    saved, (PREFILL, MEASURE, H) = (PREFILL, MEASURE, H), (30_000, 8_000, 10**9)
    dbs = {v: build(f"{tmp}/check-{v}.db", v) for v in ("today", "hot")}
    for v, db in dbs.items():
        measure(db, v)
    assert dbs["hot"].execute("SELECT count(*) FROM user_hot").fetchone()[0] == MEASURE
    rnd = random.Random(3)
    for _ in range(500):
        u = str(100_000_000_000_000_000 + rnd.randrange(100_000))
        ids = {v: [r[0] for r in db.execute(LAST50[v], [u])] for v, db in dbs.items()}
        assert ids["today"] == ids["hot"], f"user {u}: {ids}"
    for db in dbs.values():
        db.close()
    PREFILL, MEASURE, H = saved
    print("check: the hot index's last 50 equal today's for 500 users, 8,000 rows unmerged", flush=True)


tmp = tempfile.mkdtemp(prefix="bvuseridx-")
try:
    check(tmp)
    for r in range(ROUNDS):
        for variant in (["today", "hot"] if r % 2 == 0 else ["hot", "today"]):
            path = f"{tmp}/{variant}.db"
            for s in ("", "-wal", "-shm"):
                if os.path.exists(path + s):
                    os.remove(path + s)
            db = build(path, variant)
            load = open("/proc/loadavg").read().split()[0]
            seconds, merge = measure(db, variant)
            p50 = last50(db, variant)
            label = "today (user index on command_logs)" if variant == "today" else f"hot index, merged every {H:,} rows"
            print(f"{label}: {PREFILL:,} rows + {MEASURE:,} in {seconds:.2f} s = {1e6 * seconds / MEASURE:.1f} µs/row "
                  f"({MEASURE / seconds:,.0f} rows/s; merges {merge:.2f} s of it); user's last 50 p50 {p50:.3f} ms; load {load}", flush=True)
            db.close()
finally:
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
