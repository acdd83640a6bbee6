#!/usr/bin/env bash
# Host test of boot/grub.d/42_odv, the menu snippet users install under /etc/grub.d:
# what it prints for a /boot with kernels, and that GRUB's own parser accepts it.
# One line per check: "PASS name" or "FAIL name: why".
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
snippet=boot/grub.d/42_odv
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odv-grubd.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

check() {   # check NAME COMMAND...: PASS if COMMAND succeeds
    local name=$1; shift
    if "$@" >/dev/null 2>&1; then echo "PASS $name"; else echo "FAIL $name: '$*' failed"; fi
}

boot=$tmp/boot
mkdir -p "$boot"
: > "$boot/odv-hv.elf"
: > "$boot/vmlinuz-6.1.0-56-amd64"; : > "$boot/initrd.img-6.1.0-56-amd64"
: > "$boot/vmlinuz-6.1.0-9-amd64";  : > "$boot/initrd.img-6.1.0-9-amd64"
: > "$boot/vmlinuz-5.10.0-old"      # no initrd: must be skipped

run() { env -i PATH="$PATH" ODV_BOOT_DIR="$boot" ODV_DEFAULTS="$tmp/no-defaults" GRUB_DISTRIBUTOR=Debian \
        GRUB_DEVICE_UUID=1234-abcd GRUB_CMDLINE_LINUX='memmap=64M$0x30000000 it'"'"'s' \
        GRUB_CMDLINE_LINUX_DEFAULT=quiet "$@" sh "$snippet"; }
run > "$tmp/out" 2> "$tmp/err"
check "runs and exits 0" run
n=$(grep -c '^menuentry ' "$tmp/out")
[ "$n" -eq 2 ] && echo "PASS one entry per kernel with an initrd" || echo "FAIL one entry per kernel with an initrd: got $n"
check "kernel without initrd is skipped with a message" grep -q "skipping $boot/vmlinuz-5.10.0-old: no" "$tmp/err"
check "newest kernel first" sh -c "grep '^menuentry ' '$tmp/out' | head -1 | grep -q '6.1.0-56-amd64 under odv-hv'"
check "title names the distribution, the kernel and odv-hv" \
    grep -qF "menuentry 'Debian, with Linux 6.1.0-56-amd64 under odv-hv' --class odv" "$tmp/out"
check "odv-hv loads by multiboot2" grep -qxF "    multiboot2 /boot/odv-hv.elf" "$tmp/out"
check "kernel module carries root, ro and the default command line, quoted" \
    grep -qxF "    module2 /boot/vmlinuz-6.1.0-56-amd64 'linux' 'root=UUID=1234-abcd' 'ro' 'memmap=64M\$0x30000000' 'it'\\''s' 'quiet'" "$tmp/out"
check "initrd module is named initrd" grep -qxF "    module2 /boot/initrd.img-6.1.0-56-amd64 'initrd'" "$tmp/out"
if command -v grub-script-check >/dev/null; then
    check "grub-script-check accepts the entries" grub-script-check "$tmp/out"
else
    echo "FAIL grub-script-check accepts the entries: grub-script-check not installed (scripts/setup.sh installs grub-common)"
fi

echo 'ODV_HV_ARGS="disk=ata0-slave log=debug"' > "$tmp/defaults"
run ODV_DEFAULTS="$tmp/defaults" > "$tmp/out4" 2>&1
check "odv-hv's arguments from /etc/default/odv, quoted" \
    grep -qxF "    multiboot2 /boot/odv-hv.elf 'disk=ata0-slave' 'log=debug'" "$tmp/out4"

run GRUB_DISABLE_ODV=true > "$tmp/out2" 2>&1
[ ! -s "$tmp/out2" ] && echo "PASS GRUB_DISABLE_ODV=true prints nothing" || echo "FAIL GRUB_DISABLE_ODV=true prints nothing: $(head -c 200 "$tmp/out2")"

rm "$boot/odv-hv.elf"
run > "$tmp/out3" 2> "$tmp/err3"; rc=$?
[ $rc -eq 0 ] && [ ! -s "$tmp/out3" ] && grep -q "odv-hv.elf not found" "$tmp/err3" \
    && echo "PASS without odv-hv.elf: no entries, a message, exit 0" \
    || echo "FAIL without odv-hv.elf: rc=$rc out=$(head -c 100 "$tmp/out3")"

sh "$snippet" --entry "Linux under odv-hv" /boot/odv-hv.elf /boot/vmlinuz /boot/initrd 'console=ttyS0 a=$b' > "$tmp/one"
check "--entry prints one entry GRUB accepts" sh -c "[ \$(grep -c '^menuentry ' '$tmp/one') -eq 1 ] && grub-script-check '$tmp/one'"
check "--entry quotes \$ so GRUB keeps it" grep -qF "'a=\$b'" "$tmp/one"
sh "$snippet" --entry too few > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && echo "PASS --entry with missing arguments is a usage error" || echo "FAIL --entry with missing arguments: rc=$rc"
