#!/usr/bin/env bash
# Command-log ingest: records/s from 10 workers through IPC into SQLite, beside Python's sqlite3.
#   Benchmarks/ingest.sh [seconds]    (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { apt-get update -q && apt-get install -y -q python3; }
for p in botvisord botvisorctl ingest-bench; do swift build -c release --product "$p" >/dev/null; done
python3 Benchmarks/ingest.py "${1:-60}" "$(swift build -c release --show-bin-path)"
