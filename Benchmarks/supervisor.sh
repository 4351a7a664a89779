#!/usr/bin/env bash
# botvisord beside supervisord 4.x (PyPI `supervisor`): restart latency, resume latency, memory.
#   Benchmarks/supervisor.sh [kills]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v supervisord >/dev/null || python3 -m pip install -q supervisor
for p in botvisord botvisor-worker botvisorctl botvisor-sim; do swift build -c release --product "$p" >/dev/null; done
python3 Benchmarks/supervisor.py "${1:-50}" "$(swift build -c release --show-bin-path)"
