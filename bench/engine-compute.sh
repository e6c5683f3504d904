#!/usr/bin/env bash
# Compute speed of both tiers against the same C program compiled natively.
# Goal: optimized within 1.3x of native, baseline within 4x.
#   bench/engine-compute.sh [N] [REPS]
source "$(dirname "$0")/lib.sh"
n=${1:-180} reps=${2:-5}
bench_build
bench_program compute

echo "== compute: run($n), median of $reps (bench/programs/compute.c)"
machine_line
native=$("$PROGRAMS/compute-native" "$n" "$reps")
native_s=$(sed -E 's/.*median_s=([0-9.]+).*/\1/' <<<"$native")
native_sum=$(sed -E 's/.*checksum=([0-9]+).*/\1/' <<<"$native")
opt=$("$WC_BENCH" run --tier optimized "$PROGRAMS/compute.wasm" "$n" "$reps")
base=$("$WC_BENCH" run --tier baseline "$PROGRAMS/compute.wasm" "$n" "$reps")
opt_s=$(json median_s <<<"$opt") base_s=$(json median_s <<<"$base")
for r in "$opt" "$base"; do
  [ "$(json checksum <<<"$r")" = "$native_sum" ] || { echo "checksum mismatch: $r vs $native_sum"; exit 1; }
done
printf '%-22s %10s %14s\n' "" "median s" "vs native"
printf '%-22s %10.3f %14s\n' "native (cc -O2)" "$native_s" "1.00x"
printf '%-22s %10.3f %13sx   (goal <= 1.3x)\n' "optimized tier" "$opt_s" "$(ratio "$opt_s" "$native_s")"
printf '%-22s %10.3f %13sx   (goal <= 4x)\n' "baseline tier (tcc)" "$base_s" "$(ratio "$base_s" "$native_s")"
echo "checksums agree: $native_sum"
