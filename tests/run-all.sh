#!/usr/bin/env bash
# run-all.sh - run every emulator scenario in tests/scenarios/*.scn, one after another.
#
# Usage: tests/run-all.sh [--only REGEX] [--list] [--add-passed N] [--add-failed M]
#   --only REGEX    run only scenarios whose NAME matches REGEX (grep -E)
#   --list          list the scenarios (name, engine, timeout, file) and exit
#   --add-passed N, --add-failed M
#                   add results counted elsewhere (the host unit tests) to the totals
# The last line is "N passed, M failed"; the exit status is 1 if anything failed.
#
# Adding a scenario: one manifest, tests/scenarios/NAME.scn, and for a Linux scenario
# that does something new one init fragment, tests/linux/scenarios/FRAG.sh, which
# /init (tests/linux/init-go-virtual) sources for odv.test=FRAG. `make linux` builds
# the ISO from the manifest; docs/ARCHITECTURE.md ("Adding a scenario") has an example.
#
# A manifest is shell settings, sourced from the repository root, then a line exactly
# "### expect", then the expect lines that scripts/run-vm.sh checks the serial log
# against (want / never / capture, see run-vm.sh):
#   NAME=vmx-hello                    # unique; logs go to build/test-logs/NAME
#   ENGINE=vmx                        # bochs | qemu | vmx (see scripts/run-vm.sh)
#   and what it boots, one of:
#   INITRD=go-virtual                 # a Linux system: go-virtual | menu | replug, the
#   CMDLINE='odv.test=hello'          #   initramfs; CMDLINE is added to LINUX_CMDLINE;
#   MENU=odv  HV_ARGS='disk=ata0-slave'  # optional: the GRUB menu, its default entry
#                                     #   and odv-hv's arguments (scripts/scenarios-mk.sh)
#                                     #   -> build/iso/scn-NAME.iso
#   ISO=build/iso/guest-a.iso         # an ISO the Makefile builds (test guests); paths
#                                     #   are relative to the repository root
#   ISO=none                          # QEMU boots what QEMU_ARGS give (-kernel ...)
#   TIMEOUT=900                       # seconds
#   UNTIL='^odv-test: DONE|Kernel panic'   # stop as soon as a serial line matches
#   CPUS=1  MEM=512                   # optional
#   BOCHSRC_EXTRA=tests/scenarios/e1000-slirp.bochsrc   # optional lines added to the bochsrc
#   QEMU_ARGS=(-nic user,model=e1000)           # optional extra QEMU arguments
#   HOST_CMD='tests/host/stream_peer.py 17001'  # optional host-side peer, run during the scenario
#   DISK=build/disk/data.img          # optional raw IDE disk (a fresh copy each run)
#   ### expect
#   want ^odv-test: hello: go-virtual exit 0$
#   want ^odv-test: DONE$
#   never FAIL
# The expect part goes to run-vm.sh as a temporary copy of the file with the settings
# blanked out, so the line numbers in its messages are the scenario file's.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2

only="" list=0 add_passed=0 add_failed=0
while [ $# -gt 0 ]; do
    case "$1" in
        --only) [ $# -ge 2 ] || { echo "run-all.sh: --only needs a REGEX" >&2; exit 2; }; only=$2; shift 2 ;;
        --list) list=1; shift ;;
        --add-passed|--add-failed)
            [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || { echo "run-all.sh: $1 needs a number" >&2; exit 2; }
            if [ "$1" = --add-passed ]; then add_passed=$((add_passed + $2)); else add_failed=$((add_failed + $2)); fi
            shift 2 ;;
        -h|--help) sed -n 's/^# \{0,1\}//;3,9p' "$0"; exit 0 ;;
        *) echo "run-all.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

now() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }         # microseconds
secs() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1e6 }'; }

# The line that ends a scenario's settings and starts its expect lines.
EXPECT_MARK='### expect'

# Print NUL-separated fields of one scenario file (its settings sourced in a subshell),
# or fail.
read_scenario() {
    (
        unset NAME ENGINE ISO INITRD TIMEOUT UNTIL CPUS MEM BOCHSRC_EXTRA QEMU_ARGS HOST_CMD DISK
        QEMU_ARGS=()
        [ "$(grep -cx -- "$EXPECT_MARK" "$1")" -eq 1 ] \
            || { echo "needs exactly one line '$EXPECT_MARK' before its expect lines" >&2; exit 1; }
        # shellcheck disable=SC1090
        . <(sed "/^$EXPECT_MARK\$/,\$d" "$1") || exit 1
        # A Linux scenario's ISO is built by make from its INITRD, CMDLINE, ... lines
        # (scripts/scenarios-mk.sh), under a name made of NAME.
        if [ -n "${INITRD:-}" ]; then
            [ -z "${ISO:-}" ] || { echo "set ISO or INITRD, not both" >&2; exit 1; }
            ISO=build/iso/scn-${NAME:-}.iso
        fi
        for v in NAME ENGINE ISO TIMEOUT UNTIL; do
            [ -n "${!v:-}" ] || { echo "$v is not set" >&2; exit 1; }
        done
        printf '%s\0' "$NAME" "$ENGINE" "$ISO" "$TIMEOUT" "$UNTIL" \
            "${CPUS:-}" "${MEM:-}" "${BOCHSRC_EXTRA:-}" "${HOST_CMD:-}" "${DISK:-}" "${QEMU_ARGS[@]}"
    )
}

# write_expect FILE OUT: OUT = FILE with every line up to the marker emptied, so
# run-vm.sh reads only the expect lines but reports the scenario file's line numbers.
write_expect() {
    mkdir -p "$(dirname "$2")"
    sed "1,/^$EXPECT_MARK\$/s/.*//" "$1" > "$2"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/odv-run-all.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
shopt -s nullglob
files=(tests/scenarios/*.scn)
passed=0 failed=0 failures=() seen=" "
t_all=$(now)

[ ${#files[@]} -gt 0 ] || echo "no scenario files in tests/scenarios/"
for f in "${files[@]}"; do
    fields=()
    if read_scenario "$f" >"$tmp/fields" 2>"$tmp/err"; then
        mapfile -d '' -t fields < "$tmp/fields"
    fi
    if [ ${#fields[@]} -lt 10 ]; then
        [ -z "$only" ] || echo "$f" | grep -Eq -- "$only" || continue
        if [ "$list" -eq 1 ]; then echo "?  $f: bad scenario file"; continue; fi
        echo "FAIL $f: bad scenario file: $(head -c 300 "$tmp/err" | tr '\n' ' ')"
        failed=$((failed + 1)); failures+=("$f (bad scenario file)")
        continue
    fi
    name=${fields[0]} engine=${fields[1]} iso=${fields[2]} timeout=${fields[3]}
    until_re=${fields[4]} cpus=${fields[5]} mem=${fields[6]}
    extra=${fields[7]} hostcmd=${fields[8]} disk=${fields[9]} qargs=("${fields[@]:10}")
    [ -z "$only" ] || echo "$name" | grep -Eq -- "$only" || continue
    if [ "$list" -eq 1 ]; then
        printf '%-32s %-6s %5ss  %s\n' "$name" "$engine" "$timeout" "$f"
        continue
    fi
    case "$seen" in *" $name "*)
        echo "FAIL $name: duplicate NAME (also in another scenario file; $f)"
        failed=$((failed + 1)); failures+=("$name (duplicate)"); continue ;;
    esac
    seen+="$name "

    echo "=== $name ($f)"
    expect=$tmp/$f          # e.g. /tmp/odv-run-all.XXXXXX/tests/scenarios/NAME.scn
    write_expect "$f" "$expect"
    args=(--name "$name" --engine "$engine" --timeout "$timeout"
          --until "$until_re" --expect "$expect")
    [ "$iso" = none ] || args+=(--iso "$iso")   # ISO=none: QEMU boots -kernel/-initrd from QEMU_ARGS
    [ -z "$cpus" ] || args+=(--cpus "$cpus")
    [ -z "$mem" ] || args+=(--mem "$mem")
    [ -z "$extra" ] || args+=(--bochsrc-extra "$extra")
    for a in "${qargs[@]}"; do args+=(--qemu-arg "$a"); done
    [ -z "$hostcmd" ] || args+=(--host-cmd "$hostcmd")
    [ -z "$disk" ] || args+=(--disk "$disk")
    t0=$(now)
    scripts/run-vm.sh "${args[@]}" 2>&1
    rc=$?
    dt=$(secs $(( $(now) - t0 )))
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
    else
        if [ "$rc" -gt 128 ]; then
            echo "interrupted; stopping the suite"
            exit "$rc"
        fi
        [ "$rc" -eq 1 ] || echo "FAIL $name: run-vm.sh could not run it (status $rc)"
        failed=$((failed + 1)); failures+=("$name")
    fi
    echo "--- $name: $dt s"
done
[ "$list" -eq 0 ] || exit 0

echo
if [ ${#failures[@]} -gt 0 ]; then
    echo "failed scenarios:"
    printf '  %s\n' "${failures[@]}"
fi
echo "scenarios: $passed passed, $failed failed, total wall $(secs $(( $(now) - t_all ))) s"
[ "$add_passed$add_failed" = 00 ] || echo "unit tests: $add_passed passed, $add_failed failed"
passed=$((passed + add_passed)); failed=$((failed + add_failed))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
