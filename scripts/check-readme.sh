#!/usr/bin/env bash
# Run the README's commands as written: every `$ ` line of its ```console
# blocks, in order, in one bash (so `wash=...` carries over), failing on the
# first command that fails. Where the README shows a command's output on the
# next line and the command is a curl, that output must match exactly.
# A line ending in `# until Ctrl-C` runs for 3 s and is then interrupted.
#
# It brings up the platform (scripts/bootstrap.sh: ports 4222 and 8080, as the
# README says) with its state in a temporary directory, and always ends with
# `wash down`. scripts/test.sh runs it last; CI runs scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

state=$(mktemp -d)
script=$state/readme-commands.sh
export WASH_STATE_DIR=$state/wash
trap 'build-release/bin/wash down >/dev/null 2>&1 || true; rm -rf "$state"' EXIT

# The commands and the expected output of curl lines, as a bash script.
awk '
    /^```console/ { inblock = 1; next }
    /^```/        { inblock = 0; want = ""; next }
    !inblock      { next }
    want != "" {
        if ($0 !~ /^\$ /) {
            gsub(/\047/, "\047\\\047\047", $0)
            printf "[ \"$out\" = \047%s\047 ] || { echo \"README: %s printed: $out\" >&2; exit 1; }\n", $0, want
        }
        want = ""
    }
    /^\$ / {
        cmd = substr($0, 3)
        n++
        printf "echo \"+ %s\" | sed \"s/^/README[%d] /\"\n", cmd, n
        if (cmd ~ /# until Ctrl-C$/) {
            sub(/ *# until Ctrl-C$/, "", cmd)
            printf "rc=0; timeout -s INT 3 %s || rc=$?\n", cmd
            print "[ $rc = 0 ] || [ $rc = 124 ] || { echo \"README: exit $rc\" >&2; exit 1; }"
        } else if (cmd ~ /^curl /) {
            printf "out=$(%s 2>/dev/null)\necho \"$out\"\n", cmd
            want = cmd
        } else {
            print cmd
        }
    }
' README.md >"$script"

if ! grep -q 'scripts/bootstrap.sh' "$script"; then
    echo "check-readme: no console commands found in README.md" >&2
    exit 1
fi
bash -e "$script"
echo "README commands: all ran as written"
