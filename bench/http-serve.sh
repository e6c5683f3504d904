#!/usr/bin/env bash
# wash serve throughput and latency (wrk, keep-alive) for hello-world
# components in C and JavaScript, against, in the same run:
#   native   a hello-world server in C on the same HTTP library (src/http),
#            same response (head + chunked body through a pipe), no Wasm
#   jco      `jco serve` (npm, Node.js) on the same component, and jco's
#            transpiled component on the same Node HTTP server with a fresh
#            instance per request (bench/programs/jco-fresh-serve.mjs: stock
#            jco serve keeps one instance, and a componentize-js component
#            answers only one request per instance)
# and the per-request instantiation cost of each component.
# Goals: C component >= 70% of native; each component >= 10x jco.
#   bench/http-serve.sh [SECONDS_PER_RUN] [RUNS] [CONNECTIONS]
source "$(dirname "$0")/lib.sh"
secs=${1:-5}
runs=${2:-3}
conns=${3:-16}
bench_build
bench_program js
c_hello=$BUILD/tests/guests/http-hello-c.wasm
js_hello=$PROGRAMS/hello-js.wasm
HTTP_BENCH=$BUILD/bin/wc-http-bench
JCO=$ROOT/node_modules/.bin/jco
work=$(mktemp -d)
trap 'stop_servers; rm -rf "$work"' EXIT

# Optimized code for both components, compiled once into the cache; jco's
# transpiled versions.
for comp in "$c_hello" "$js_hello"; do
  "$HTTP_BENCH" instantiate --iters 10 "$comp" >/dev/null
  name=$(basename "$comp" .wasm)
  "$JCO" transpile "$comp" --instantiation sync --no-typescript -q -o "$work/jco-$name"
done

# to_ms VALUE: wrk's "635.00us" / "1.23ms" / "1.01s" in milliseconds
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0;
                         else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

# cpu_ticks PID: CPU time (clock ticks) of PID and its children (jco serve
# runs its server in a child node process).
cpu_ticks() {
  local total=0 p
  for p in $1 $(pgrep -P "$1" || true); do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$p/stat")))
  done
  echo "$total"
}

# measure LABEL: wrk against $URL, $runs times; appends "label rps p50 p99
# cpu_us_per_request" lines.
measure() {
  wrk -t1 -c"$conns" -d1s "$URL/" >/dev/null # warm up
  for _ in $(seq 1 "$runs"); do
    t0=$(cpu_ticks "$SERVER_PID")
    out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency "$URL/")
    t1=$(cpu_ticks "$SERVER_PID")
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    cpu=$(awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v n="$reqs" \
          'BEGIN { printf "%.1f", n ? t / hz * 1e6 / n : 0 }')
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    errs=$(grep -E "Non-2xx|Socket errors" <<<"$out" || true)
    [ -z "$errs" ] || echo "$1: $errs" >&2
    echo "$1 $rps $p50 $p99 $cpu" >>"$work/results"
  done
}

# Interleave the servers run by run, so drift on a shared machine hits all alike.
saved_runs=$runs
runs=1
for _ in $(seq 1 "$saved_runs"); do
  start_server native "$work/native.log" "$HTTP_BENCH" native --addr 127.0.0.1:0
  measure native; stop_server
  start_server wash-c "$work/wash-c.log" "$WASH" serve --tier optimized --addr 127.0.0.1:0 "$c_hello"
  measure wash-c; stop_server
  start_server wash-js "$work/wash-js.log" "$WASH" serve --tier optimized --addr 127.0.0.1:0 "$js_hello"
  measure wash-js; stop_server
  port=$(free_port)
  start_server jco-c "$work/jco-c.log" "$JCO" serve --host 127.0.0.1 --port "$port" "$c_hello"
  URL=http://127.0.0.1:$port; measure jco-c; stop_server
  for comp in "$c_hello" "$js_hello"; do
    name=$(basename "$comp" .wasm)
    label=jcofresh-$([ "$comp" = "$c_hello" ] && echo c || echo js)
    port=$(free_port)
    start_server "$label" "$work/$label.log" \
      node "$ROOT/bench/programs/jco-fresh-serve.mjs" "$work/jco-$name" "$name" 127.0.0.1 "$port"
    URL=http://127.0.0.1:$port; measure "$label"; stop_server
  done
done

col() { awk -v l="$1" -v c="$2" '$1 == l {print $c}' "$work/results" | median; }
echo "== wash serve: hello world, wrk -t1 -c$conns keep-alive, median of $saved_runs x ${secs}s"
machine_line
printf '%-36s %10s %9s %9s %13s\n' "server" "req/s" "p50 ms" "p99 ms" "CPU us/req"
for l in native wash-c jco-c jcofresh-c wash-js jcofresh-js; do
  case $l in
    native) name="native C on src/http" ;;
    wash-c) name="wash serve, C component" ;;
    jco-c) name="jco serve, C component" ;;
    jcofresh-c) name="jco, fresh instance, C component" ;;
    wash-js) name="wash serve, JS component" ;;
    jcofresh-js) name="jco, fresh instance, JS component" ;;
  esac
  printf '%-36s %10.0f %9.3f %9.3f %13.1f\n' "$name" "$(col $l 2)" "$(col $l 3)" "$(col $l 4)" \
    "$(col $l 5)"
done
echo "jco serve, JS component: answers one request, then every request fails (one instance)"
echo "C component / native:                  $(ratio "$(col wash-c 2)" "$(col native 2)")  (goal >= 0.70)" \
     "  server CPU per request: $(ratio "$(col wash-c 5)" "$(col native 5)")x native's"
echo "C component / jco serve:               $(ratio "$(col wash-c 2)" "$(col jco-c 2)")  (goal >= 10)"
echo "C component / jco, fresh instance:     $(ratio "$(col wash-c 2)" "$(col jcofresh-c 2)")"
echo "JS component / jco, fresh instance:    $(ratio "$(col wash-js 2)" "$(col jcofresh-js 2)")  (goal >= 10)"

echo "== per-request instantiation (fresh WASI context + instance + free), optimized tier"
for comp in "$c_hello" "$js_hello"; do
  r=$("$HTTP_BENCH" instantiate --iters 2000 "$comp")
  printf '%-34s median %8.2f us   p99 %8.2f us\n' "$(basename "$comp")" \
    "$(json median_us <<<"$r")" "$(json p99_us <<<"$r")"
done
