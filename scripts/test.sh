#!/usr/bin/env bash
# The whole test suite: install what is missing, build (warnings are errors),
# run every CTest test, then the fuzz target briefly under ASan/UBSan.
# Labels: unit, spec, integration, slow, fuzz (`ctest -L unit` for one).
# Last, scripts/check-readme.sh runs the README's commands as written.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/install-deps.sh

cmake --preset dev
cmake --build --preset dev -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs" --timeout 900)

cmake --preset fuzz
cmake --build --preset fuzz -j "$jobs" --target fuzz_module
(cd build-fuzz && ctest --output-on-failure -L fuzz)

# The README's commands, as written (bootstrap, the tour, wash down).
scripts/check-readme.sh
