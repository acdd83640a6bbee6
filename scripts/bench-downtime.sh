#!/usr/bin/env bash
# bench-downtime.sh - guest-visible downtime of odv go-virtual and odv go-native
# against Linux's own hibernate to disk + reboot + resume (the mechanism of the
# original paper), all measured in ONE emulator run of the same guest: the
# stock kernel booted natively in Bochs (VMX) with a swap disk.
#
# Usage: scripts/bench-downtime.sh          (a benchmark, not a test; ~10-20 min)
#
# Figures: each interval is the host time between two marker lines the guest
# prints on its serial port around the operation (the line timestamps are
# taken here as the lines arrive), so all three share one clock and one
# emulator speed. odv's own guest-TSC figures are printed beside them. Bochs
# runs far slower than hardware: compare the ratio, not the seconds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
dir=build/bench
name=bench-downtime
serial=build/test-logs/$name/serial.log

make -s all bench-prereqs
mkdir -p "$dir" "build/test-logs/$name"

# The swap disk: 1040 cylinders x 16 heads x 63 sectors, swap signature on the whole disk.
img=$dir/swap.img
rm -f "$img" "$img.lock"   # a killed Bochs leaves its lock file behind
truncate -s $((1040 * 16 * 63 * 512)) "$img"
mkswap -q "$img" >/dev/null || /sbin/mkswap "$img" >/dev/null
{
    echo "ata0-slave: type=disk, path=\"$ROOT/$img\", mode=flat, cylinders=1040, heads=16, spt=63"
    # Linux may reboot by triple fault after writing the image: that must reset the machine.
    echo "cpu: reset_on_triple_fault=1"
} > "$dir/bochsrc-extra"
cat > "$dir/bench.expect" <<'X'
want ^bench: booted kernel 6\.1\.
want ^bench: go-virtual start$
want ^virtual: resumed under odv-hv, downtime [0-9.]+ s$
want ^memory: go-virtual held [0-9]+ MiB at its peak: the snapshot.s copy of the image, [0-9]+ MiB, and [0-9]+ MiB it allocated after it
want ^bench: go-virtual end exit 0$
want ^bench: go-native start$
want ^native: left odv-hv after [0-9]+ VM exits; the request took [0-9.]+ ms(;|$)
want ^bench: go-native end exit 0$
want ^bench: hibernate start$
want ^bench: hibernate end exit 0$
want ^bench: in use [0-9]+ MiB of [0-9]+ MiB, no swap$
want ^bench: go-virtual-40 start$
want ^virtual: resumed under odv-hv, downtime [0-9.]+ s$
want ^memory: go-virtual held [0-9]+ MiB at its peak: the snapshot.s copy of the image, [0-9]+ MiB, and [0-9]+ MiB it allocated after it
want ^bench: go-virtual-40 end exit 0$
want ^bench: go-native-40 end exit 0$
want ^memtest: PASS [0-9]+ MiB pattern intact
want ^bench: DONE$
never FAIL
never Kernel panic
X

# Timestamp every serial line as it arrives.
rm -f "$serial" "$dir/stamped.log"
(
    while [ ! -e "$serial" ]; do sleep 0.05; done
    # (no tr in between: it would buffer the lines in the pipe)
    tail -n +1 -F "$serial" 2>/dev/null | while IFS= read -r line; do
        printf '%s %s\n' "$EPOCHREALTIME" "${line%$'\r'}"
    done
) > "$dir/stamped.log" &
stamper=$!
trap 'kill $stamper 2>/dev/null; pkill -P $stamper 2>/dev/null || true' EXIT

echo "bench: running the guest in Bochs (boot, go-virtual, go-native, hibernate + reboot + resume)..."
rc=0
scripts/run-vm.sh --name "$name" --iso "$dir/bench.iso" --engine vmx --timeout 3000 --mem 1024 \
    --until '^bench: DONE|Kernel panic' --expect "$dir/bench.expect" --bochsrc-extra "$dir/bochsrc-extra" || rc=$?
sleep 1
kill $stamper 2>/dev/null || true
[ "$rc" -eq 0 ] || { echo "bench: the benchmark run failed (see above); no figures"; exit 1; }

t() { # host time of the first line matching $1
    awk -v re="$1" '{ line = $0; sub(/^[^ ]+ /, "", line); if (line ~ re) { print $1; exit } }' "$dir/stamped.log"
}
span() { awk -v a="$(t "$1")" -v b="$(t "$2")" 'BEGIN { printf "%.3f", b - a }'; }
gv=$(span '^bench: go-virtual start$' '^bench: go-virtual end')
gvf=$(span 'freezing processes$' '^virtual: resumed under odv-hv')
gn=$(span '^bench: go-native start$' '^bench: go-native end')
hb=$(span '^bench: hibernate start$' '^bench: hibernate end')
gv_tsc=$(sed -n 's/^virtual: resumed under odv-hv, downtime \([0-9.]*\) s$/\1/p' "$dir/stamped.log" | head -1)
gv_tsc=${gv_tsc:-$(tr -d '\r' < "$serial" | sed -n 's/^virtual: resumed under odv-hv, downtime \([0-9.]*\) s$/\1/p' | head -1)}
gn_tsc=$(tr -d '\r' < "$serial" | sed -n 's/^native: left odv-hv after [0-9]* VM exits; the request took \([0-9.]*\) ms.*$/\1/p' | head -1)

echo
echo "downtime, host time between the guest's marker lines (Bochs, one run, same guest):"
printf '  odv go-virtual, the command         %10s s\n' "$gv"
printf '  odv go-virtual, frozen              %10s s   (odv, guest TSC: %s s)\n' "$gvf" "${gv_tsc:-?}"
printf '  odv go-native                       %10s s   (odv, guest TSC: %s ms)\n' "$gn" "${gn_tsc:-?}"
printf '  hibernate to disk + reboot + resume %10s s\n' "$hb"
awk -v h="$hb" -v g="$gv" -v f="$gvf" -v n="$gn" 'BEGIN {
    printf "  ratio hibernate cycle / go-virtual  %10.1fx (the command), %.1fx (frozen)\n", h / g, h / f
    printf "  ratio hibernate cycle / go-native   %10.1fx\n", h / n }'
lines() { tr -d '\r' < "$serial" | grep -E "$1"; }
echo
echo "go-virtual and go-native (odv's own lines; the first pair with 16 MiB of test memory, the second with ~40 % of RAM in use):"
lines '^(virtual: resumed|phases:|memory: go-virtual|native: left|bench: in use)' | sed 's/^/  /'
echo "the kernel's snapshot steps (PM debug messages, go-virtual then hibernate then go-virtual at 40 %):"
lines '^bench: kernel: ' | sed 's/^bench: kernel: /  /'
echo "(timestamped serial log: $dir/stamped.log)"
