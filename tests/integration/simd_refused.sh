#!/usr/bin/env bash
# SIMD spec scripts: every module is refused with a clear message, nothing
# else fails, and the host process survives all of them.
set -euo pipefail
wash=$1 spec=$2
out=$("$wash" wast -v "$spec"/simd_*.wast 2>&1) || { tail -20 <<<"$out"; exit 1; }
tail -2 <<<"$out"
grep -q "SIMD.*not supported by this engine" <<<"$out" || { echo "no clear refusal seen"; exit 1; }
tail -1 <<<"$out" | grep -qE '^[0-9]+ passed, 0 failed$'
