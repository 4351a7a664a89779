#!/usr/bin/env bash
# Stock displays: change -> edit latency p50/p99, edits per burst of changes, hiding a product across 50 displays.
#   Benchmarks/stock.sh [changes] [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."
config="${2:-release}"
for p in botvisord botvisor-worker botvisor-sim; do swift build -c "$config" --product "$p" >/dev/null; done
python3 Benchmarks/stock.py "$(swift build -c "$config" --show-bin-path)" "${1:-1000}"
