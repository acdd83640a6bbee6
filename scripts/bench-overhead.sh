#!/usr/bin/env bash
# bench-overhead.sh - what running under odv-hv costs the guest: the same
# workloads natively, under odv-hv, and natively again, in ONE emulator run of
# the stock kernel (Bochs, VMX), with the ratio virtual / native for each.
#
# Usage: scripts/bench-overhead.sh [--cpus N] [--devices] [--report]
#   (a benchmark, not a test; ~5-10 min; N = 1 or 2, default 1; --devices: with
#   an IDE disk and an e1000 that go-virtual hands to odv-hv (odv prepare), and a
#   disk workload; --report: only print the table again from the last run's log)
#
# The guest (tests/linux/init-overhead, tests/linux/overhead.c) calibrates each
# workload to about 1 s of guest time, then runs each 3 times per phase and
# reports the fastest (the minimum: interference only adds time), timed with
# CLOCK_MONOTONIC inside the guest, and the mean VM exits per run (odv-hv's
# counters, all CPUs). native-after / native shows the noise floor.
# Bochs emulates a VM exit in a few hundred emulated instructions, far cheaper
# in guest time than real hardware's exit round trip (~1 us and its cache
# misses): read the exit counts beside the ratios; they are the portable part.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cpus=1 report=0 devices=0
while [ $# -gt 0 ]; do
    case "$1" in
        --cpus) [ $# -ge 2 ] || { echo "bench-overhead: --cpus needs a value" >&2; exit 2; }; cpus=$2; shift 2 ;;
        --report) report=1; shift ;;
        --devices) devices=1; shift ;;
        -h|--help) sed -n 's/^# \{0,1\}//;6,9p' "$0"; exit 0 ;;
        *) echo "bench-overhead: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$cpus" in 1|2) ;; *) echo "bench-overhead: --cpus must be 1 or 2" >&2; exit 2 ;; esac
name=bench-overhead-${cpus}cpu iso=overhead.iso
dir=build/bench
works="cpu mem syscall ctxsw fork"
[ "$cpus" -lt 2 ] || works="cpu mem syscall ctxsw ctxsw-x fork"
vm_args=()
if [ "$devices" = 1 ]; then
    name=$name-dev iso=overhead-dev.iso works="$works disk"
    # The e1000 on Bochs' slirp, no port forwarded (no host peer: nothing to collide with).
    vm_args=(--disk build/disk/data.img --bochsrc-extra "$dir/e1000-nofwd.bochsrc")
fi
serial=build/test-logs/$name/serial.log

# The guest run: boot, calibrate, native, go-virtual, virtual, go-native, native-after.
run_guest() {
    make -s all bench-overhead-prereqs
    mkdir -p "$dir"
    printf '# slirp config\n' > "$dir/slirp-nofwd.conf"
    {
        echo "pci: enabled=1, chipset=i440fx, slot1=e1000"
        echo "e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=slirp, script=$(pwd)/$dir/slirp-nofwd.conf"
    } > "$dir/e1000-nofwd.bochsrc"
    expect=$dir/$name.expect
    {
        echo 'want ^overhead: booted kernel 6\.1\.'
        [ "$devices" = 0 ] || echo 'want ^overhead: prepare exit 0$'
        for w in $works; do echo "want ^overhead: calibrated $w [1-9][0-9]*\$"; done
        for phase in native virtual native-after; do
            [ $phase != virtual ] || echo 'want ^overhead: go-virtual exit 0$'
            [ $phase != native-after ] || echo 'want ^overhead: go-native exit 0$'
            for w in $works; do echo "want ^overhead: $phase $w [0-9]+ ns exits "; done
            echo "want ^overhead: $phase done\$"
        done
        echo 'want ^overhead: DONE$'
        echo 'never FAIL'
        echo 'never Kernel panic'
        echo 'never ^odv-hv\[error\]'
    } > "$expect"

    echo "bench-overhead: running the guest in Bochs with $cpus CPU(s) (boot, calibrate, native, go-virtual, virtual, go-native, native)..."
    rc=0
    scripts/run-vm.sh --name "$name" --iso "$dir/$iso" --engine vmx --timeout 3000 --mem 1024 --cpus "$cpus" \
        --until '^overhead: DONE|Kernel panic|^odv-hv\[info\] halted' --expect "$expect" "${vm_args[@]}" || rc=$?
    [ "$rc" -eq 0 ] || { echo "bench-overhead: the benchmark run failed (see above); no figures"; exit 1; }
}
[ "$report" = 1 ] || run_guest
[ -f "$serial" ] || { echo "bench-overhead: no serial log $serial: run without --report first" >&2; exit 1; }

log=$(tr -d '\r' < "$serial")
# field PHASE WORK N: the Nth word of the result line ("overhead: PHASE WORK NS ns exits E REASONS...").
line() {
    local l
    l=$(grep -E "^overhead: $1 $2 [0-9]+ ns exits " <<<"$log" | head -1)
    [ -n "$l" ] || { echo "bench-overhead: no result line for $1 $2 in $serial" >&2; exit 1; }
    printf '%s\n' "$l"
}
field() { line "$1" "$2" | awk -v n="$3" '{ print $n }'; }
count() { grep -E "^overhead: calibrated $1 " <<<"$log" | awk '{ print $4 }'; }

echo
echo "virtual-mode overhead, $cpus CPU(s)$([ "$devices" = 0 ] || echo ', disk + NIC taken over by odv-hv'), Bochs (VMX), guest CLOCK_MONOTONIC; fastest of 3 runs of ~1 s each:"
printf '%-8s %12s %12s %8s %9s %14s %10s  %s\n' workload "native ms" "virtual ms" ratio overhead "native-after" "exits/run" "exits by reason (virtual, per run)"
for w in $works; do
    n=$(field native "$w" 4); v=$(field virtual "$w" 4); a=$(field native-after "$w" 4)
    e=$(field virtual "$w" 7)
    reasons=$(line virtual "$w" | cut -d' ' -f8-)
    awk -v w="$w" -v n="$n" -v v="$v" -v a="$a" -v e="$e" -v r="$reasons" 'BEGIN {
        printf "%-8s %12.1f %12.1f %8.4f %+8.2f%% %13.4fx %10s  %s\n", w, n / 1e6, v / 1e6, v / n, (v / n - 1) * 100, a / n, e, r }'
done
m=$(count mem)
awk -v m="$m" -v n="$(field native mem 4)" -v v="$(field virtual mem 4)" 'BEGIN {
    b = m * 3 * 32 * 1048576
    printf "mem streaming: %.0f MB/s native, %.0f MB/s virtual (memset + memcpy of 32 MiB buffers, %d rounds)\n", b / n * 1e3, b / v * 1e3, m }'
[ "$devices" = 0 ] || awk -v m="$(count disk)" -v n="$(field native disk 4)" -v v="$(field virtual disk 4)" 'BEGIN {
    printf "disk reads: %.2f MB/s native (IDE), %.2f MB/s virtual (virtio-blk; odv-hv drives the IDE disk)\n", m * 1048576 / n * 1e3, m * 1048576 / v * 1e3 }'
echo "(ratio = virtual / native; native-after = native run after go-native / native: the noise floor;"
echo " exits/run = mean VM exits per run over all CPUs, the counter reads' own exits subtracted; serial log: $serial)"
