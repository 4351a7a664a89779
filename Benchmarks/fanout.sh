#!/usr/bin/env bash
# The live feed's fan-out with one stalled client: RATE events/s to CLIENTS WebSocket clients, one of
# which never reads. The others must miss nothing; botvisord's RSS must stay bounded.
#   Benchmarks/fanout.sh [seconds] [clients] [rate] [client processes]    (defaults 30 50 1000 7)
# botvisord (release; BIN=.build/debug to use a debug build) supervises one bot whose worker is
# ingest-bench paced to RATE command records per second (one `command` event each). The healthy
# clients (Python, reading raw sockets) are spread over several processes. See Benchmarks/fanout.py.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
    for p in botvisord botvisorctl ingest-bench; do swift build -c release --product "$p" >/dev/null; done
    BIN=$(swift build -c release --show-bin-path)
fi
python3 Benchmarks/fanout.py "$BIN" "${1:-30}" "${2:-50}" "${3:-1000}" "${4:-7}"
