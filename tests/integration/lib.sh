# Shared by the integration tests: paths, starting `wash serve`, assertions.
# Source it after setting BUILD (the build directory).
set -euo pipefail
WASH=$BUILD/bin/wash
GUESTS=$BUILD/tests/guests
TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_contains() { grep -qF -- "$2" <<<"$1" || fail "expected \"$2\" in: $1"; }

# serve NAME COMPONENT [OPTIONS...]: start `wash serve` on a free port; sets ${NAME}_URL.
serve() {
    local name=$1 comp=$2 log=$TMP/$1.log
    : >"$log"
    shift 2
    "$WASH" serve --addr 127.0.0.1:0 "$@" "$comp" >"$log" 2>&1 &
    PIDS+=($!)
    eval "${name}_PID=$!"
    for _ in $(seq 1 200); do
        if grep -q "^Serving" "$log"; then
            eval "${name}_URL=$(sed -n 's|^Serving .* on \(http://[^ ]*\).*|\1|p' "$log")"
            return 0
        fi
        kill -0 "$!" 2>/dev/null || fail "wash serve $comp exited: $(cat "$log")"
        sleep 0.05
    done
    fail "wash serve $comp did not start: $(cat "$log")"
}
