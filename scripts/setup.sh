#!/usr/bin/env bash
# setup.sh - install everything odv needs to build and test on Debian 12, and fetch
# the stock Debian kernel the Linux test guests boot. Safe to run again.
#
# Usage: scripts/setup.sh [--no-kernel]
#   --no-kernel   skip fetching the kernel into build/kernel/
# Runs apt-get as root (through sudo when not root). Works from any directory.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

fetch_kernel=1
for arg in "$@"; do
    case "$arg" in
        --no-kernel) fetch_kernel=0 ;;
        -h|--help) sed -n 's/^# \{0,1\}//;5,7p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

say() { echo "setup: $*"; }

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null; then
    SUDO=(sudo)
else
    echo "setup.sh: not root and sudo is not installed; run it as root" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive

if [ -r /etc/os-release ]; then
    . /etc/os-release
    if [ "${ID:-}" != debian ] || [ "${VERSION_ID:-}" != 12 ]; then
        say "warning: made for Debian 12, this is ${PRETTY_NAME:-unknown}; trying anyway"
    fi
fi

# bochs-term provides the 'term' display (ncurses) that satisfies bochs' need for a
# GUI package without X; procps gives ps/pgrep, util-linux script/setsid/flock.
# clang with libclang-rt-14-dev (its libFuzzer, ASan and UBSan runtimes) builds the
# fuzzers in tests/fuzz/ (`make fuzz`). ovmf is the UEFI firmware of the QEMU scenarios
# that boot the kernel by UEFI. groff-base and man-db render docs/odv.8 for its unit test.
PACKAGES=(
    build-essential nasm python3 procps util-linux
    bochs bochsbios vgabios bochs-term
    qemu-system-x86
    grub-pc-bin grub-common xorriso mtools
    busybox-static cpio e2fsprogs
    libcmocka-dev gnu-efi
    clang libclang-rt-14-dev
    ovmf
    groff-base man-db
)

apt_updated=0
apt_update() {
    if [ "$apt_updated" -eq 0 ]; then
        say "apt-get update"
        "${SUDO[@]}" apt-get update -q
        apt_updated=1
    fi
}

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    say "all ${#PACKAGES[@]} packages already installed"
else
    say "installing: ${missing[*]}"
    apt_update
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
    say "packages installed"
fi

if [ "$fetch_kernel" -eq 0 ]; then
    say "--no-kernel: skipping the kernel fetch"
    say "done"
    exit 0
fi

# The exact kernel package linux-image-amd64 depends on now, e.g. linux-image-6.1.0-NN-amd64.
kernel_pkg() {
    apt-cache depends linux-image-amd64 2>/dev/null \
        | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }'
}
pkg=$(kernel_pkg || true)
if [ -z "$pkg" ]; then
    apt_update
    pkg=$(kernel_pkg || true)
fi
[ -n "$pkg" ] || { echo "setup.sh: cannot resolve what linux-image-amd64 depends on" >&2; exit 1; }
release=${pkg#linux-image-}
kdir="$ROOT/build/kernel"
mkdir -p "$kdir"
say "kernel: linux-image-amd64 -> $pkg"

deb=$(ls "$kdir/${pkg}"_*_amd64.deb 2>/dev/null | head -n1 || true)
if [ -n "$deb" ]; then
    say "kernel package already here: ${deb#$ROOT/}"
else
    say "downloading $pkg into build/kernel/"
    dl() { (cd "$kdir" && apt-get download -q -o APT::Sandbox::User=root "$pkg"); }
    if ! dl; then
        apt_update
        dl
    fi
    deb=$(ls "$kdir/${pkg}"_*_amd64.deb | head -n1)
fi

if [ -f "$kdir/vmlinuz" ] && [ "$(cat "$kdir/VERSION" 2>/dev/null)" = "$release" ]; then
    say "build/kernel/vmlinuz is $release already"
else
    say "extracting vmlinuz-$release"
    tmp=$(mktemp -d "$kdir/.extract.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    # Only the kernel image: the modules (about 400 MB unpacked) stay in the .deb.
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./boot/vmlinuz-$release"
    mv "$tmp/boot/vmlinuz-$release" "$kdir/vmlinuz"
    echo "$release" > "$kdir/VERSION"
fi
say "kernel: build/kernel/vmlinuz ($(du -k "$kdir/vmlinuz" | cut -f1) KiB), VERSION $(cat "$kdir/VERSION")"
say "done"
