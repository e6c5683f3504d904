#!/usr/bin/env bash
# update-js-wit-deps.sh [DEPSDIR]
#
# (Re)writes the WASI 0.2.3 WIT packages that js-hello/wit/world.wit uses,
# into DEPSDIR (default: wit/deps at the repository root, committed; run this
# only to regenerate or check it).
#
# Neither @bytecodealliance/jco@1.11.1 nor componentize-js@0.18.1 ships .wit
# files, so they come from the npm package @spinframework/wasi-http-proxy
# @1.0.1 (Apache-2.0 WITH LLVM-exception), whose wit/wasi-http@0.2.3.wit holds
# wasi:io, clocks, random, filesystem, sockets, cli and http @0.2.3 as nested
# packages. The package is fetched with `npm pack` (no scripts, checked
# against the registry's sha512) and each nested package is written as
# DEPSDIR/<name>/package.wit, plus the package's LICENSE.
set -euo pipefail

die() { echo "update-js-wit-deps.sh: error: $*" >&2; exit 1; }

[ $# -le 1 ] || die "usage: update-js-wit-deps.sh [DEPSDIR]"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
deps="${1:-$here/../../wit/deps}"

PKG=@spinframework/wasi-http-proxy
VER=1.0.1
INTEGRITY='sha512-i+C/VoTXqcIYKcsGBZRA0/gQX3nV4LKG88IH43aaYtPK5oNQNdMM5ZnOYrnJsZO+2D3Yn94B1bn6OHCoU2B2sw=='
WIT=wasi-http@0.2.3.wit

command -v npm >/dev/null || die "npm not found"
command -v python3 >/dev/null || die "python3 not found"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "$PKG@$VER" --ignore-scripts --silent >/dev/null) \
    || die "npm pack $PKG@$VER failed (is the npm registry reachable?)"
tgz="$tmp/spinframework-wasi-http-proxy-$VER.tgz"
[ -f "$tgz" ] || die "npm pack did not produce $tgz"
got="sha512-$(python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$tgz")"
[ "$got" = "$INTEGRITY" ] || die "$PKG@$VER integrity mismatch: got $got"
tar -xzf "$tgz" -C "$tmp" "package/wit/$WIT" package/LICENSE || die "$WIT not found in $PKG@$VER"

mkdir -p "$deps"
python3 - "$tmp/package/wit/$WIT" "$deps" "$PKG@$VER" "$WIT" <<'PY'
import os, re, sys
src, deps, origin, witname = sys.argv[1:5]
lines = open(src, encoding="utf-8").read().split("\n")
pkgs = {}
i = 0
while i < len(lines):
    m = re.match(r"^package (wasi:([a-z-]+)@0\.2\.3) \{$", lines[i])
    if m:
        j = i + 1
        while lines[j] != "}":
            j += 1
        body = [l[2:] if l.startswith("  ") else l for l in lines[i + 1 : j]]
        pkgs[m.group(2)] = (m.group(1), body)
        i = j
    i += 1
want = ["cli", "clocks", "filesystem", "http", "io", "random", "sockets"]
missing = [w for w in want if w not in pkgs]
if missing:
    sys.exit("update-js-wit-deps.sh: error: %s lacks wasi packages %s" % (witname, missing))
# Only the WASI packages are ours to rewrite: the wasmCloud ones beside them
# (logging, config, messaging, bus, keyvalue; see wit/README.md) stay.
for name in want:
    full, body = pkgs[name]
    os.makedirs(os.path.join(deps, name), exist_ok=True)
    text = (
        "// %s, extracted from npm %s (wit/%s)\n"
        "// by bench/programs/update-js-wit-deps.sh. License: Apache-2.0 WITH\n"
        "// LLVM-exception, see ../LICENSE.\n"
        "package %s;\n\n%s\n" % (full, origin, witname, full, "\n".join(body).strip("\n"))
    )
    with open(os.path.join(deps, name, "package.wit"), "w", encoding="utf-8") as f:
        f.write(text)
    print("update-js-wit-deps.sh: wrote %s/package.wit (%d bytes)" % (os.path.join(deps, name), len(text)))
PY
cp "$tmp/package/LICENSE" "$deps/LICENSE"
