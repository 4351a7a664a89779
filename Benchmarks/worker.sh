#!/usr/bin/env bash
# Worker benchmarks against the Discord simulator, release build:
#   Benchmarks/worker.sh [dispatch|latency|memory|all] [--load N] [--runs R]
# --load N starts N busy-looping processes first (a reproducible background load: on 2 cores, N=4
# plus the benchmark itself brings the 1-minute load average to about 5 after a warm-up of
# LOAD_WARMUP seconds, default 60), runs the benchmark R times (default 1, 3 with --load), and
# prints /proc/loadavg after each run; the spinners are killed on exit.
# BASELINE=/path/to/another/worker-bench (for example main's release build, copied aside) makes each run an
# A/B pair in the same load: that build first, then this one, each with its CPU time (user+sys) per event.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=all load=0 runs=
while [[ $# -gt 0 ]]; do
    case $1 in
        --load) load=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        *) mode=$1; shift ;;
    esac
done
runs=${runs:-$([[ $load -gt 0 ]] && echo 3 || echo 1)}
swift build -c release --product botvisor-worker >/dev/null
swift build -c release --product worker-bench >/dev/null
bench="$(swift build -c release --show-bin-path)/worker-bench"
spinners=()
trap 'for p in "${spinners[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null' EXIT
if [[ $load -gt 0 ]]; then
    for _ in $(seq "$load"); do
        bash -c 'while :; do :; done' &
        spinners+=($!)
    done
    echo "load: $load spinners started; warming up ${LOAD_WARMUP:-60} s (loadavg $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    sleep "${LOAD_WARMUP:-60}"
fi
for run in $(seq "$runs"); do
    for build in ${BASELINE:+"$BASELINE"} "$bench"; do
        [[ -n ${BASELINE:-} ]] && echo "$build:"
        if [[ $mode == dispatch ]]; then
            # CPU of the whole process (simulator and worker) per event, from rusage (100,000 events).
            /usr/bin/time -f "  cpu: user %U s, sys %S s" "$build" "$mode"
        else
            "$build" "$mode"
        fi
        echo "run $run: loadavg $(cut -d' ' -f1-4 /proc/loadavg)"
    done
done
