#!/usr/bin/env bash
# mkinitramfs.sh OUT.cpio.gz INIT [SRC:DST]... — a busybox initramfs for the Linux
# test systems: INIT becomes /init, each SRC is copied to DST (absolute path).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 OUT.cpio.gz INIT [SRC:DST]..." >&2; exit 2; }
out=$(realpath -m "$1"); init=$2; shift 2
bb=/bin/busybox
[ -x "$bb" ] && dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' \
    || { echo "mkinitramfs: busybox-static not installed (run scripts/setup.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"     # mktemp -d makes it 0700: / must be searchable by non-root
mkdir -p "$tmp"/{bin,dev,proc,sys,tmp}
cp "$bb" "$tmp/bin/busybox"
cp "$init" "$tmp/init"
chmod 755 "$tmp/init"
for m in "$@"; do
    src=${m%%:*}; dst=${m#*:}
    mkdir -p "$tmp$(dirname "$dst")"
    cp "$src" "$tmp$dst"
done
mkdir -p "$(dirname "$out")"
(cd "$tmp" && find . -print0 | cpio --null -o -H newc --quiet | gzip -9) > "$out"
echo "mkinitramfs: wrote $out ($(du -k "$out" | cut -f1) KiB)"
