#!/usr/bin/env bash
# `systemctl restart botvisor` with N bots: identifies spent and dispatches missed across a graceful restart.
#   Benchmarks/daemon_restart.sh [bots]
set -euo pipefail
cd "$(dirname "$0")/.."
for p in botvisord botvisor-worker botvisorctl botvisor-sim; do swift build -c release --product "$p" >/dev/null; done
python3 Benchmarks/daemon_restart.py "${1:-50}" "$(swift build -c release --show-bin-path)"
