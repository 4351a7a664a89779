#!/usr/bin/env bash
# What authentication costs a request, in one run against two release botvisords (one with the default
# [auth], one with `public_metrics = yes`):
#   Benchmarks/auth_throughput.sh [seconds]    (default 5 per measurement)
# Each line is `wrk -t2 -c32` for the given seconds, with the daemon's own CPU time (utime + stime from
# /proc) divided by the requests it answered: on a shared machine that is the cost of a request, where
# req/s also says how busy the neighbours were.
# 1. GET /api/v1/monitoring/health without a token (the one public route),
# 2. GET /api/v1/bots with a valid access token (JWT, HS256, from POST /api/v1/auth/login),
# 3. GET /api/v1/bots with an API token (bva_..., one SHA-256 and a lookup),
# 4. the same route with and without the check: GET /metrics without a token on the daemon where it is
#    public (no token is read) and with the access token on the one where it is not (the JWT is checked),
#    alternated twice so load changes on the machine fall on both;
# then the login time (one PBKDF2-HMAC-SHA256 at 600,000 iterations, timed by curl, best of 3) and, from
# auth-bench, the CPU cost of one JWT verification, first presentation and presented again (cached).
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
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
start_daemon() { # name [extra [auth] line]
    local dir=$tmp/$1
    mkdir -p "$dir"
    cat > "$dir/botvisor.conf" <<CONF
[http]
listen = 127.0.0.1:0
[paths]
state_dir = $dir/state
runtime_dir = $dir/run
[discord]
api_base = http://127.0.0.1:1/api/v10
[logs]
level = warning
[limits]
enabled = no
[auth]
${2:-}
CONF
    "$bin/botvisord" --config "$dir/botvisor.conf" 2>"$dir/botvisord.log" &
    pids+=($!)
    echo $! > "$dir/pid"
    for _ in $(seq 100); do
        [[ -s $dir/run/http.addr ]] && "$bin/botvisorctl" --socket "$dir/run/control.sock" status >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "http://$(head -1 "$dir/run/http.addr")" > "$dir/base"
}
start_daemon checked
start_daemon public "public_metrics = yes"
ctl() { "$bin/botvisorctl" --socket "$tmp/checked/run/control.sock" "$@"; }
base=$(cat "$tmp/checked/base")
public=$(cat "$tmp/public/base")
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

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
run() { # name daemon url [header file]  -> prints "req/s cpu_us_per_request"
    local out rps p50 p99 requests pid before after us
    pid=$(cat "$tmp/$2/pid")
    before=$(cpu_ticks "$pid")
    if [[ -n ${4:-} ]]; then
        out=$(HEADER_FILE=$4 wrk -t2 -c32 -d"${duration}s" --latency -s "$tmp/auth.lua" "$3")
    else
        out=$(wrk -t2 -c32 -d"${duration}s" --latency "$3")
    fi
    after=$(cpu_ticks "$pid")
    grep -q "Non-2xx" <<<"$out" && { echo "$1: non-2xx answers:" >&2; echo "$out" >&2; exit 1; }
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    us=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    printf '%-40s %10s req/s   p50 %9s   p99 %9s   daemon CPU %6s us/request\n' "$1" "$rps" "$p50" "$p99" "$us" >&2
    echo "$rps $us"
}
echo "wrk -t2 -c32 ${duration}s per line, release botvisord, empty fleet, [limits] off ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
read -r health health_us < <(run "GET health, no token" checked "$base/api/v1/monitoring/health")
read -r jwt jwt_us < <(run "GET /api/v1/bots, access token (JWT)" checked "$base/api/v1/bots" "$tmp/jwt.header")
read -r api api_us < <(run "GET /api/v1/bots, API token" checked "$base/api/v1/bots" "$tmp/api.header")
read -r m1 m1_us < <(run "GET /metrics, public (no check)" public "$public/metrics")
read -r c1 c1_us < <(run "GET /metrics, access token (JWT)" checked "$base/metrics" "$tmp/jwt.header")
read -r m2 m2_us < <(run "GET /metrics, public (no check)" public "$public/metrics")
read -r c2 c2_us < <(run "GET /metrics, access token (JWT)" checked "$base/metrics" "$tmp/jwt.header")
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
bench=$("$bin/auth-bench" --hashes 1 --verifies 200000)
cold=$(awk '/^jwt verify:/ { for (i = 1; i <= NF; i++) if ($i == "CPU") print $(i-2) }' <<<"$bench" | tr -d '/s')
warm=$(awk '/^jwt verify cached:/ { for (i = 1; i <= NF; i++) if ($i == "CPU") print $(i-2) }' <<<"$bench" | tr -d '/s')
awk -v h="$health" -v hu="$health_us" -v j="$jwt" -v ju="$jwt_us" -v a="$api" -v au="$api_us" \
    -v m1="$m1" -v m1u="$m1_us" -v c1="$c1" -v c1u="$c1_us" -v m2="$m2" -v m2u="$m2_us" -v c2="$c2" -v c2u="$c2_us" \
    -v cold="$cold" -v warm="$warm" -v l="$best_login" 'BEGIN {
    printf "different routes: JWT /api/v1/bots at %.0f%% of health req/s (%.1f vs %.1f us of daemon CPU); API token %.0f%% (%.1f us)\n", 100*j/h, ju, hu, 100*a/h, au
    mu = (m1u + m2u) / 2; cu = (c1u + c2u) / 2
    printf "same route, /metrics: public %.0f req/s, %.1f us; with the JWT %.0f req/s, %.1f us => the check costs %.1f us, %.1f%% of the request (throughput %+.1f%%)\n", (m1+m2)/2, mu, (c1+c2)/2, cu, cu-mu, 100*(cu-mu)/cu, 100*((c1+c2)/(m1+m2)-1)
    printf "auth-bench: HS256 verification, first presentation %.2f us of CPU; presented again (cache hit) %.2f us => %.1f%% of a JWT request (%.1f us)\n", 1e6/cold, 1e6/warm, 100*(1e6/warm)/ju, ju
    printf "login (PBKDF2-HMAC-SHA256, 600000 iterations), best of 3 over HTTP: %.0f ms\n", l*1000
}'
