#!/usr/bin/env bash
# Command-log query latency at 10M rows through the HTTP API, beside the same SQL run directly.
#   Benchmarks/query.sh [rows] [requests]    (defaults 10000000 and 500)
# The generated database is cached in .build-bench/ (not committed) and reused by later runs;
# delete it after changing the schema.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { apt-get update -q && apt-get install -y -q python3; }
for p in botvisord botvisorctl; do swift build -c release --product "$p" >/dev/null; done
python3 Benchmarks/query.py "${1:-10000000}" "${2:-500}" "$(swift build -c release --show-bin-path)" "$PWD/.build-bench"
