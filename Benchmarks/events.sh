#!/usr/bin/env bash
# The live feed: fleet event to a subscribed WebSocket client, p50/p99, with 100 clients connected.
#   Benchmarks/events.sh [restarts] [clients] [procs]    (defaults 20, 100 and 7)
# botvisord (release; BIN=.build/debug to use a debug build) supervises one bot whose worker is
# ingest-bench (the real IPC handshake, no Discord). 100 clients (one here, the rest spread over
# child processes) follow the `bots` topic; the bot is restarted N times through the API, each restart a burst of
# bot.* events. See Benchmarks/events.py for what is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import websockets" 2>/dev/null || { echo "missing python websockets: pip install websockets (or run .ci/run)" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
    for p in botvisord botvisorctl ingest-bench; do swift build -c release --product "$p" >/dev/null; done
    BIN=$(swift build -c release --show-bin-path)
fi
python3 Benchmarks/events.py "$BIN" "${1:-20}" "${2:-100}" "${3:-7}"
