#!/usr/bin/env bash
# The lattice host's built-in HTTP server against `wash serve`, same C
# component, same machine, same run (wrk, keep-alive); and the control-plane
# latency from a component.scale request to the first request it serves.
# Goal: the host within 10% of wash serve.
#   bench/host-http.sh [SECONDS_PER_RUN] [RUNS] [CONNECTIONS]
source "$(dirname "$0")/lib.sh"
secs=${1:-5}
runs=${2:-3}
conns=${3:-16}
bench_build
c_hello=$BUILD/tests/guests/http-hello-c.wasm
LATTICE=$ROOT/bench/programs/lattice.py
work=$(mktemp -d)
trap 'stop_servers; rm -rf "$work"' EXIT
"$BUILD/bin/wc-http-bench" instantiate --iters 10 "$c_hello" >/dev/null # optimized code cached

# lattice_up: nats-server (JetStream) and a host; sets NATS_URL
lattice_up() {
  local port
  port=$(free_port)
  nats-server -a 127.0.0.1 -p "$port" -js -sd "$work/js" >"$work/nats.log" 2>&1 &
  SERVER_PIDS+=($!)
  NATS_PID=$!
  NATS_URL=nats://127.0.0.1:$port
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
    sleep 0.05
  done
  "$WASH" host --tier optimized --nats-url "$NATS_URL" >"$work/host.log" 2>&1 &
  SERVER_PIDS+=($!)
  HOST_PID=$!
  for _ in $(seq 1 200); do grep -q "running on lattice" "$work/host.log" && return 0; sleep 0.05; done
  echo "the host did not start: $(cat "$work/host.log")" >&2
  exit 1
}
lattice_down() {
  kill "$HOST_PID" "$NATS_PID" 2>/dev/null || true
  wait "$HOST_PID" "$NATS_PID" 2>/dev/null || true
  rm -rf "$work/js"
}

measure() {
  wrk -t1 -c"$conns" -d1s "$URL" >/dev/null # warm up
  out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency "$URL")
  errs=$(grep -E "Non-2xx|Socket errors" <<<"$out" || true)
  [ -z "$errs" ] || echo "$1: $errs" >&2
  echo "$1 $(awk '/^Requests\/sec/ {print $2}' <<<"$out")" >>"$work/results"
}

for _ in $(seq 1 "$runs"); do
  start_server wash-serve "$work/serve.log" "$WASH" serve --tier optimized --addr 127.0.0.1:0 "$c_hello"
  URL=$URL/; measure serve; stop_server
  lattice_up
  URL=$(python3 "$LATTICE" serve "$NATS_URL" "$c_hello" "$(free_port)" 64)
  measure host
  lattice_down
done

lattice_up
python3 "$LATTICE" scale-latency "$NATS_URL" "$c_hello" "$(free_port)" 20 >"$work/latency"
lattice_down

col() { awk -v l="$1" '$1 == l {print $2}' "$work/results" | median; }
echo "== lattice host vs wash serve: C hello world, wrk -t1 -c$conns keep-alive, median of $runs x ${secs}s"
machine_line
printf '%-44s %10.0f req/s\n' "wash serve" "$(col serve)"
printf '%-44s %10.0f req/s\n' "wash host, built-in http-server (max 64)" "$(col host)"
echo "host / wash serve: $(ratio "$(col host)" "$(col serve)")  (goal >= 0.90)"
echo "== control plane: component.scale request -> first 200 response (link in place), 20 runs"
printf 'median %.1f ms, max %.1f ms\n' "$(median <"$work/latency")" "$(sort -g "$work/latency" | tail -1)"
