#!/usr/bin/env bash
# SIGKILL -> bot RESUMED with the default [restart] settings, one kill per bot.
#   Benchmarks/restart_default.sh [bots]
set -euo pipefail
cd "$(dirname "$0")/.."
for p in botvisord botvisor-worker botvisorctl botvisor-sim; do swift build -c release --product "$p" >/dev/null; done
python3 Benchmarks/restart_default.py "${1:-12}" "$(swift build -c release --show-bin-path)"
