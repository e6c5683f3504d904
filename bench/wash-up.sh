#!/usr/bin/env bash
# wash up → ready (NATS with JetStream, host and wadm all answering: what
# `wash up --detached` waits for), and `wash app deploy FILE` → the app's
# first 200, on a fresh state directory each run.
#   bench/wash-up.sh [RUNS]
source "$(dirname "$0")/lib.sh"
runs=${1:-5}
bench_build
hello=$BUILD/tests/guests/http-hello-c.wasm
"$BUILD/bin/wc-http-bench" instantiate --iters 10 "$hello" >/dev/null # code cache warm
work=$(mktemp -d)
trap 'WASH_STATE_DIR=$work/state "$WASH" down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
now_ms() { date +%s%3N; }
: >"$work/up"
: >"$work/deploy"
for i in $(seq 1 "$runs"); do
  export WASH_STATE_DIR=$work/state-$i
  nport=$(free_port)
  aport=$(free_port)
  sed -e "s|file://[^ ]*http-hello-c.wasm|file://$hello|" -e "s|127.0.0.1:0|127.0.0.1:$aport|" \
    >"$work/app.yaml" <<YAML
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: bench, annotations: {version: v1}}
spec:
  components:
    - name: web
      type: component
      properties: {image: "file://http-hello-c.wasm"}
      traits: [{type: spreadscaler, properties: {instances: 4}}]
    - name: httpserver
      type: capability
      properties: {image: "ghcr.io/wasmcloud/http-server:0.27.0"}
      traits:
        - {type: spreadscaler, properties: {instances: 1}}
        - type: link
          properties:
            target: web
            namespace: wasi
            package: http
            interfaces: [incoming-handler]
            source: {config: [{name: listen, properties: {address: "127.0.0.1:0"}}]}
YAML
  t0=$(now_ms)
  "$WASH" up --detached --nats-port "$nport" >/dev/null
  t1=$(now_ms)
  echo $((t1 - t0)) >>"$work/up"
  t0=$(now_ms)
  "$WASH" app deploy "$work/app.yaml" --nats-url "nats://127.0.0.1:$nport" >/dev/null
  until curl -fs "http://127.0.0.1:$aport/" >/dev/null 2>&1; do sleep 0.002; done
  t1=$(now_ms)
  echo $((t1 - t0)) >>"$work/deploy"
  "$WASH" down >/dev/null
done
echo "== wash up and wash app deploy, $runs runs (ms)"
machine_line
printf 'wash up --detached -> ready:            median %s ms   runs: %s\n' \
  "$(median <"$work/up")" "$(tr '\n' ' ' <"$work/up")"
printf 'wash app deploy -> first 200:           median %s ms   runs: %s\n' \
  "$(median <"$work/deploy")" "$(tr '\n' ' ' <"$work/deploy")"
