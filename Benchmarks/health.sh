#!/usr/bin/env bash
# GET /api/v1/monitoring/health under load, beside nginx serving a static body of the same size.
#   Benchmarks/health.sh [seconds]    (default 10)
# botvisord (release) supervises 3 bots whose workers are ingest-bench processes left idle after
# reporting ready (the real IPC handshake, no Discord), so every bot shows as ready and the numbers
# are the API's own. nginx (worker_processes 2, sendfile) serves the health body captured from
# botvisord as a static file. Both get `wrk -t2 -c64 --latency` in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    apt-get update -q && apt-get install -y -q wrk nginx-light
fi
for p in botvisord botvisorctl ingest-bench; do swift build -c release --product "$p" >/dev/null; done
bin=$(swift build -c release --show-bin-path)
ours=18991; theirs=18992
tmp=$(mktemp -d)
cat > "$tmp/botvisor.conf" <<CONF
[http]
listen = 127.0.0.1:$ours
[paths]
state_dir = $tmp/state
runtime_dir = $tmp/run
[discord]
api_base = http://127.0.0.1:1/api/v10
[logs]
level = warning
CONF
"$bin/botvisord" --config "$tmp/botvisor.conf" --worker "$bin/ingest-bench" 2>"$tmp/botvisord.log" &
ours_pid=$!
nginx_pid=
trap 'kill $ours_pid $nginx_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
ctl() { "$bin/botvisorctl" --socket "$tmp/run/control.sock" "$@"; }
for _ in $(seq 100); do ctl status >/dev/null 2>&1 && break; sleep 0.1; done
echo dummy-token > "$tmp/token"
for i in 1 2 3; do ctl bot add "bot$i" --token-file "$tmp/token" >/dev/null; done
for _ in $(seq 100); do
    body=$(curl -sf "http://127.0.0.1:$ours/api/v1/monitoring/health" || true)
    [[ $body == *'"status":"ok"'* && $(grep -o '"ready"' <<<"$body" | wc -l) -ge 3 ]] && break
    sleep 0.1
done
[[ $body == *'"status":"ok"'* ]] || { echo "botvisord never became healthy: $body" >&2; exit 1; }
printf '%s' "$body" > "$tmp/health.json"
size=$(stat -c %s "$tmp/health.json")
cat > "$tmp/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    client_body_temp_path $tmp; proxy_temp_path $tmp; fastcgi_temp_path $tmp; uwsgi_temp_path $tmp; scgi_temp_path $tmp;
    server {
        listen 127.0.0.1:$theirs;
        location = /api/v1/monitoring/health { default_type application/json; alias $tmp/health.json; }
    }
}
CONF
nginx -c "$tmp/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$theirs/api/v1/monitoring/health" >/dev/null && break; sleep 0.1; done

run() { # name port
    local out rps p50 p99
    out=$(wrk -t2 -c64 -d"${duration}s" --latency "http://127.0.0.1:$2/api/v1/monitoring/health")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    printf '%-9s %12s req/s   p50 %9s   p99 %9s\n' "$1" "$rps" "$p50" "$p99" >&2
    echo "$rps"
}
echo "wrk -t2 -c64 ${duration}s against GET /api/v1/monitoring/health, ${size}-byte body, 3 bots ready ($(nproc) cores)" >&2
o=$(run botvisord $ours); n=$(run nginx $theirs)
awk -v o="$o" -v n="$n" 'BEGIN { printf "ratio: botvisord reaches %.0f%% of nginx req/s (goal: at least 40%%)\n", 100*o/n }'
