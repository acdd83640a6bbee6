#!/bin/sh
# Lists the longest C functions in the product (not the tests), longest first.
# A function is counted from its opening brace in column 0 to the closing
# brace in column 0, which is how every function in this tree is laid out.
# Usage: scripts/longest-functions.sh [N]   (default: 15 rows)
n=${1:-15}
cd "$(dirname "$0")/.." || exit 1
find hypervisor drivers guest-agent -name '*.c' | sort | while read -r f; do
	awk -v f="$f" '
		/^[A-Za-z_].*\(/ { sig = $0; sigline = NR }
		/^\{/ { start = NR; name = sig; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name) }
		/^\}/ && start { printf "%5d %s:%d %s\n", NR - start + 1, f, sigline, name; start = 0 }
	' "$f"
done | sort -rn | head -n "$n"
