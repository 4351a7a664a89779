#!/usr/bin/env bash
# HTTP server throughput and latency beside nginx, in one run.
#   Benchmarks/http.sh [seconds]
# Builds release, serves GET /bench (a 34-byte JSON body) from our server and
# the same body from nginx (`return 200`), and runs
# `wrk -t2 -c64 --latency` and `wrk -t1 -c1 --latency` against both; at -c1 also the server's CPU time per
# request (`perf stat`, when installed).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
for tool in wrk nginx; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install wrk nginx-light" >&2; exit 1; }
done
swift build -c release --product http-bench-server >/dev/null
bin=$(swift build -c release --show-bin-path)/http-bench-server
ours=18751; theirs=18752
body='{"status":"ok","bots":3,"ready":3}'
tmp=$(mktemp -d)
cat > "$tmp/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $tmp; proxy_temp_path $tmp; fastcgi_temp_path $tmp; uwsgi_temp_path $tmp; scgi_temp_path $tmp;
    server {
        listen 127.0.0.1:$theirs;
        location /bench { default_type application/json; return 200 '$body'; }
    }
}
CONF
"$bin" "$ours" >/dev/null &
ours_pid=$!
nginx -c "$tmp/nginx.conf" &
nginx_pid=$!
trap 'kill $ours_pid $nginx_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for port in $ours $theirs; do
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/bench" >/dev/null && break; sleep 0.1; done
done


run() { # name port threads connections pids
    local out rps p50 p99 window=$(( duration > 2 ? duration - 2 : 1 )) cpu=/dev/null
    if [[ -n ${5:-} ]] && command -v perf >/dev/null; then
        cpu=$(mktemp)
        (sleep 1; perf stat -e task-clock -p "$5" -- sleep "$window" 2>"$cpu" >/dev/null) &
    fi
    out=$(wrk -t"$3" -c"$4" -d"${duration}s" --latency "http://127.0.0.1:$2/bench")
    wait
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    printf '%-8s -c%-3s %12s req/s   p50 %9s   p99 %9s' "$1" "$4" "$rps" "$p50" "$p99" >&2
    if [[ $cpu != /dev/null ]]; then
        awk -v rps="$rps" -v s="$window" '/task-clock/ { printf "   CPU %.1f µs/request", 1000*$1/(rps*s) }' "$cpu" >&2
        rm -f "$cpu"
    fi
    echo >&2
    echo "$rps"
}
echo "wrk ${duration}s against GET /bench ($(nproc) cores)" >&2
o64=$(run botvisor $ours 2 64); n64=$(run nginx $theirs 2 64)
nginx_pids=$(pgrep -d, -P "$nginx_pid" || true)
o1=$(run botvisor $ours 1 1 "$ours_pid"); n1=$(run nginx $theirs 1 1 "${nginx_pids:-$nginx_pid}")
awk -v o="$o64" -v n="$n64" 'BEGIN { printf "ratio -c64: botvisor reaches %.0f%% of nginx req/s\n", 100*o/n }'
awk -v o="$o1" -v n="$n1" 'BEGIN { printf "ratio -c1:  botvisor reaches %.0f%% of nginx req/s\n", 100*o/n }'
