#!/usr/bin/env bash
# Builds each libFuzzer target and runs it for a smoke period.
#   Fuzz/run.sh [seconds-per-target] [target...]
# Longer runs: Fuzz/run.sh 3600 http   (corpora persist in Fuzz/corpus-NAME/)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true

# name: fuzz entry file, then the sources it compiles with (stdlib only).
targets=(
    "http: Fuzz/HTTPRequestParserFuzz.swift Sources/HTTP/HTTPTypes.swift Sources/HTTP/HTTPParseError.swift Sources/HTTP/ChunkedBodyDecoder.swift Sources/HTTP/HTTPRequestParser.swift Sources/IOCore/ReadBuffer.swift"
    "websocket: Fuzz/WebSocketFrameDecoderFuzz.swift Sources/WebSocket/WebSocketFrame.swift Sources/WebSocket/UTF8Validator.swift Sources/WebSocket/WebSocketFrameDecoder.swift Sources/IOCore/ReadBuffer.swift"
)

mkdir -p .build-fuzz
for entry in "${targets[@]}"; do
    name=${entry%%:*}
    files=${entry#*: }
    if [ $# -gt 0 ] && [[ ! " $* " =~ " $name " ]]; then continue; fi
    echo "fuzz: building $name"
    # shellcheck disable=SC2086
    swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name Fuzz$name $files -o ".build-fuzz/$name"
    mkdir -p "Fuzz/corpus-$name"
    echo "fuzz: running $name for ${seconds}s"
    ".build-fuzz/$name" -max_total_time="$seconds" -print_final_stats=1 "Fuzz/corpus-$name" 2>&1 | tail -n 12
done
