#!/usr/bin/env bash
# build-compute.sh OUTDIR
#
# Builds the freestanding compute benchmark two ways from the same compute.c:
#   OUTDIR/compute.wasm    clang --target=wasm32, no libc, exports run(n)
#   OUTDIR/compute-native  cc -O2 with compute-main.c (times run(n), prints
#                          median seconds and checksum)
# Needs: clang (14) with the wasm32 target and wasm-ld (Debian: clang lld),
# a native cc.
set -euo pipefail

die() { echo "build-compute.sh: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: build-compute.sh OUTDIR"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1" || die "cannot create output directory $1"
out="$(cd "$1" && pwd)"

# Default n for compute-native, chosen so that one run(n) takes ~0.4 s
# natively (gcc 12 -O2 on the 2-core CI machine).
DEFAULT_N=180

CLANG="${CLANG:-clang}"
CC="${CC:-cc}"
command -v "$CLANG" >/dev/null || die "$CLANG not found (apt-get install clang lld)"
command -v "$CC" >/dev/null || die "$CC not found (apt-get install gcc)"

# -ffp-contract=off on both: fused multiply-add (e.g. CFLAGS with
# -march=native) would change the n-body doubles and so the checksum.

# wasm32, freestanding. The 64 KiB stack plus ~100 KiB of static buffers fit
# in 4 pages; memory is exported as "memory", the only other export is run.
"$CLANG" --target=wasm32 -std=c17 -O2 -ffp-contract=off -Wall -Wextra \
    -nostdlib -Wl,--no-entry -Wl,--export=run \
    -Wl,-z,stack-size=65536 -Wl,--initial-memory=262144 -Wl,--max-memory=262144 \
    -o "$out/compute.wasm.tmp" "$here/compute.c" \
    || die "wasm32 compile of compute.c failed (is clang's wasm32 target and lld installed?)"
mv -f "$out/compute.wasm.tmp" "$out/compute.wasm"

"$CC" -std=c17 -O2 -ffp-contract=off -Wall -Wextra -DCOMPUTE_DEFAULT_N="$DEFAULT_N" \
    -o "$out/compute-native.tmp" "$here/compute.c" "$here/compute-main.c" -lm \
    || die "native compile of compute.c failed"
mv -f "$out/compute-native.tmp" "$out/compute-native"

echo "build-compute.sh: wrote $out/compute.wasm ($(stat -c %s "$out/compute.wasm") bytes)"
echo "build-compute.sh: wrote $out/compute-native (default n=$DEFAULT_N)"
