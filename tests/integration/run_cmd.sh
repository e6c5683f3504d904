#!/usr/bin/env bash
# `wash run` with a C command component (clang + wasi-libc + jco new
# --wasi-command): arguments, environment, stdin, stderr, exit status; and
# clear errors for what cannot be run.
BUILD=$(cd "${1:?usage: run_cmd.sh BUILD_DIR}" && pwd)
source "$(dirname "$0")/lib.sh"

out=$(printf 'hello' | "$WASH" run --env WHO=tester "$GUESTS/cmd.wasm" a "b c" --flag exit=3 \
      2>"$TMP/err") && status=0 || status=$?
# WASI 0.2 exit takes result<_, _> (exit-with-code is still unstable), so
# wasi-libc reports any failing status as err and the process exits with 1.
[ "$status" = 1 ] || fail "exit status $status, expected 1"
expect_contains "$out" "arg[1]=a"
expect_contains "$out" "arg[2]=b c"
expect_contains "$out" "arg[3]=--flag"
expect_contains "$out" "WHO=tester"
expect_contains "$out" "stdin=5 bytes"
expect_contains "$(cat "$TMP/err")" "to stderr"

out=$("$WASH" run "$GUESTS/cmd.wasm" </dev/null) || fail "exit status $? for a clean run"
expect_contains "$out" "WHO=(unset)"
expect_contains "$out" "stdin=0 bytes"

# Errors that name what is wrong.
if "$WASH" run "$GUESTS/http-echo.wasm" 2>"$TMP/err"; then fail "ran an HTTP component"; fi
expect_contains "$(cat "$TMP/err")" "not a command component"
if "$WASH" run "$TMP/missing.wasm" 2>"$TMP/err"; then fail "ran a missing file"; fi
expect_contains "$(cat "$TMP/err")" "cannot read"
head -c 1000 "$GUESTS/cmd.wasm" >"$TMP/cut.wasm"
if "$WASH" run "$TMP/cut.wasm" 2>"$TMP/err"; then fail "ran a truncated component"; fi
grep -qE "unexpected end|size mismatch|out of bounds" "$TMP/err" || fail "unclear: $(cat "$TMP/err")"
if "$WASH" run --env NOEQUALS "$GUESTS/cmd.wasm" 2>"$TMP/err"; then fail "accepted --env without ="; fi
expect_contains "$(cat "$TMP/err")" "expected KEY=VALUE"
echo "run_cmd: ok"
