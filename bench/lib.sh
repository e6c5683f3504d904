# Shared by the bench/*.sh scripts: builds (release), the input programs, and
# small helpers. Source it; do not run it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-release}
PROGRAMS=${PROGRAMS:-$BUILD/bench-programs}
WC_BENCH=$BUILD/bin/wc-bench
WASH=$BUILD/bin/wash

bench_build() {
  if [ ! -x "$WC_BENCH" ] || [ ! -x "$WASH" ]; then
    (cd "$ROOT" && cmake --preset release >/dev/null && cmake --build --preset release -j "$(nproc)" >/dev/null)
  fi
}

# bench_program NAME: make sure an input program exists, building it if needed.
bench_program() {
  mkdir -p "$PROGRAMS"
  case "$1" in
    compute) [ -f "$PROGRAMS/compute.wasm" ] || "$ROOT/bench/programs/build-compute.sh" "$PROGRAMS" >/dev/null ;;
    sqlite) [ -f "$PROGRAMS/sqlite-bench.wasm" ] || "$ROOT/bench/programs/build-sqlite.sh" "$PROGRAMS" >/dev/null ;;
    js) [ -f "$PROGRAMS/hello-js-core/core-0.wasm" ] || "$ROOT/bench/programs/build-js.sh" "$PROGRAMS" >/dev/null ;;
  esac
}

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# json FIELD: read one JSON object on stdin, print the field
json() { jq -r ".$1"; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

machine_line() {
  echo "machine: $(nproc) cores, $(awk '/model name/ {$1=$2=$3=""; print; exit}' /proc/cpuinfo | sed 's/^ *//'), $(date -u +%Y-%m-%d)"
}
