#!/usr/bin/env bash
# build-sqlite.sh OUTDIR
#
# Builds SQLite (a large real C program, ~9 MB of C in one file) for
# wasm32-wasi (WASI preview 1) from the amalgamation shipped in the npm
# package sqlite3@6.0.1 (deps/sqlite-autoconf-3520000.tar.gz: sqlite3.c,
# sqlite3.h, shell.c of SQLite 3.52.0). The package is fetched with
# `npm pack` (no install scripts run) and checked against the registry's
# sha512 below. Writes:
#   OUTDIR/sqlite.wasm        the sqlite3 command-line shell (reads SQL on
#                             stdin, e.g. `... sqlite.wasm :memory: < x.sql`)
#   OUTDIR/sqlite-bench.wasm  sqlite-bench.c: in-memory workload, no input
#   OUTDIR/sqlite-build/      sources and objects (a cache, safe to delete)
# With SQLITE_NATIVE=1 also OUTDIR/sqlite-bench-native (cc -O2), whose
# output must equal sqlite-bench.wasm's.
#
# Needs: clang (14) with --target=wasm32-wasi, lld, Debian's wasi-libc and
# libclang-rt-14-dev-wasm32; npm and node (to fetch the package).
set -euo pipefail

die() { echo "build-sqlite.sh: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: build-sqlite.sh OUTDIR"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1" || die "cannot create output directory $1"
out="$(cd "$1" && pwd)"

PKG_NAME=sqlite3
PKG_VERSION=6.0.1
PKG_INTEGRITY='sha512-X0czUUMG2tmSqJpEQa3tCuZSHKIx8PwM53vLZzKp/o6Rpy25fiVfjdbnZ988M8+O3ZWR1ih0K255VumCb3MAnQ=='
AUTOCONF=sqlite-autoconf-3520000

CLANG="${CLANG:-clang}"
SYSROOT="${WASI_SYSROOT:-/usr}"
command -v "$CLANG" >/dev/null || die "$CLANG not found (apt-get install clang lld)"
command -v npm >/dev/null || die "npm not found (install node and npm)"
command -v node >/dev/null || die "node not found"
[ -f "$SYSROOT/lib/wasm32-wasi/libc.a" ] || [ -f "$SYSROOT/lib/libc.a" ] \
    || die "no wasi-libc under $SYSROOT (apt-get install wasi-libc libclang-rt-14-dev-wasm32)"

work="$out/sqlite-build"
src="$work/$AUTOCONF"
mkdir -p "$work"

# --- 1. fetch and unpack the amalgamation (once) ---------------------------
tgz="$work/$PKG_NAME-$PKG_VERSION.tgz"
if [ ! -f "$src/sqlite3.c" ] || [ ! -f "$src/shell.c" ] || [ ! -f "$src/sqlite3.h" ]; then
    if [ ! -f "$tgz" ]; then
        echo "build-sqlite.sh: fetching $PKG_NAME@$PKG_VERSION with npm pack"
        (cd "$work" && npm pack "$PKG_NAME@$PKG_VERSION" --ignore-scripts --silent >/dev/null) \
            || die "npm pack $PKG_NAME@$PKG_VERSION failed (is the npm registry reachable?)"
        [ -f "$tgz" ] || die "npm pack did not produce $tgz"
    fi
    got="sha512-$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tgz")"
    if [ "$got" != "$PKG_INTEGRITY" ]; then
        rm -f "$tgz"
        die "$PKG_NAME-$PKG_VERSION.tgz integrity mismatch: got $got"
    fi
    rm -rf "$src" "$work/package"
    tar -xzf "$tgz" -C "$work" "package/deps/$AUTOCONF.tar.gz" \
        || die "package/deps/$AUTOCONF.tar.gz not found in $tgz"
    tar -xzf "$work/package/deps/$AUTOCONF.tar.gz" -C "$work" \
        "$AUTOCONF/sqlite3.c" "$AUTOCONF/sqlite3.h" "$AUTOCONF/shell.c" "$AUTOCONF/VERSION" \
        || die "sqlite3.c/shell.c not found in $AUTOCONF.tar.gz"
    rm -rf "$work/package"
fi
echo "build-sqlite.sh: SQLite $(cat "$src/VERSION") from $PKG_NAME@$PKG_VERSION"

# --- 2. compile --------------------------------------------------------------
# SQLite's own __wasi__ support sets SQLITE_WASI (no popen, no pwd.h, no
# shared memory). The rest:
#   OMIT_LOAD_EXTENSION, THREADSAFE=0  no dlopen, no pthreads in WASI p1
#   OMIT_WAL                           WAL needs mmap'd shared memory
#   _WASI_EMULATED_*                   the shell includes <signal.h>,
#                                      <sys/resource.h> (getrusage) and calls
#                                      getpid(); wasi-libc gates them
# wasi-shim.h/.c supply chmod, realpath and system, which the shell calls
# and the 2022 wasi-libc lacks (they fail with ENOSYS).
DEFS=(-DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_WAL
      -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_GETPID)
WCC=("$CLANG" --target=wasm32-wasi --sysroot="$SYSROOT" -O2)
LIBS=(-lwasi-emulated-signal -lwasi-emulated-process-clocks -lwasi-emulated-getpid)
# 1 MiB of shadow stack instead of wasm-ld's 64 KiB (deep SQL parses recurse);
# --strip-debug drops the DWARF that comes with Debian's libc.a (~300 KB)
# but keeps the "name" section for profiles.
# shellcheck disable=SC2054  # the commas are part of -Wl, arguments
LDFLAGS=(-Wl,-z,stack-size=1048576 -Wl,--strip-debug)

pids=()
"${WCC[@]}" "${DEFS[@]}" -c "$src/sqlite3.c" -o "$work/sqlite3.o" & pids+=($!)
"${WCC[@]}" "${DEFS[@]}" -I"$src" -include "$here/sqlite-wasi-shim.h" \
    -c "$src/shell.c" -o "$work/shell.o" & pids+=($!)
for p in "${pids[@]}"; do wait "$p" || die "compiling the SQLite sources failed"; done
"${WCC[@]}" -c "$here/sqlite-wasi-shim.c" -o "$work/wasi-shim.o" || die "compiling sqlite-wasi-shim.c failed"
"${WCC[@]}" -Wall -Wextra -I"$src" -c "$here/sqlite-bench.c" -o "$work/sqlite-bench.o" \
    || die "compiling sqlite-bench.c failed"

# --- 3. link -----------------------------------------------------------------
"${WCC[@]}" "${LDFLAGS[@]}" -o "$out/sqlite.wasm.tmp" \
    "$work/shell.o" "$work/sqlite3.o" "$work/wasi-shim.o" "${LIBS[@]}" \
    || die "linking sqlite.wasm failed"
mv -f "$out/sqlite.wasm.tmp" "$out/sqlite.wasm"
"${WCC[@]}" "${LDFLAGS[@]}" -o "$out/sqlite-bench.wasm.tmp" \
    "$work/sqlite-bench.o" "$work/sqlite3.o" \
    || die "linking sqlite-bench.wasm failed"
mv -f "$out/sqlite-bench.wasm.tmp" "$out/sqlite-bench.wasm"

echo "build-sqlite.sh: wrote $out/sqlite.wasm ($(stat -c %s "$out/sqlite.wasm") bytes)"
echo "build-sqlite.sh: wrote $out/sqlite-bench.wasm ($(stat -c %s "$out/sqlite-bench.wasm") bytes)"

if [ "${SQLITE_NATIVE:-0}" = 1 ]; then
    "${CC:-cc}" -O2 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_WAL \
        -I"$src" -o "$out/sqlite-bench-native.tmp" "$here/sqlite-bench.c" "$src/sqlite3.c" -lm \
        || die "native build of sqlite-bench failed"
    mv -f "$out/sqlite-bench-native.tmp" "$out/sqlite-bench-native"
    echo "build-sqlite.sh: wrote $out/sqlite-bench-native"
fi
