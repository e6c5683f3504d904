#!/usr/bin/env bash
# Run a libFuzzer target for a bounded time from a copy of a seed directory.
set -euo pipefail
target=$1 seeds=$2 seconds=${3:-30}
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp "$seeds"/*.wasm "$corpus"/
"$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 "$corpus"
