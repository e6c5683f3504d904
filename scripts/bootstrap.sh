#!/usr/bin/env bash
# From a fresh Debian 12 machine: install what is missing, build wash
# (optimized), and run it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)"
build-release/bin/wash version
echo
echo "wash is built: build-release/bin/wash --help"
echo "Try it on the WebAssembly spec suite:"
echo "  build-release/bin/wash wast ../shared/testsuite/wasm-core/i32.wast"
