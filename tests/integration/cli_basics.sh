#!/usr/bin/env bash
# wash --help lists the commands; wash version prints one; bad input is refused clearly.
set -euo pipefail
wash=$1
"$wash" --help | grep -q "wast"
"$wash" version | grep -q "^wash "
"$wash" wast --help | grep -q "usage: wash wast"
if "$wash" nosuchcommand 2>err.txt; then exit 1; fi
grep -q "not a wash command" err.txt
if "$wash" wast --tier fast x.wast 2>err.txt; then exit 1; fi
grep -q "tier must be baseline or optimized" err.txt
if "$wash" wast /nonexistent.wast >out.txt 2>&1; then exit 1; fi
grep -q "1 failed" out.txt
rm -f err.txt out.txt
