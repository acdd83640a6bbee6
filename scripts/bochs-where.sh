#!/usr/bin/env bash
# bochs-where.sh - name the kernel addresses in a stall dump.
#
# Usage: scripts/bochs-where.sh LOGDIR
#   LOGDIR: a scenario's log folder (build/test-logs/NAME) holding stall-dump.log
#   (written by run-vm.sh when the guest went silent) and serial.log, in which the
#   test system printed "odv-test: kernel _text at 0x..." (where KASLR put it).
# Prints each CPU's RIP and the stack words that point into the kernel's text as
# symbol+offset, from the stock kernel's own symbol list (scripts/kernel-symbols.sh
# makes it once: Debian's System.map is a stub). Addresses outside the kernel
# (odv-hv, user space) are left as they are.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -eq 1 ] && [ "$1" != -h ] && [ "$1" != --help ] || { sed -n 's/^# \{0,1\}//;3,10p' "$0"; exit 2; }
dir=$1
[ -f "$dir/stall-dump.log" ] || { echo "bochs-where.sh: no $dir/stall-dump.log" >&2; exit 1; }
text=$(tr -d '\r' < "$dir/serial.log" | sed -n 's/^odv-test: kernel _text at \(0x[0-9a-f]*\)$/\1/p' | tail -n1)
[ -n "$text" ] || { echo "bochs-where.sh: $dir/serial.log does not say where the kernel is (no '_text at' line)" >&2; exit 1; }
map=build/kernel/kallsyms.txt
[ -s "$map" ] && [ "$map" -nt build/kernel/vmlinuz ] || scripts/kernel-symbols.sh "$map" >&2
python3 - "$map" "$text" "$dir/stall-dump.log" <<'PY'
import bisect, re, sys
mapf, text, dump = sys.argv[1], int(sys.argv[2], 16), sys.argv[3]
syms = []
for line in open(mapf):
    a, t, n = line.split()[:3]
    syms.append((int(a, 16), n))
syms.sort()
base = dict((n, a) for a, n in syms)["_text"]
delta = text - base
addrs = [a for a, _ in syms]
end = max(addrs)
def name(v):
    k = v - delta
    if k < addrs[0] or k > end + 0x100000:
        return None
    i = bisect.bisect_right(addrs, k) - 1
    return "%s+0x%x" % (syms[i][1], k - syms[i][0])
cpu = None
for line in open(dump):
    m = re.match(r"^cpu(\d+) rip=([0-9a-f]+)", line)
    if m:
        print("cpu%s rip %s" % (m.group(1), name(int(m.group(2), 16)) or m.group(2)))
        continue
    m = re.search(r"CPU(\d+):$", line.strip())
    if m:
        cpu = m.group(1)   # "r" names the CPU its registers are of; the stack follows
    m = re.search(r"STACK (0x[0-9a-f]+) \[0x([0-9a-f]{8}):0x([0-9a-f]{8})\]", line)
    if m:
        v = int(m.group(2) + m.group(3), 16)
        n = name(v)
        if n:
            print("cpu%s   stack %s: %s" % (cpu, m.group(1), n))
PY
