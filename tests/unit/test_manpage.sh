#!/usr/bin/env bash
# Host test of docs/odv.8, odv's man page: groff and man render it without a
# warning, and it describes every command that `odv --help` lists and, in that
# command's section (.SS "odv COMMAND"), an entry (.TP) for every --option that
# `odv COMMAND --help` prints. Needs build/odv (make agent).
# One line per check: "PASS name" or "FAIL name: why".
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
page=${ODV_MANPAGE:-docs/odv.8}     # ODV_MANPAGE: another copy of the page (to see the test fail)
odv=build/odv
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odv-manpage.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ ! -r "$page" ]; then echo "FAIL $page exists: not found"; exit 0; fi

# 1. Rendering: groff with every warning on, then man itself.
if command -v groff >/dev/null; then
    groff -man -Tutf8 -ww -z "$page" > /dev/null 2> "$tmp/groff.err"; rc=$?
    [ $rc -eq 0 ] && [ ! -s "$tmp/groff.err" ] && echo "PASS groff -man -ww renders it without warnings" \
        || echo "FAIL groff -man -ww renders it without warnings: rc=$rc $(head -5 "$tmp/groff.err" | tr '\n' ' ')"
else
    echo "FAIL groff -man -ww renders it without warnings: groff not installed (scripts/setup.sh installs groff-base)"
fi
if command -v man >/dev/null; then
    MANWIDTH=80 man --warnings=w -P cat -l "$page" > "$tmp/man.out" 2> "$tmp/man.err"; rc=$?
    [ $rc -eq 0 ] && [ ! -s "$tmp/man.err" ] && grep -q '^NAME' "$tmp/man.out" && grep -q '^EXIT STATUS' "$tmp/man.out" \
        && echo "PASS man -l shows it without warnings" \
        || echo "FAIL man -l shows it without warnings: rc=$rc $(head -5 "$tmp/man.err" | tr '\n' ' ')"
else
    echo "FAIL man -l shows it without warnings: man not installed (scripts/setup.sh installs man-db)"
fi

# 2. Coverage of --help. The page's text as words: no comments, \- as -, no font changes.
if [ ! -x "$odv" ]; then echo "FAIL $odv exists: run make agent"; exit 0; fi
sed -e '/^\.\\"/d' -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(dq/"/g' "$page" > "$tmp/text"

mentions() {   # mentions FILE OPTION: OPTION appears in FILE as a whole word
    grep -qE -- "(^|[^A-Za-z0-9-])$2([^A-Za-z0-9-]|\$)" "$1"
}

"$odv" --help > "$tmp/help" 2>&1
cmds=$(sed -n '/^commands/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p' "$tmp/help")
n=$(echo "$cmds" | grep -c .)
[ "$n" -ge 8 ] && echo "PASS odv --help lists the commands ($n)" \
    || echo "FAIL odv --help lists the commands: found $n in: $(head -c 200 "$tmp/help")"
for opt in $(grep -oE -- '--[a-z][a-z-]*' "$tmp/help" | sort -u); do
    mentions "$tmp/text" "$opt" && echo "PASS odv.8 mentions $opt (odv --help)" \
        || echo "FAIL odv.8 mentions $opt (odv --help): not in $page"
done

for c in $cmds; do
    # The command's section: from .SS "odv C" to the next .SS or .SH.
    awk -v want="odv $c" '
        /^\.S[HS]/ { t = $0; sub(/^\.S[HS] */, "", t); gsub(/"/, "", t); on = ($1 == ".SS" && t == want); next }
        on' "$tmp/text" > "$tmp/sec"
    if [ ! -s "$tmp/sec" ]; then
        echo "FAIL odv.8 has a section for $c: no .SS \"odv $c\" with text"
        continue
    fi
    echo "PASS odv.8 has a section for $c"
    # Its options' entries: the tag line after each .TP.
    awk 'tag { print; tag = 0 } /^\.TP/ { tag = 1 }' "$tmp/sec" > "$tmp/tags"
    mentions "$tmp/text" "odv $c" || echo "FAIL odv.8 shows odv $c: never named as a command"
    "$odv" "$c" --help > "$tmp/h.$c" 2>&1; rc=$?
    [ $rc -eq 0 ] || echo "FAIL odv $c --help exits 0: rc=$rc"
    for opt in $(grep -oE -- '--[a-z][a-z-]*' "$tmp/h.$c" | sort -u); do
        mentions "$tmp/tags" "$opt" && echo "PASS odv.8 describes $c $opt" \
            || echo "FAIL odv.8 describes $c $opt: no .TP entry for it in its section (.SS \"odv $c\")"
    done
done
