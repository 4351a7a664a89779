#!/usr/bin/env bash
# The cost of the auth building blocks on this machine: one password hash at today's parameters
# (PBKDF2-HMAC-SHA256, 600,000 iterations, best of N) and HS256 JWT verifications per second.
#   Benchmarks/auth.sh [hashes] [verifies]    (defaults 5 and 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product auth-bench >/dev/null
"$(swift build -c release --show-bin-path)/auth-bench" --hashes "${1:-5}" --verifies "${2:-200000}"
