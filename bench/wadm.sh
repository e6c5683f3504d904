#!/usr/bin/env bash
# wadm on a real lattice: model.deploy of a 3-component app to its first
# served request, and the time to serve again after kill -9 of the host
# running it (wadm notices the host is gone and reschedules).
#   bench/wadm.sh [RUNS]
source "$(dirname "$0")/lib.sh"
runs=${1:-5}
bench_build
export BUILD
"$BUILD/bin/wc-http-bench" instantiate --iters 10 "$BUILD/tests/guests/http-hello-c.wasm" >/dev/null
out=$(python3 "$ROOT/bench/programs/wadm-bench.py" "$runs")
echo "== wadm: $runs runs (median, then every run, ms)"
machine_line
awk '$1 == "deploy" {printf "model.deploy -> first 200 (3 components):  median %s ms   runs:", $2; for (i = 3; i <= NF; i++) printf " %s", $i; print ""}' <<<"$out"
awk '$1 == "failover" {printf "kill -9 of the app host -> 200 again:      median %s ms   runs:", $2; for (i = 3; i <= NF; i++) printf " %s", $i; print ""}' <<<"$out"
