#!/usr/bin/env bash
# wasi:filesystem end to end: a C guest (tests/data/fs_guest.c, built with
# wasi-libc and adapted with jco) runs under `wash run --dir` against a temp
# directory. It creates, appends, stats, renames, links and removes files and
# directories, then tries to leave the granted directory (.., absolute paths,
# symlinks pointing out); the script checks its output line by line and that
# nothing outside the granted directory was touched.
#
# Usage: tests/integration/fs_test.sh BUILD_DIR   (the build must be complete)
set -euo pipefail

build=$(cd "${1:?usage: fs_test.sh BUILD_DIR}" && pwd)
wash=$build/bin/wash
guest=$build/tests/guests/fs_guest.wasm

[ -f "$guest" ] || { echo "fs_test: $guest is missing (built by tests/guests)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/sandbox/d"
echo secret >"$tmp/outside.txt"
echo A >"$tmp/sandbox/a.txt"
ln -s ../outside.txt "$tmp/sandbox/escape"
ln -s /etc/passwd "$tmp/sandbox/abs"
ln -s .. "$tmp/sandbox/updir"

status=0
"$wash" run --dir "$tmp/sandbox::/sandbox" "$guest" /sandbox >"$tmp/out.txt" 2>"$tmp/err.txt" ||
    status=$?

cat >"$tmp/expected.txt" <<'OUT'
ok opendir
list: a.txt abs d escape updir
ok create hello.txt
ok write hello.txt
ok read hello.txt
ok open for append
ok append
ok read after append
ok open read-write
ok pwrite
ok pread
ok ftruncate
ok fstat
ok content after pwrite and truncate
ok fsync and fdatasync
ok posix_fadvise
ok F_GETFL is O_RDWR
ok futimens
ok same inode by path and by descriptor
ok different files differ
ok write big
ok O_EXCL on existing is EEXIST
ok read big back
ok unlink big
ok write to read-only fd refused
ok stat file
ok stat dir
ok stat missing is ENOENT
ok mkdir sub
ok mkdir again is EEXIST
ok stat sub
ok create sub/inner.txt
ok rmdir non-empty is ENOTEMPTY
ok unlink sub/inner.txt
ok rmdir sub
ok sub is gone
ok rename
ok old name gone
ok new name readable
ok link
ok link count 2
ok unlink hard.txt
ok symlink
ok readlink
ok lstat link
ok read through symlink
ok link following a symlink
ok followed link is the file
ok unlink hard2
ok unlink symlink
ok utimensat
ok times set
ok unlink renamed.txt
ok renamed.txt gone
ok open dir
denied: ../outside.txt: Operation not permitted
denied: d/../../outside.txt: Operation not permitted
denied: /etc/passwd: Capabilities insufficient
denied: escape: Operation not permitted
denied: abs: Operation not permitted
denied: updir/outside.txt: Operation not permitted
denied: updir/new.txt: Operation not permitted
denied: escape: Operation not permitted
denied: raw /etc/passwd: Operation not permitted
denied: /sandbox/../outside.txt: Operation not permitted
ok mkdir outside refused
ok absolute symlink refused
denied: symlink /etc/passwd: Operation not permitted
ok rename outside refused
ok link through escaping symlink refused
ok stat through escaping symlink refused
ok lstat of escaping symlink itself works
ok unlink outside refused
ok opendir
list: a.txt abs d escape updir
done: 0 failures
OUT

fail=0
if [ "$status" -ne 0 ]; then
    echo "fs_test: guest exited with status $status" >&2
    fail=1
fi
if ! diff -u "$tmp/expected.txt" "$tmp/out.txt" >&2; then
    echo "fs_test: guest output differs (above: - expected, + actual)" >&2
    fail=1
fi
# Nothing outside the granted directory changed, and the guest cleaned up inside it.
[ "$(cat "$tmp/outside.txt")" = secret ] || { echo "fs_test: outside.txt changed" >&2; fail=1; }
[ "$(cd "$tmp" && ls -A | sort | tr '\n' ' ')" = "err.txt expected.txt out.txt outside.txt sandbox " ] ||
    { echo "fs_test: files appeared outside the granted directory: $(ls -A "$tmp")" >&2; fail=1; }
[ "$(ls -A "$tmp/sandbox" | sort | tr '\n' ' ')" = "a.txt abs d escape updir " ] ||
    { echo "fs_test: sandbox left as: $(ls -A "$tmp/sandbox")" >&2; fail=1; }
[ "$(cat "$tmp/sandbox/a.txt")" = A ] || { echo "fs_test: a.txt changed" >&2; fail=1; }

# Without the grant, the guest sees no directory at all.
if "$wash" run "$guest" /sandbox >"$tmp/out2.txt" 2>&1; then
    echo "fs_test: guest ran without --dir" >&2
    fail=1
fi
grep -q "FAIL chdir /sandbox" "$tmp/out2.txt" || { echo "fs_test: expected chdir to fail" >&2; fail=1; }

if [ "$fail" -ne 0 ]; then
    echo "--- stderr of the guest:" >&2
    cat "$tmp/err.txt" >&2
    exit 1
fi
echo "fs_test: ok"
