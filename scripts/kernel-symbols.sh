#!/usr/bin/env bash
# kernel-symbols.sh - the stock kernel's text symbols, for naming addresses in a stall dump.
#
# Usage: scripts/kernel-symbols.sh [OUT]    (default build/kernel/kallsyms.txt)
# Debian's linux-image package ships a stub System.map (the real one is in the
# ~860 MB -dbg package), so this boots build/kernel/vmlinuz once in QEMU TCG with
# nokaslr and a one-line init that prints /proc/kallsyms' text symbols to the
# serial port (about 20 s). Addresses are the link-time ones: add the KASLR
# offset of a given boot (its "_text at" line) to compare.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-build/kernel/kallsyms.txt}
[ -f build/kernel/vmlinuz ] || { echo "kernel-symbols.sh: no build/kernel/vmlinuz (run scripts/setup.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/init" <<'I'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox echo "kallsyms: begin"
/bin/busybox grep -E '^[0-9a-f]+ [tTwW] ' /proc/kallsyms
/bin/busybox echo "kallsyms: end"
/bin/busybox poweroff -f
I
scripts/mkinitramfs.sh "$tmp/init.cpio.gz" "$tmp/init" >/dev/null
timeout -k 5 180 qemu-system-x86_64 -accel tcg -m 512 -display none -monitor none -no-reboot \
    -kernel build/kernel/vmlinuz -initrd "$tmp/init.cpio.gz" -serial "file:$tmp/serial" \
    -append 'console=ttyS0 nokaslr panic=-1 loglevel=1' </dev/null >/dev/null 2>&1 || true
tr -d '\r' < "$tmp/serial" | sed -n '/^kallsyms: begin$/,/^kallsyms: end$/p' | grep -E '^[0-9a-f]+ [tTwW] ' > "$tmp/syms" || true
n=$(wc -l < "$tmp/syms")
[ "$n" -gt 1000 ] || { echo "kernel-symbols.sh: got $n symbols from the kernel; see $tmp/serial" >&2; trap - EXIT; exit 1; }
mkdir -p "$(dirname "$out")"
mv "$tmp/syms" "$out"
echo "kernel-symbols.sh: $n text symbols of $(cat build/kernel/VERSION 2>/dev/null) in $out"
