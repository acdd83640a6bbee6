#!/usr/bin/env bash
# mkiso.sh - build a small GRUB (BIOS, i386-pc) ISO that boots odv-hv by multiboot2,
# or (with --linux) a Linux kernel natively.
#
# Usage: scripts/mkiso.sh OUT.iso --hv HV.elf [--module FILE NAME]... \
#            [--cmdline "..."] [--entry-title T]
#        scripts/mkiso.sh OUT.iso --linux BZIMAGE --initrd INITRD [--cmdline "..."]
#        scripts/mkiso.sh OUT.iso --menu --default native|odv --hv HV.elf \
#            --linux BZIMAGE --initrd INITRD --cmdline "..." [--hv-args "..."]
#
# With --menu the ISO has the two-entry boot menu of odv: "Linux (native)" (the
# --linux form below) and "Linux under odv-hv", made by boot/grub.d/42_odv --entry
# (the snippet users install), both with the same command line; --default picks the
# one GRUB boots; --hv-args is odv-hv's own command line in that entry (ODV_HV_ARGS
# of 42_odv).
#
# With --linux the entry is "linux /boot/vmlinuz <cmdline>; initrd /boot/initrd";
# each word of the command line is single-quoted for GRUB, so '$' stays literal
# (memmap=64M$0x30000000).
#
# The ISO holds /boot/odv-hv.elf, each module as /boot/<basename of FILE>, and a
# grub.cfg that sends GRUB's own output to COM1 (115200) and boots at once:
#     multiboot2 /boot/odv-hv.elf <cmdline>
#     module2 /boot/<basename> <NAME>      (one per --module)
#     boot
set -euo pipefail

usage() {
    sed -n 's/^# \{0,1\}//;4,8p' "$0" >&2
    exit 2
}
die() { echo "mkiso.sh: $*" >&2; exit 2; }

out="" hv="" hv_args="" cmdline="" title="odv" linux="" initrd="" menu=0 default=""
mod_files=() mod_names=()

while [ $# -gt 0 ]; do
    case "$1" in
        --hv) [ $# -ge 2 ] || usage; hv=$2; shift 2 ;;
        --linux) [ $# -ge 2 ] || usage; linux=$2; shift 2 ;;
        --initrd) [ $# -ge 2 ] || usage; initrd=$2; shift 2 ;;
        --module) [ $# -ge 3 ] || usage; mod_files+=("$2"); mod_names+=("$3"); shift 3 ;;
        --cmdline) [ $# -ge 2 ] || usage; cmdline=$2; shift 2 ;;
        --hv-args) [ $# -ge 2 ] || usage; hv_args=$2; shift 2 ;;
        --entry-title) [ $# -ge 2 ] || usage; title=$2; shift 2 ;;
        --menu) menu=1; shift ;;
        --default) [ $# -ge 2 ] || usage; default=$2; shift 2 ;;
        -h|--help) usage ;;
        -*) die "unknown option $1" ;;
        *) [ -z "$out" ] || die "more than one output file given ($out, $1)"; out=$1; shift ;;
    esac
done
[ -n "$out" ] || usage
if [ "$menu" -eq 1 ]; then
    case "$default" in native) default_index=0 ;; odv) default_index=1 ;;
        *) die "--menu needs --default native|odv" ;; esac
    [ -n "$hv" ] && [ -f "$hv" ] || die "--menu needs --hv HV.elf (not found: $hv)"
    [ ${#mod_files[@]} -eq 0 ] || die "--menu takes no --module"
fi
if [ -n "$linux" ]; then
    [ -f "$linux" ] || die "kernel not found: $linux (run scripts/setup.sh)"
    [ -n "$initrd" ] && [ -f "$initrd" ] || die "--linux needs --initrd FILE (not found: $initrd)"
    [ "$menu" -eq 1 ] || [ -z "$hv" ] || die "--hv with --linux needs --menu"
else
    [ -n "$hv" ] || die "--hv HV.elf is required"
    [ -f "$hv" ] || die "hypervisor image not found: $hv"
fi

GRUB_DIR=/usr/lib/grub/i386-pc
[ -d "$GRUB_DIR" ] || die "$GRUB_DIR missing (install grub-pc-bin; run scripts/setup.sh)"
for tool in grub-mkrescue xorriso mformat; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/setup.sh)"
done

# Quote a string for grub.cfg (single quotes; a ' becomes '\'').
gq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/odv-mkiso.XXXXXX")
# The log must live outside the tree going into the ISO: xorriso fails the
# build when a file changes size while it is being packed.
log=$(mktemp "${TMPDIR:-/tmp}/odv-mkiso-log.XXXXXX")
trap 'rm -rf "$stage" "$log"' EXIT
mkdir -p "$stage/boot/grub"
[ -z "$hv" ] || cp "$hv" "$stage/boot/odv-hv.elf"

[ "$menu" -eq 0 ] || title="Linux (native)"
{
    echo "set timeout=0"
    echo "set default=${default_index:-0}"
    echo "serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1"
    echo "terminal_input serial console"
    echo "terminal_output serial"
    echo "menuentry $(gq "$title") {"
    if [ -n "$linux" ]; then
        cp "$linux" "$stage/boot/vmlinuz"
        cp "$initrd" "$stage/boot/initrd"
        words=""
        for w in $cmdline; do words+=" $(gq "$w")"; done
        [ "$menu" -eq 0 ] || echo "    echo 'Loading Linux natively ...'"
        echo "    linux /boot/vmlinuz$words"
        echo "    initrd /boot/initrd"
    elif [ -n "$cmdline" ]; then
        echo "    multiboot2 /boot/odv-hv.elf $cmdline"
    else
        echo "    multiboot2 /boot/odv-hv.elf"
    fi
    for i in "${!mod_files[@]}"; do
        f=${mod_files[$i]} n=${mod_names[$i]}
        [ -f "$f" ] || die "module not found: $f"
        b=$(basename "$f")
        [ "$b" != "odv-hv.elf" ] && [ "$b" != "grub" ] || die "module basename clashes: $b"
        [ ! -e "$stage/boot/$b" ] || die "two modules with the same basename: $b"
        cp "$f" "$stage/boot/$b"
        echo "    module2 /boot/$b $n"
    done
    echo "    boot"
    echo "}"
    if [ "$menu" -eq 1 ]; then
        ODV_HV_ARGS="$hv_args" sh "$(dirname "$0")/../boot/grub.d/42_odv" --entry "Linux under odv-hv" \
            /boot/odv-hv.elf /boot/vmlinuz /boot/initrd "$cmdline"
    fi
} > "$stage/boot/grub/grub.cfg"

mkdir -p "$(dirname "$out")"
cp "$stage/boot/grub/grub.cfg" "$out.grub.cfg"
# Only the modules the config needs; no fonts, locales or themes (keeps the ISO ~5 MB).
if ! grub-mkrescue -d "$GRUB_DIR" -o "$out" \
        --install-modules="multiboot2 linux normal serial terminal boot configfile echo test iso9660 biosdisk part_msdos" \
        --modules="serial terminal" \
        --fonts= --locales= --themes= \
        "$stage" >"$log" 2>&1; then
    cat "$log" >&2
    die "grub-mkrescue failed"
fi
echo "mkiso.sh: wrote $out ($(du -k "$out" | cut -f1) KiB)"
