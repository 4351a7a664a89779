#!/usr/bin/env bash
# Bulk messaging: 500 messages, 50 channels, 10 bots, simulator default limits; completion vs the floor.
#   Benchmarks/bulk.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
for p in botvisord botvisor-worker botvisor-sim; do swift build -c release --product "$p" >/dev/null; done
python3 Benchmarks/bulk.py "$(swift build -c release --show-bin-path)" "${1:-3}"
