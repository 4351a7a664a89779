#!/usr/bin/env bash
# What authentication costs a request, in one run against one release botvisord:
#   Benchmarks/auth_throughput.sh [seconds]    (default 5 per measurement)
# 1. GET /api/v1/monitoring/health without a token (the one public route),
# 2. GET /api/v1/bots with a valid access token (JWT, HS256, from POST /api/v1/auth/login),
# 3. GET /api/v1/bots with an API token (bva_..., one SHA-256 and a lookup),
# each `wrk -t2 -c32` for the given seconds; then the login time (one PBKDF2-HMAC-SHA256 at 600,000
# iterations, timed by curl, best of 3) and, from auth-bench, the CPU cost of one JWT verification,
# which divided by the time of one authenticated request is the share of the request the check costs.
# The fleet is empty, so /api/v1/bots does about the work of health (a small JSON body).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-5}
command -v wrk >/dev/null || { echo "missing wrk: apt-get install wrk" >&2; exit 1; }
# BOTVISOR_SCRATCH=DIR builds in DIR instead of .build (beside a test run that holds .build's lock).
scratch=(); [[ -n ${BOTVISOR_SCRATCH:-} ]] && scratch=(--scratch-path "$BOTVISOR_SCRATCH")
for p in botvisord botvisorctl auth-bench; do swift build -c release "${scratch[@]}" --product "$p" >/dev/null; done
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)
tmp=$(mktemp -d)
cat > "$tmp/botvisor.conf" <<CONF
[http]
listen = 127.0.0.1:0
[paths]
state_dir = $tmp/state
runtime_dir = $tmp/run
[discord]
api_base = http://127.0.0.1:1/api/v10
[logs]
level = warning
CONF
"$bin/botvisord" --config "$tmp/botvisor.conf" 2>"$tmp/botvisord.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
ctl() { "$bin/botvisorctl" --socket "$tmp/run/control.sock" "$@"; }
for _ in $(seq 100); do [[ -s $tmp/run/http.addr ]] && ctl status >/dev/null 2>&1 && break; sleep 0.1; done
base="http://$(head -1 "$tmp/run/http.addr")"
password="bench password $RANDOM$RANDOM"
# The password on stdin, as an operator would type it; the tokens in files, never in argv.
printf '%s\n' "$password" | ctl user add bench --role viewer >/dev/null
printf '{"username":"bench","password":"%s"}' "$password" > "$tmp/login.json"
best_login=
for _ in 1 2 3; do
    t=$(curl -s -o "$tmp/pair.json" -w '%{time_total}' -H 'Content-Type: application/json' --data @"$tmp/login.json" "$base/api/v1/auth/login")
    best_login=$(awk -v a="$t" -v b="${best_login:-999}" 'BEGIN { print (a < b ? a : b) }')
done
python3 -c 'import json,sys; print("Authorization: Bearer " + json.load(open(sys.argv[1]))["access_token"])' "$tmp/pair.json" > "$tmp/jwt.header"
ctl token create --role viewer --name bench --ttl 1d 2>/dev/null | sed 's/^/Authorization: Bearer /' > "$tmp/api.header"
# wrk takes headers on its command line; a Lua script reads them from the files instead (no token in ps).
cat > "$tmp/auth.lua" <<'LUA'
local f = io.open(os.getenv("HEADER_FILE")); local line = f:read("*l"); f:close()
local name, value = line:match("^([^:]+): (.*)$")
wrk.headers[name] = value
LUA

run() { # name path [header file]
    local out rps p50 p99
    if [[ -n ${3:-} ]]; then
        out=$(HEADER_FILE=$3 wrk -t2 -c32 -d"${duration}s" --latency -s "$tmp/auth.lua" "$base$2")
    else
        out=$(wrk -t2 -c32 -d"${duration}s" --latency "$base$2")
    fi
    grep -q "Non-2xx" <<<"$out" && { echo "$1: non-2xx answers:" >&2; echo "$out" >&2; exit 1; }
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    printf '%-34s %10s req/s   p50 %9s   p99 %9s\n' "$1" "$rps" "$p50" "$p99" >&2
    echo "$rps"
}
echo "wrk -t2 -c32 ${duration}s per line, release botvisord, empty fleet ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))" >&2
health=$(run "GET health, no token" /api/v1/monitoring/health)
jwt=$(run "GET /api/v1/bots, access token (JWT)" /api/v1/bots "$tmp/jwt.header")
api=$(run "GET /api/v1/bots, API token" /api/v1/bots "$tmp/api.header")
verify=$("$bin/auth-bench" --hashes 1 --verifies 100000 | awk '/jwt verify/ { for (i = 1; i <= NF; i++) if ($i == "CPU") print $(i-2) }' | tr -d '/s')
awk -v h="$health" -v j="$jwt" -v a="$api" -v v="$verify" -v l="$best_login" 'BEGIN {
    printf "JWT route vs health: %.0f%% of health req/s; API token route: %.0f%%\n", 100*j/h, 100*a/h
    printf "one HS256 verification: %.1f us of CPU (%d/s per core); one authenticated request: %.0f us of the 2 cores => the check is %.1f%% of it\n", 1e6/v, v, 2e6/j, 100*(1e6/v)/(2e6/j)
    printf "login (PBKDF2-HMAC-SHA256, 600000 iterations), best of 3 over HTTP: %.0f ms\n", l*1000
}'
