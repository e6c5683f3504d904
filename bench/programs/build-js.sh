#!/usr/bin/env bash
# build-js.sh OUTDIR
#
# Builds the JavaScript engine benchmark input: js-hello/hello.js, a
# wasi:http/proxy fetch handler, made into a component by componentize-js
# 0.18.1 (StarlingMonkey = SpiderMonkey + WASI 0.2.3 host API, pre-initialized
# with wizer), then splits out its core modules. Writes:
#   OUTDIR/hello-js.wasm            the component
#   OUTDIR/hello-js-core/core-N.wasm  its core modules (extract-core.py); the
#                                   largest is the StarlingMonkey engine
# Needs node and the npm packages pinned in the repository's package.json /
# package-lock.json: run `npm ci` in the repository root first.
set -euo pipefail

die() { echo "build-js.sh: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: build-js.sh OUTDIR"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mkdir -p "$1" || die "cannot create output directory $1"
out="$(cd "$1" && pwd)"

command -v node >/dev/null || die "node not found (Node.js 18 or later is needed)"
command -v python3 >/dev/null || die "python3 not found"
cjs="$root/node_modules/@bytecodealliance/componentize-js"
if [ ! -f "$cjs/package.json" ] || [ ! -f "$cjs/src/cli.js" ]; then
    die "$cjs is missing: run npm ci first (in $root)"
fi
ver="$(node -p 'require(process.argv[1]).version' "$cjs/package.json")"
[ "$ver" = 0.18.1 ] \
    || die "componentize-js is $ver, package.json pins 0.18.1: run npm ci first (in $root)"
[ -f "$root/wit/deps/http/package.wit" ] \
    || die "wit/deps is missing: run $here/update-js-wit-deps.sh"

# componentize-js records the source path relative to the working directory
# (and wizer maps that directory in as /), so run it from js-hello/ to keep
# absolute paths out of the component.
start=$(date +%s)
(cd "$here/js-hello" && node "$cjs/src/cli.js" hello.js --wit wit --world-name hello-js \
    -o "$out/hello-js.wasm.tmp") \
    || die "componentize-js failed"
mv -f "$out/hello-js.wasm.tmp" "$out/hello-js.wasm"
echo "build-js.sh: wrote $out/hello-js.wasm ($(stat -c %s "$out/hello-js.wasm") bytes," \
     "$(( $(date +%s) - start )) s)"

python3 "$here/extract-core.py" "$out/hello-js.wasm" "$out/hello-js-core" \
    || die "extract-core.py failed"
