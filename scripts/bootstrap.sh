#!/usr/bin/env bash
# From a fresh Debian 12 machine: install what is missing, build wash
# (optimized) and the sample app, and serve the app on 127.0.0.1:8080 until
# Ctrl-C. Set WC_ADDR to serve elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)"
build-release/bin/wash version
addr=${WC_ADDR:-127.0.0.1:8080}
app=build-release/examples/hello.wasm
echo
echo "Serving the sample app ($app, JavaScript) on http://$addr"
echo "  try:  curl 'http://$addr/?name=you'"
echo "  more: build-release/bin/wash --help"
exec build-release/bin/wash serve --addr "$addr" "$app"
