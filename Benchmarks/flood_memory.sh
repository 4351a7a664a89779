#!/usr/bin/env bash
# A flood of idle HTTP connections: botvisord's RSS before, during and after, and the refusals past the cap.
#   Benchmarks/flood_memory.sh [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product botvisord >/dev/null
python3 Benchmarks/flood_memory.py "${1:-5000}" "$(swift build -c release --show-bin-path)"
