#!/usr/bin/env bash
# The dashboard's first load in headless Chromium: bytes transferred and time to first render.
#   Benchmarks/dashboard.sh [runs] [bots]    (defaults 10 and 10)
# botvisord (release; BIN=.build/debug to use a debug build) with BOTS bots on ingest-bench workers;
# Chromium through Selenium with its cache disabled. See Benchmarks/dashboard.py for what is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import selenium" 2>/dev/null || { echo "missing selenium: pip install selenium (or run .ci/run)" >&2; exit 1; }
command -v chromedriver >/dev/null || { echo "missing chromium-driver: apt-get install chromium chromium-driver" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
    for p in botvisord botvisorctl ingest-bench; do swift build -c release --product "$p" >/dev/null; done
    BIN=$(swift build -c release --show-bin-path)
fi
python3 Benchmarks/dashboard.py "$BIN" "${1:-10}" "${2:-10}"
