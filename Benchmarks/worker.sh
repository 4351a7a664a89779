#!/usr/bin/env bash
# Worker benchmarks against the Discord simulator, release build:
#   Benchmarks/worker.sh [dispatch|latency|memory|all]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product botvisor-worker >/dev/null
swift build -c release --product worker-bench >/dev/null
"$(swift build -c release --show-bin-path)/worker-bench" "${1:-all}"
