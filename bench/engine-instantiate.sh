#!/usr/bin/env bash
# Time to create a fresh instance (store + instance + free), for a small
# module and for the JavaScript engine module of a componentize-js component,
# with the copy-on-write memory image against copying data segments.
# Goals: under 10 us small, under 50 us for the JavaScript engine module.
#   bench/engine-instantiate.sh [ITERS]
source "$(dirname "$0")/lib.sh"
iters=${1:-2000}
bench_build
bench_program compute
bench_program js
small=$PROGRAMS/compute.wasm
large=$PROGRAMS/hello-js-core/core-0.wasm

echo "== instantiation: fresh instance, median of $iters (p99 in brackets)"
machine_line
printf '%-34s %16s %16s %10s\n' "module" "image (us)" "copy data (us)" "speedup"
for m in "$small" "$large"; do
  a=$("$WC_BENCH" instantiate --iters "$iters" "$m")
  b=$("$WC_BENCH" instantiate --no-image --iters "$((iters / 4))" "$m")
  label="$(basename "$(dirname "$m")")/$(basename "$m") ($(( $(stat -c %s "$m") / 1024 )) KiB)"
  printf '%-34s %8.2f [%5.1f] %8.2f [%5.1f] %9sx\n' "$label" \
    "$(json median_us <<<"$a")" "$(json p99_us <<<"$a")" \
    "$(json median_us <<<"$b")" "$(json p99_us <<<"$b")" \
    "$(ratio "$(json median_us <<<"$b")" "$(json median_us <<<"$a")")"
done
echo "goals: small < 10 us, JavaScript engine module < 50 us (image column)"
