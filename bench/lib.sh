# Shared by the bench/*.sh scripts: builds (release), the input programs, and
# small helpers. Source it; do not run it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-release}
PROGRAMS=${PROGRAMS:-$BUILD/bench-programs}
WC_BENCH=$BUILD/bin/wc-bench
WASH=$BUILD/bin/wash

# bench_build: configure (once) and bring the release build up to date.
bench_build() {
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    (cd "$ROOT" && cmake --preset release >/dev/null)
  fi
  (cd "$ROOT" && cmake --build --preset release -j "$(nproc)" >/dev/null)
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

# start_server NAME LOGFILE CMD...: run CMD in the background until the
# script exits; wait for it to print its http:// address into LOGFILE; sets
# URL. Pass a command that prints "http://HOST:PORT" once it listens.
SERVER_PIDS=()
stop_servers() {
  for p in "${SERVER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_servers EXIT
start_server() {
  local name=$1 log=$2
  shift 2
  : >"$log"
  "$@" >"$log" 2>&1 &
  SERVER_PIDS+=($!)
  SERVER_PID=$!
  for _ in $(seq 1 1200); do
    URL=$(grep -oE '127\.0\.0\.1:[0-9]+' "$log" | head -1 || true)
    [ -z "$URL" ] || URL=http://$URL
    [ -n "$URL" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "$name exited: $(cat "$log")" >&2; exit 1; }
    sleep 0.1
  done
  echo "$name did not start: $(cat "$log")" >&2
  exit 1
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }

# free_port: a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

machine_line() {
  echo "machine: $(nproc) cores, $(awk '/model name/ {$1=$2=$3=""; print; exit}' /proc/cpuinfo | sed 's/^ *//'), $(date -u +%Y-%m-%d)"
}
