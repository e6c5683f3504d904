#!/usr/bin/env bash
# Compile time and peak memory of both tiers, for a small module (compute),
# a large one (SQLite, wasm32-wasi) and a very large one (the StarlingMonkey
# core module of a componentize-js component). The comparison, in the same
# run, is Debian's wasm2c followed by gcc -O2 on its single output file.
#   bench/engine-compile.sh            (QUICK=1 skips wasm2c+gcc on the JS module: ~5 min, 6.5 GB)
source "$(dirname "$0")/lib.sh"
bench_build
bench_program compute
bench_program sqlite
bench_program js
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# wasm2c + gcc -O2 -c: prints "seconds peak_mb"
wasm2c_gcc() {
  local m=$1 t0 t1 rss1 rss2
  /usr/bin/time -f "%e %M" -o "$work/t1" wasm2c "$m" -n m -o "$work/m.c"
  /usr/bin/time -f "%e %M" -o "$work/t2" gcc -O2 -c -w -I/usr/include "$work/m.c" -o "$work/m.o"
  read -r t0 rss1 <"$work/t1"
  read -r t1 rss2 <"$work/t2"
  awk -v a="$t0" -v b="$t1" -v r1="$rss1" -v r2="$rss2" \
    'BEGIN { printf "%.2f %.0f\n", a + b, (r1 > r2 ? r1 : r2) / 1024 }'
}

echo "== compile: one module, no cache (seconds; peak resident memory)"
machine_line
printf '%-26s %-10s %10s %10s %10s %10s\n' "module" "tier" "translate" "compile" "total" "peak MB"
for pair in "small:$PROGRAMS/compute.wasm" "large:$PROGRAMS/sqlite-bench.wasm" "js:$PROGRAMS/hello-js-core/core-0.wasm"; do
  name=${pair%%:*} m=${pair#*:}
  label="$name ($(( $(stat -c %s "$m") / 1024 )) KiB)"
  for tier in baseline optimized; do
    r=$("$WC_BENCH" compile --tier "$tier" "$m")
    peak=$(jq -r '[.peak_rss_mb, .cc_peak_rss_mb] | max' <<<"$r")
    printf '%-26s %-10s %10.2f %10.2f %10.2f %10.0f\n' "$label" "$tier" \
      "$(json translate_s <<<"$r")" "$(json compile_s <<<"$r")" "$(json total_s <<<"$r")" "$peak"
    eval "${name}_${tier}=$(json total_s <<<"$r")"
  done
  if [ "$name" = js ] && [ "${QUICK:-0}" = 1 ]; then
    printf '%-26s %-10s %s\n' "$label" "wasm2c+gcc" "skipped (QUICK=1); measured once: 283 s, 6.5 GB"
    continue
  fi
  read -r w2c_s w2c_mb < <(wasm2c_gcc "$m")
  printf '%-26s %-10s %10s %10s %10.2f %10.0f   optimized tier is %sx faster\n' "$label" "wasm2c+gcc" "" "" \
    "$w2c_s" "$w2c_mb" "$(ratio "$w2c_s" "$(eval echo "\$${name}_optimized")")"
done
