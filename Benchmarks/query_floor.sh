#!/usr/bin/env bash
# The SQLite floor under the user's last 50, without HTTP or Swift: the reader's exact statement, prepared once,
# stepped in C over a copy of query.sh's cached 10M-row file, for users never asked before (each case its own
# 1000 users, as the API benchmark's random users are). Cases: the reader's pragmas (mmap), pread (Python's
# default), `PRAGMA query_only` set before each query as DatabaseQueue.read did (every statement expired, so
# compiled again; also for one user asked again and again), and both page modes while another connection commits every 10 ms (as ingest does).
#   Benchmarks/query_floor.sh        (run Benchmarks/query.sh once first)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=.build-bench/botvisor-10000000.db
[ -f "$SRC" ] || { echo "no $SRC: run Benchmarks/query.sh first" >&2; exit 1; }
tmp=$(mktemp -d /tmp/bvfloor-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
cp "$SRC" "$tmp/db"
cat > "$tmp/floor.c" <<'C'
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double ms(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
/* floor DB MMAP(0/1) TOGGLE(0/1) < users: one BEGIN/SELECT/COMMIT per user, every column read, as the reader does. */
int main(int argc, char **argv) {
    sqlite3 *db; sqlite3_stmt *s, *b, *c;
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, 0)) return 1;
    sqlite3_exec(db, "PRAGMA cache_size = -65536", 0, 0, 0);
    if (atoi(argv[2])) sqlite3_exec(db, "PRAGMA mmap_size = 2147418112", 0, 0, 0);
    int toggle = atoi(argv[3]);
    const char *sql = "SELECT l.id, l.bot, l.guild_id, l.channel_id, l.user_id, l.command, l.options, l.started_at, l.duration_us, "
                      "l.outcome, l.error_code, l.error_message FROM command_logs l WHERE l.user_id = ? "
                      "ORDER BY l.started_at DESC, l.id DESC LIMIT 51";
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, 0)) { fprintf(stderr, "%s\n", sqlite3_errmsg(db)); return 1; }
    sqlite3_prepare_v2(db, "BEGIN DEFERRED TRANSACTION", -1, &b, 0);
    sqlite3_prepare_v2(db, "COMMIT TRANSACTION", -1, &c, 0);
    static char users[1000][32]; static double t[1000]; int n = 0; long sink = 0;
    while (n < 1000 && scanf("%31s", users[n]) == 1) n++;
    for (int i = 0; i < n; i++) {
        if (toggle) sqlite3_exec(db, "PRAGMA query_only = 1", 0, 0, 0);
        double t0 = ms();
        sqlite3_step(b); sqlite3_reset(b);
        sqlite3_bind_text(s, 1, users[i], -1, SQLITE_STATIC);
        while (sqlite3_step(s) == SQLITE_ROW)
            for (int k = 0; k < 12; k++) sink += sqlite3_column_type(s, k) == SQLITE_TEXT ? sqlite3_column_bytes(s, k) : sqlite3_column_int64(s, k);
        sqlite3_reset(s);
        sqlite3_step(c); sqlite3_reset(c);
        t[i] = ms() - t0;
        if (toggle) sqlite3_exec(db, "PRAGMA query_only = 0", 0, 0, 0);
    }
    qsort(t, n, sizeof t[0], cmp);
    printf("p50 %.3f ms  p95 %.3f ms  (%d queries, statement compiled again %d times)\n", t[n / 2], t[n * 95 / 100], n,
           sqlite3_stmt_status(s, SQLITE_STMTSTATUS_REPREPARE, 0));
    return sink == 42;
}
C
gcc -O2 -o "$tmp/floor" "$tmp/floor.c" -lsqlite3
users() { python3 -c "import random; r = random.Random($1); print('\n'.join(str(100_000_000_000_000_000 + r.randrange(100_000)) for _ in range(1000)))"; }
same_user() { python3 -c "print('\n'.join(['100000000000054321'] * 1000))"; }
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
seed=100
run() { seed=$((seed + 1)); printf '%-44s ' "$1"; users $seed | "$tmp/floor" "$tmp/db" "$2" "$3"; }
# One user asked 1000 times: every page already cached, so what is left is the statement's own work.
same_user | "$tmp/floor" "$tmp/db" 1 0 >/dev/null  # warm-up: maps the user's pages
for toggle in 0 1 0 1; do printf '%-44s ' "same user again and again, query_only $toggle"; same_user | "$tmp/floor" "$tmp/db" 1 $toggle; done
for round in 1 2; do
    run "mmap (the reader's pragmas)" 1 0
    run "pread (Python's default)" 0 0
    run "mmap, query_only set around each query" 1 1
done
python3 - "$tmp/db" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("CREATE TABLE IF NOT EXISTS floor_writes (v)")
while True:
    db.execute("INSERT INTO floor_writes VALUES (1)"); time.sleep(0.01)
PY
sleep 1
for round in 1 2; do
    run "mmap, another connection commits every 10 ms" 1 0
    run "pread, another connection commits every 10 ms" 0 0
done
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
