#!/usr/bin/env bash
# `wash serve` end to end with components built from C and JavaScript:
#  - http-echo (JS): method, path, query, headers and a 10 MB body come back
#  - http-fetch (JS): outbound HTTP to a local server (another wash serve)
#  - http-paths-c (C): a trap mid-response cuts the response, a trap before
#    responding gives a 500, a spinning guest is stopped by --timeout; the
#    server keeps serving throughout
#  - startup errors for a missing import and a malformed component; Ctrl-C
BUILD=$(cd "${1:?usage: http_serve.sh BUILD_DIR}" && pwd)
source "$(dirname "$0")/lib.sh"

serve echo "$GUESTS/http-echo.wasm"
hdrs=$(curl -s -D - -o "$TMP/body" -H 'X-Test: yes' "$echo_URL/some/path?x=1&y=two")
expect_contains "$hdrs" "HTTP/1.1 200"
expect_contains "$hdrs" "x-method: GET"
expect_contains "$hdrs" "x-path: /some/path"
expect_contains "$hdrs" "x-query: ?x=1&y=two"
expect_contains "$hdrs" "x-h-x-test: yes"

head -c $((10 * 1024 * 1024)) /dev/urandom >"$TMP/big"
hdrs=$(curl -s -D - -o "$TMP/big.out" -X PUT --data-binary @"$TMP/big" "$echo_URL/upload")
expect_contains "$hdrs" "x-method: PUT"
expect_contains "$hdrs" "x-body-length: 10485760"
cmp -s "$TMP/big" "$TMP/big.out" || fail "10 MB body did not come back intact"
# Chunked request body.
hdrs=$(curl -s -D - -o "$TMP/chunked.out" -H 'Transfer-Encoding: chunked' \
       --data-binary @"$TMP/big" "$echo_URL/chunked")
expect_contains "$hdrs" "x-body-length: 10485760"
cmp -s "$TMP/big" "$TMP/chunked.out" || fail "chunked body did not come back intact"
# Keep-alive: several requests on one connection.
out=$(curl -sv "$echo_URL/a" "$echo_URL/b" 2>&1)
expect_contains "$out" "Re-using existing connection"

serve paths "$GUESTS/http-paths-c.wasm" --timeout 300ms
serve fetch "$GUESTS/http-fetch.wasm"
out=$(curl -s "$fetch_URL/?upstream=$paths_URL/hello")
expect_contains "$out" "upstream 200: Hello from C"
out=$(curl -s "$fetch_URL/?upstream=http://127.0.0.1:1/")
expect_contains "$out" "upstream failed"

# Traps and deadlines: the server answers and keeps serving.
expect_contains "$(curl -s "$paths_URL/")" "Hello from C"
if curl -s -o "$TMP/partial" "$paths_URL/trap"; then fail "a trap mid-response looked complete"; fi
status=$(curl -s -o /dev/null -w '%{http_code}' "$paths_URL/trap-early")
[ "$status" = 500 ] || fail "trap before responding gave $status, expected 500"
start=$(date +%s%N)
status=$(curl -s -o /dev/null -w '%{http_code}' "$paths_URL/spin")
[ "$status" = 500 ] || fail "a spinning guest gave $status, expected 500"
[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 ] || fail "the deadline did not stop the guest"
expect_contains "$(curl -s "$paths_URL/")" "Hello from C"
grep -q "trapped" "$TMP/paths.log" || fail "no trap was logged"
grep -q "deadline exceeded" "$TMP/paths.log" || fail "no deadline was logged"

# Out of file descriptors: the server pauses accepting (no spinning) and
# serves again once connections close.
log=$TMP/fdlimit.log
bash -c 'ulimit -n 40; exec "$0" "$@"' "$WASH" serve --addr 127.0.0.1:0 \
    "$GUESTS/http-hello-c.wasm" >"$log" 2>&1 &
PIDS+=($!)
fd_pid=$!
for _ in $(seq 1 100); do grep -q "^Serving" "$log" && break; sleep 0.05; done
fd_url=$(sed -n 's|^Serving .* on \(http://[^ ]*\).*|\1|p' "$log")
port=${fd_url##*:}
python3 - "$port" "$fd_pid" <<'PY' || fail "out of fds: $(tail -3 "$log")"
import socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
def cpu_ticks():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(60)]
time.sleep(0.5)
t0 = cpu_ticks(); time.sleep(1.0); used = cpu_ticks() - t0
if used > 30:
    sys.exit(f"the server used {used} ticks in 1 s while out of fds: spinning")
for s in socks:
    s.close()
PY
grep -q "cannot accept connections: Too many open files" "$log" || fail "no EMFILE warning: $(cat "$log")"
sleep 0.3
expect_contains "$(curl -s --max-time 5 "$fd_url/")" "Hello from C"

# Startup errors.
if "$WASH" serve --addr 127.0.0.1:0 "$GUESTS/http-missing-c.wasm" 2>"$TMP/err"; then
    fail "served a component with a missing import"
fi
expect_contains "$(cat "$TMP/err")" "imports test:c-http/nowhere, which this host does not provide"
echo garbage >"$TMP/bad.wasm"
if "$WASH" serve "$TMP/bad.wasm" 2>"$TMP/err"; then fail "served garbage"; fi
expect_contains "$(cat "$TMP/err")" "not a WebAssembly component"

# Ctrl-C stops cleanly.
kill -INT "$paths_PID"
wait "$paths_PID" && status=0 || status=$?
[ "$status" = 0 ] || fail "wash serve exited with $status after SIGINT"
echo "http_serve: ok"
