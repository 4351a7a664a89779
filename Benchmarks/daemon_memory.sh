#!/usr/bin/env bash
# botvisord RSS idle and with 50 bots ready, with where it is by mapping (release build, Discord simulator):
#   Benchmarks/daemon_memory.sh [bots] [NAME=VALUE ...]   (NAME=VALUE: botvisord's environment, e.g. MALLOC_ARENA_MAX=1)
set -euo pipefail
cd "$(dirname "$0")/.."
for p in botvisord botvisor-worker botvisorctl botvisor-sim; do swift build -c release --product "$p" >/dev/null; done
python3 Benchmarks/daemon_memory.py "$(swift build -c release --show-bin-path)" "$@"
