#!/usr/bin/env bash
# demo.sh - odv's main job on the screen (make demo): the stock Debian kernel, booted
# natively in Bochs (which emulates VT-x), with a running process, a file and a TCP
# connection to a peer on this host, goes virtual under odv-hv and native again.
#
# Usage: scripts/demo.sh        (make demo builds what it needs first)
#
# The guest's serial console is streamed here as it runs: "$ CMD" is a command the
# guest runs, the lines after it are its output, odv-hv's own lines start "odv-hv[".
# The run is checked like a scenario (scripts/run-vm.sh against scripts/demo.expect)
# and the last line is the verdict: "demo: PASS — ..." or "demo: FAIL — why".
# Exit status 0 on PASS, 1 on FAIL.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2

name=demo
iso=build/iso/linux-demo.iso
log=build/test-logs/$name
[ -f "$iso" ] || { echo "demo: $iso missing: run 'make demo'" >&2; exit 2; }

cat <<'EOF'
== odv demo ==
The stock Debian kernel boots natively in Bochs (an emulator that has VT-x), starts
a busy loop, a process holding 64 MiB, a file and a TCP connection to a peer on this
host, then runs: odv go-virtual (odv-hv takes the running system over as a VM),
odv status, odv log, odv go-native (odv-hv hands the CPU back).
Bochs is slow: this takes a few minutes (about 3 to 5; longer if two other
emulators are running on this machine, as run-vm.sh then waits for a free slot).
EOF
echo

tmp=$(mktemp -d "${TMPDIR:-/tmp}/odv-demo.XXXXXX")
runpid=
cleanup() {
    [ -z "$runpid" ] || kill "$runpid" 2>/dev/null    # the stream below ends with it
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -f "$log/serial.log"     # run-vm.sh makes it afresh; never show an old one
scripts/run-vm.sh --name "$name" --iso "$iso" --engine vmx --timeout 1500 --mem 1024 \
    --until '^odv-test: DONE|Kernel panic|^odv-hv\[info\] halted' --expect scripts/demo.expect \
    --bochsrc-extra tests/scenarios/e1000-slirp.bochsrc \
    --host-cmd 'python3 tests/host/stream_peer.py 17000 1500' > "$tmp/run.out" 2>&1 &
runpid=$!

# The serial console, as it arrives: from the test system's first line on, without
# the kernel's own messages and GRUB's screen control codes. tail stops once
# run-vm.sh has ended (after a last read), and the pipeline with it.
while [ ! -f "$log/serial.log" ] && kill -0 "$runpid" 2>/dev/null; do sleep 0.5; done
tail --pid="$runpid" -n +1 -F "$log/serial.log" 2>/dev/null \
    | sed -u -n 's/\r$//; /\x1b/d; /^\[ *[0-9]*\.[0-9]*\]/d; /^odv-test: booted/,$p' \
    | sed -u 's/^demo\$ \(.*\)/\n$ \1/' &
streampid=$!

wait "$runpid"; rc=$?; runpid=
wait "$streampid"
echo
grep -E '^(PASS|FAIL|engine|time):? ' "$tmp/run.out"

# The verdict: every line of scripts/demo.expect matched (run-vm.sh), and the values
# printed before, while virtual and after are the same, read here once more.
serial=$(tr -d '\r' < "$log/serial.log" 2>/dev/null)
value() { printf '%s\n' "$serial" | sed -n "s/^demo: $1 $2: //p" | head -n 1; }
why=
for what in processes file tcp; do
    b=$(value "$what" before); v=$(value "$what" "while virtual"); a=$(value "$what" after)
    printf '  %-9s %-14s %s\n' "$what" before: "${b:-(none)}" "" "while virtual:" "${v:-(none)}" "" after: "${a:-(none)}"
    if [ -z "$b" ] || [ "$b" != "$v" ] || [ "$b" != "$a" ]; then
        why="${why:+$why; }$what differ"
    fi
done
if [ "$rc" -ne 0 ]; then
    r=$(sed -n 's/^FAIL [^:]*: //p' "$tmp/run.out" | head -n 1)
    why="${r:-run-vm.sh exit status $rc}${why:+; $why}"
fi
if [ -z "$why" ]; then
    echo "demo: PASS — went virtual under odv-hv and native again; same processes, file and TCP connection before and after"
    exit 0
fi
echo "demo: FAIL — $why (logs: $log)"
exit 1
