#!/usr/bin/env bash
# run-vm.sh - boot one ISO in an emulator, watch its serial port, give a verdict.
#
# Usage: scripts/run-vm.sh --name NAME --iso X.iso --engine bochs|qemu|vmx
#            --timeout SECONDS --until REGEX --expect FILE
#            [--cpus N] [--mem MB] [--log-dir DIR]
#            [--bochsrc-extra FILE] [--qemu-arg ARG]... [--host-cmd CMD] [--disk IMG]
#            [--stall SECONDS]
#
# --stall SECONDS: fail as soon as the serial port has been silent that long
# (default 300; 0 = off). A guest that hangs fails in minutes instead of using
# its whole --timeout. Under Bochs the run first breaks into Bochs' debugger and
# writes every CPU's registers and a few stack words to stall-dump.log, so the
# failure says where each CPU was (see scripts/bochs-where.sh to name the places).
#
# --disk IMG: a copy of the raw disk image IMG (made fresh for every run, so runs
# never see each other's writes) is the IDE disk next to the CD-ROM (Bochs:
# ata0-slave, geometry 16 heads x 63 sectors, so IMG's size must be a multiple of
# 516096 bytes; QEMU: IDE index 1).
#
# Engines: bochs = Bochs 2.7 (emulates VT-x); qemu = QEMU TCG (no VT-x);
#          vmx = QEMU+KVM -cpu host,+vmx when the host offers nested VT-x, else Bochs.
# The run stops as soon as a complete serial line matches --until (grep -E), or
# fails after --timeout seconds. Then the expect FILE is checked against the serial
# log (\r stripped); its lines are:
#     want REGEX     must match some line, in file order, each after the previous match
#     never REGEX    must match no line
#     capture NAME REGEX   like want, and the text of REGEX's first (group) is kept
#                    as NAME; later want/never lines may use {{NAME}} (inserted
#                    literally), e.g. to check that two lines name the same address
#     # comment / blank
# Last line printed: "PASS NAME (engine, S s)" or "FAIL NAME: reason (serial: .., emulator log: ..)".
# Exit status: 0 pass, 1 fail, 2 usage error.
# Logs: DIR (default build/test-logs/NAME): serial.log, and bochsrc + bochs.log +
# bochs-console.log (Bochs stdout/stderr incl. port 0xE9 output) or qemu.log +
# debugcon.log (port 0xE9) for QEMU.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() { sed -n 's/^# \{0,1\}//;4,7p' "$0" >&2; exit 2; }
die() { echo "run-vm.sh: $*" >&2; exit 2; }

name="" iso="" engine="" timeout="" until_re="" expect="" cpus=1 mem=512 logdir="" stall=300
bochs_extra="" qemu_args=() host_cmd="" host_pid="" disk=""
while [ $# -gt 0 ]; do
    case "$1" in
        --name|--iso|--engine|--timeout|--until|--expect|--cpus|--mem|--log-dir|--bochsrc-extra|--qemu-arg|--host-cmd|--disk|--stall)
            [ $# -ge 2 ] || die "$1 needs a value"
            case "$1" in
                --name) name=$2 ;; --iso) iso=$2 ;; --engine) engine=$2 ;;
                --timeout) timeout=$2 ;; --until) until_re=$2 ;; --expect) expect=$2 ;;
                --cpus) cpus=$2 ;; --mem) mem=$2 ;; --log-dir) logdir=$2 ;;
                --bochsrc-extra) bochs_extra=$2 ;; --qemu-arg) qemu_args+=("$2") ;;
                --host-cmd) host_cmd=$2 ;; --disk) disk=$2 ;; --stall) stall=$2 ;;
            esac
            shift 2 ;;
        -h|--help) usage ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[ -n "$name" ] && [ -n "$engine" ] && [ -n "$timeout" ] \
    && [ -n "$until_re" ] && [ -n "$expect" ] || usage
case "$name" in */*|.*|*[[:space:]]*) die "bad --name '$name' (no /, spaces, leading dot)" ;; esac
[[ $timeout =~ ^[0-9]+$ ]] && [ "$timeout" -gt 0 ] || die "--timeout must be a positive integer"
[[ $cpus =~ ^[0-9]+$ ]] && [ "$cpus" -ge 1 ] || die "--cpus must be a positive integer"
[[ $stall =~ ^[0-9]+$ ]] || die "--stall must be a whole number of seconds (0 = off)"
[[ $mem =~ ^[0-9]+$ ]] && [ "$mem" -ge 16 ] || die "--mem must be an integer >= 16 (MB)"
case "$engine" in bochs|qemu|vmx) ;; *) die "--engine must be bochs, qemu or vmx" ;; esac
if [ -z "$iso" ]; then
    # Without an ISO, QEMU must be told what to boot (-kernel ... through --qemu-arg).
    [ "$engine" = qemu ] && [[ " ${qemu_args[*]} " == *" -kernel "* ]] \
        || die "--iso is required (only --engine qemu may boot -kernel given with --qemu-arg)"
else
    [ -f "$iso" ] || die "ISO not found: $iso"
    iso=$(realpath "$iso")
fi
[ -f "$expect" ] || die "expect file not found: $expect"
[ -z "$bochs_extra" ] || [ -f "$bochs_extra" ] || die "bochsrc extra file not found: $bochs_extra"
expect=$(realpath "$expect")
disk_cyl=0
if [ -n "$disk" ]; then
    [ -f "$disk" ] || die "disk image not found: $disk"
    disk_size=$(stat -c %s "$disk")
    [ $((disk_size % 516096)) -eq 0 ] && [ "$disk_size" -gt 0 ] \
        || die "disk image $disk: size $disk_size is not a multiple of 516096 (16 heads x 63 sectors x 512)"
    disk_cyl=$((disk_size / 516096))
fi
[ -n "$logdir" ] || logdir="$ROOT/build/test-logs/$name"
mkdir -p "$logdir" || die "cannot create $logdir"
logdir=$(realpath "$logdir")
serial="$logdir/serial.log"

# grep -E exit status 2 = bad regex.
check_re() {
    grep -aEq -- "$1" </dev/null; [ $? -ne 2 ] || die "bad regex in $2: $1"
}
check_re "$until_re" "--until"

# ---- parse the expect file (before spending emulator time) ----
exp_kind=() exp_re=() exp_lineno=() exp_name=()
declare -A captured=()
# Replace {{NAME}} by what a capture line kept (an unknown NAME stays and will not match).
subst() {
    local re=$1 k
    for k in "${!captured[@]}"; do re=${re//"{{$k}}"/${captured[$k]}}; done
    printf '%s' "$re"
}
n=0
while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    if [[ $line =~ ^[[:space:]]*capture[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)[[:space:]]+(.*[^[:space:]])[[:space:]]*$ ]]; then
        exp_kind+=(capture); exp_re+=("${BASH_REMATCH[2]}"); exp_lineno+=("$n"); exp_name[${#exp_kind[@]}-1]=${BASH_REMATCH[1]}
        check_re "${BASH_REMATCH[2]}" "$expect:$n"
        [[ ${BASH_REMATCH[2]} == *'('* ]] || die "$expect:$n: capture needs a (group) in its regex"
    elif [[ $line =~ ^[[:space:]]*(want|never)[[:space:]]+(.*[^[:space:]])[[:space:]]*$ ]]; then
        exp_kind+=("${BASH_REMATCH[1]}"); exp_re+=("${BASH_REMATCH[2]}"); exp_lineno+=("$n")
        check_re "$(sed -E 's/\{\{[A-Za-z0-9_]+\}\}/x/g' <<<"${BASH_REMATCH[2]}")" "$expect:$n"
    else
        die "$expect:$n: expected 'want REGEX', 'never REGEX', 'capture NAME REGEX', '#...' or blank, got: $line"
    fi
done < "$expect"

# ---- choose the engine ----
kvm_skip_reason() {
    local nested=/sys/module/kvm_intel/parameters/nested v
    [ -e /dev/kvm ] || { echo "no /dev/kvm"; return; }
    { [ -r /dev/kvm ] && [ -w /dev/kvm ]; } || { echo "/dev/kvm not accessible"; return; }
    grep -qw vmx /proc/cpuinfo || { echo "no nested VMX: host CPU flags have no vmx"; return; }
    [ -r "$nested" ] || { echo "no nested VMX: $nested missing"; return; }
    v=$(cat "$nested")
    case "$v" in Y|y|1) ;; *) echo "no nested VMX: $nested is $v"; return ;; esac
    command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 not installed"; return; }
    echo ""
}
run_engine=$engine engine_note=""
if [ "$engine" = vmx ]; then
    why=$(kvm_skip_reason)
    if [ -z "$why" ]; then run_engine=kvm; else run_engine=bochs; engine_note=" ($why)"; fi
fi
case "$run_engine" in bochs) label=bochs ;; qemu) label=qemu-tcg ;; kvm) label=qemu-kvm ;; esac
echo "engine: $label$engine_note"

# ---- build the emulator command ----
if [ -n "$disk" ]; then
    rm -f "$logdir/disk.img" "$logdir/disk.img.lock"
    cp "$disk" "$logdir/disk.img" || die "cannot copy $disk to $logdir"
fi
rm -f "$serial" "$logdir/bochs.log" "$logdir/bochs-console.log" "$logdir/qemu.log" "$logdir/debugcon.log"
: > "$serial"
if [ "$run_engine" = bochs ]; then
    command -v bochs-bin >/dev/null || die "bochs-bin not found (run scripts/setup.sh)"
    command -v script >/dev/null || die "script(1) not found (util-linux)"
    [ "$mem" -le 2048 ] || die "Bochs supports at most 2048 MB (--mem $mem)"
    emu_log="$logdir/bochs.log"
    rc="$logdir/bochsrc"
    {
        echo "# generated by scripts/run-vm.sh for scenario $name"
        echo "config_interface: textconfig"
        echo "display_library: term"
        echo "cpu: model=corei7_skylake_x, count=$cpus, ips=50000000, reset_on_triple_fault=0"
        echo "memory: guest=$mem, host=$mem"
        echo "romimage: file=/usr/share/bochs/BIOS-bochs-latest"
        echo "vgaromimage: file=/usr/share/vgabios/vgabios.bin"
        echo "pci: enabled=1, chipset=i440fx"
        echo "ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14"
        echo "ata0-master: type=cdrom, path=\"$iso\", status=inserted"
        [ -z "$disk" ] || echo "ata0-slave: type=disk, path=\"$logdir/disk.img\", mode=flat, cylinders=$disk_cyl, heads=16, spt=63"
        echo "boot: cdrom"
        echo "com1: enabled=1, mode=file, dev=\"$serial\""
        echo "port_e9_hack: enabled=1"
        echo "log: \"$emu_log\""
        echo "panic: action=fatal"
        echo "error: action=report"
        echo "info: action=ignore"
        echo "debug: action=ignore"
        echo "magic_break: enabled=0"
        echo "clock: sync=none, time0=local"
        echo "speaker: enabled=0"
        echo "mouse: enabled=0"
        if [ -n "$bochs_extra" ]; then
            echo "# from $bochs_extra"
            cat "$bochs_extra"
        fi
    } > "$rc"
    echo c > "$logdir/bochs-debugger.rc"
    # The term display wants a terminal: script(1) gives it a pty and copies the
    # screen (and port 0xE9 output) to bochs-console.log. script's input comes
    # from a FIFO that this script keeps open (no EOF reaches Bochs), so that a
    # stall can type debugger commands into Bochs (stall_dump).
    dbg_fifo="$logdir/bochs-stdin"
    rm -f "$dbg_fifo" "$logdir/stall-dump.log"
    mkfifo "$dbg_fifo" || die "cannot create $dbg_fifo"
    exec {dbg_fd}<>"$dbg_fifo"
    inner="exec bochs-bin -q -f $(printf %q "$rc") -rc $(printf %q "$logdir/bochs-debugger.rc")"
    emu_out=/dev/null   # script(1) copies the console to the file already
    emu_cmd=(env TERM=xterm script -qfec "$inner" "$logdir/bochs-console.log")
else
    command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (run scripts/setup.sh)"
    emu_log="$logdir/qemu.log"
    emu_out=$emu_log
    if [ "$run_engine" = kvm ]; then accel=(-accel kvm -cpu "host,+vmx"); else accel=(-accel tcg -cpu "max"); fi
    iso_args=()
    [ -z "$iso" ] || iso_args=(-cdrom "$iso" -boot d)
    [ -z "$disk" ] || iso_args+=(-drive "file=$logdir/disk.img,format=raw,if=ide,index=1")
    emu_cmd=(qemu-system-x86_64 "${accel[@]}" -m "$mem" -smp "$cpus"
             "${iso_args[@]}" -serial "file:$serial"
             -debugcon "file:$logdir/debugcon.log" -global isa-debugcon.iobase=0xe9
             -display none -monitor none -parallel none -nic none -no-reboot
             "${qemu_args[@]}")
fi

# ---- at most 2 emulators on this machine: take one of two lock slots ----
slotdir="${TMPDIR:-/tmp}/odv-emulator-slots"
mkdir -p "$slotdir" 2>/dev/null
slot_fd=""
for s in 0 1; do
    exec {fd}>>"$slotdir/slot$s"
    if flock -n "$fd"; then slot_fd=$fd; break; fi
    exec {fd}>&-
done
if [ -z "$slot_fd" ]; then
    echo "waiting for a free emulator slot (2 already running)"
    exec {slot_fd}>>"$slotdir/slot$(( $$ % 2 ))"
    flock "$slot_fd"
fi

# ---- run ----
emu_pid=""
my_sid=$(ps -o sid= -p $$ | tr -d ' ')

descendants() {   # print $1 and all its descendants
    local p c
    for p in "$@"; do
        echo "$p"
        for c in $(pgrep -P "$p" 2>/dev/null); do descendants "$c"; done
    done
}
alive() {   # true if any of the pids is alive and not a zombie
    local p
    for p in "$@"; do
        case "$(ps -o stat= -p "$p" 2>/dev/null)" in ""|Z*) ;; *) return 0 ;; esac
    done
    return 1
}
kill_emulator() {
    [ -n "$emu_pid" ] || return 0
    local pids leaves sids p s i
    pids=$(descendants "$emu_pid")
    sids=$(for p in $pids; do ps -o sid= -p "$p" 2>/dev/null; done | tr -d ' ' | sort -u)
    # Kill the emulator itself (the leaves) first, so that script(1) and timeout
    # reap it and exit on their own: nothing is left as an orphan zombie.
    leaves=$(for p in $pids; do [ -z "$(pgrep -P "$p")" ] && echo "$p"; done)
    for p in $leaves; do kill -KILL "$p" 2>/dev/null; done
    for i in $(seq 1 30); do alive $pids || break; sleep 0.1; done
    # Then anything left: every process, and every session we started (Bochs runs
    # in the session script(1) made for it), never our own session.
    for p in $pids; do kill -KILL "$p" 2>/dev/null; done
    for s in $sids; do
        [ -n "$s" ] && [ "$s" != "$my_sid" ] && [ "$s" != 0 ] && pkill -KILL -s "$s" 2>/dev/null
    done
    wait "$emu_pid"
    for i in $(seq 1 50); do alive $pids || break; sleep 0.1; done
    emu_pid=""
}
# A host-side peer of the guest (--host-cmd, e.g. a TCP stream checker on
# loopback): started before the emulator, its output in host.log, stopped after.
stop_host() {
    [ -n "$host_pid" ] || return 0
    kill -TERM "$host_pid" 2>/dev/null; sleep 0.2; kill -KILL "$host_pid" 2>/dev/null
    wait "$host_pid" 2>/dev/null; host_pid=""
}
# Bochs' "term" display draws the VGA text screen into a pseudo-terminal of its own
# ("Bochs connected to screen \"/dev/pts/N\"" on its console) and nothing else reads
# it: once some 20 KiB of screen updates are waiting there, Bochs' next write blocks
# and the whole emulator stops, which looks like a hung guest. Every hibernation
# snapshot repaints the screen (the kernel moves to its suspend console), so runs
# with several conversions hit it. The screen reader drains that terminal into
# bochs-screen.log for as long as Bochs runs.
screen_pid=""
start_screen_reader() {
    (
        con="$logdir/bochs-console.log" pts=""
        for i in $(seq 1 600); do
            pts=$( { tr -d '\r' < "$con"; } 2>/dev/null | sed -n 's/^Bochs connected to screen "\(\/dev\/pts\/[0-9]*\)"$/\1/p' | head -n1)
            [ -n "$pts" ] && break
            sleep 0.1
        done
        [ -n "$pts" ] || { echo "run-vm.sh: Bochs named no screen terminal in 60 s" >> "$logdir/bochs-screen.log"; exit 0; }
        exec cat "$pts" >> "$logdir/bochs-screen.log" 2>/dev/null
    ) </dev/null &
    screen_pid=$!
}
stop_screen_reader() {
    [ -n "$screen_pid" ] || return 0
    pkill -KILL -P "$screen_pid" 2>/dev/null; kill -KILL "$screen_pid" 2>/dev/null
    wait "$screen_pid" 2>/dev/null; screen_pid=""
}
trap 'kill_emulator 2>/dev/null; stop_host; stop_screen_reader' EXIT
on_signal() {
    kill_emulator 2>/dev/null
    stop_host
    stop_screen_reader
    echo "FAIL $name: interrupted by SIG$1 (serial: $serial, emulator log: $emu_log)"
    trap - EXIT "$1"
    kill -"$1" $$     # die by the same signal, so a calling shell stops too
    exit 130
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# The guest went silent: break into Bochs' debugger (SIGINT to bochs-bin) and
# have it print each CPU's registers and the top of its stack; keep that part of
# the console in stall-dump.log with one summary line per CPU ("cpuN rip=...").
stall_dump() {
    local bx p i con="$logdir/bochs-console.log" from
    for p in $(descendants "$emu_pid"); do
        [ "$(ps -o comm= -p "$p" 2>/dev/null)" = bochs-bin ] && bx=$p
    done
    [ -n "${bx:-}" ] || return 0
    from=$(stat -c %s "$con" 2>/dev/null || echo 0)
    # Break in, and wait (up to 20 s) for the debugger's prompt before typing.
    kill -INT "$bx" 2>/dev/null || return 0
    for i in $(seq 1 100); do
        tail -c +$((from + 1)) "$con" 2>/dev/null | grep -aq '<bochs:[0-9]*>' && break
        sleep 0.2
    done
    {
        for i in $(seq 0 $((cpus - 1))); do
            printf 'set $cpu = %d\nr\nsreg\ncreg\ninfo idt 0 1\nprint-stack 48\n' "$i"
        done
    } >&"$dbg_fd"
    # Then until the console has been quiet for 2 s (at most 30 s).
    local last=-1 now quiet=0
    for i in $(seq 1 150); do
        now=$(stat -c %s "$con" 2>/dev/null || echo 0)
        if [ "$now" = "$last" ]; then quiet=$((quiet + 1)); else quiet=0; last=$now; fi
        [ "$quiet" -lt 10 ] || break
        sleep 0.2
    done
    tail -c +$((from + 1)) "$con" | tr -d '\r' | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' > "$logdir/stall-dump.raw"
    awk '
        /^CPU[0-9]+:|^Next at t=/ { }
        /^rip: / || /rip: 0x/ { rip = $0; sub(/.*rip: /, "", rip); sub(/ .*/, "", rip); gsub(/_/, "", rip); print "cpu" n++ " rip=" rip }
    ' "$logdir/stall-dump.raw" > "$logdir/stall-dump.log"
    cat "$logdir/stall-dump.raw" >> "$logdir/stall-dump.log"
}

# complete lines of the serial log, \r removed
clean_serial() {
    if [ -s "$serial" ] && [ "$(tail -c1 "$serial" | od -An -c | tr -d ' ')" != '\n' ]; then
        head -n -1 "$serial"
    else
        cat "$serial"
    fi | tr -d '\r'
}

if [ -n "$host_cmd" ]; then
    bash -c "$host_cmd" >"$logdir/host.log" 2>&1 &
    host_pid=$!
    echo "host peer: $host_cmd (log: $logdir/host.log)"
fi
t0=$EPOCHREALTIME
# setsid: own session and process group; timeout: a backstop in case this script dies.
emu_in=/dev/null
[ "$run_engine" != bochs ] || emu_in=$dbg_fifo
setsid timeout -s KILL $((timeout + 10)) "${emu_cmd[@]}" <"$emu_in" >>"$emu_out" 2>&1 &
emu_pid=$!
if [ "$run_engine" = bochs ]; then rm -f "$logdir/bochs-screen.log"; start_screen_reader; fi
exec {slot_fd}>&-   # the emulator's copy of the fd keeps the slot until it exits

elapsed() { # seconds since t0, one decimal
    local now=$EPOCHREALTIME
    awk -v a="$t0" -v b="$now" 'BEGIN { printf "%.1f", b - a }'
}
outcome="" first_out="" emu_status=""
usec() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }
deadline=$(( $(usec) + timeout * 1000000 ))
serial_size=0 serial_moved=$(usec)
while :; do
    sz=$(stat -c %s "$serial" 2>/dev/null || echo 0)
    if [ "$sz" != "$serial_size" ]; then serial_size=$sz; serial_moved=$(usec); fi
    if [ "$stall" -gt 0 ] && [ $(( $(usec) - serial_moved )) -ge $(( stall * 1000000 )) ]; then
        outcome=stall; break
    fi
    if [ -z "$first_out" ] && [ -s "$serial" ]; then first_out=$(elapsed); fi
    # (grep reads a process substitution: with pipefail, grep -q ending the pipe
    # early would make a match look like a failure)
    if [ -s "$serial" ] && grep -aEq -- "$until_re" < <(clean_serial); then
        outcome=until; break
    fi
    if ! kill -0 "$emu_pid" 2>/dev/null; then
        { wait "$emu_pid"; } 2>/dev/null; emu_status=$?; emu_pid=""
        if grep -aEq -- "$until_re" < <(tr -d '\r' < "$serial"); then outcome=until; else outcome=exited; fi
        break
    fi
    if [ "$(usec)" -ge "$deadline" ]; then outcome=timeout; break; fi
    sleep 0.1
done
t_until=$(elapsed)
[ "$outcome" != stall ] || [ "$run_engine" != bochs ] || stall_dump
kill_emulator 2>/dev/null
stop_screen_reader
wall=$(elapsed)
case "$outcome" in
    until) what="until matched" ;; timeout) what="timed out" ;; stall) what="stalled" ;;
    *) what="emulator exited" ;;
esac
echo "time: first serial output ${first_out:-never} s, $what at $t_until s, wall $wall s"

# ---- verdict ----
clean="$logdir/.serial.clean"
tr -d '\r' < "$serial" > "$clean"
reason=""
first_unmet=""
pos=1
for i in "${!exp_kind[@]}"; do
    [ "${exp_kind[$i]}" = never ] && continue
    re=$(subst "${exp_re[$i]}")
    hit=$(tail -n +"$pos" "$clean" | grep -anE -m1 -- "$re")
    if [ -z "$hit" ]; then
        first_unmet="'${exp_kind[$i]} $re' (expect line ${exp_lineno[$i]})"
        [ "$pos" -gt 1 ] && first_unmet+=" not found after serial line $((pos - 1))"
        break
    fi
    if [ "${exp_kind[$i]}" = capture ]; then
        text=${hit#*:}
        [[ $text =~ $re ]] && captured[${exp_name[$i]}]=${BASH_REMATCH[1]}
    fi
    pos=$(( pos + ${hit%%:*} ))
done
for i in "${!exp_kind[@]}"; do
    [ "${exp_kind[$i]}" = never ] || continue
    hit=$(grep -anE -m1 -- "$(subst "${exp_re[$i]}")" "$clean")
    if [ -n "$hit" ]; then
        reason="'never ${exp_re[$i]}' matched serial line ${hit%%:*}: ${hit#*:}"
        break
    fi
done
if [ -z "$reason" ]; then
    case "$outcome" in
        timeout) reason="timeout after $timeout s, no line matched '$until_re'" ;;
        stall)   reason="stalled: no serial output for $stall s"
                 [ ! -s "$logdir/stall-dump.log" ] || reason+="; $(grep -c '^cpu' "$logdir/stall-dump.log") CPU states in $logdir/stall-dump.log: $(grep '^cpu' "$logdir/stall-dump.log" | tr '\n' ' ')" ;;
        exited)  reason="emulator exited (status $emu_status) before a line matched '$until_re'" ;;
    esac
    # Say why the emulator stopped, if its log tells (Bochs panic, QEMU error).
    if [ "$outcome" = exited ] && [ -s "$emu_log" ]; then
        if [ "$run_engine" = bochs ]; then
            last=$(grep -a '>>PANIC<<' "$emu_log" | tail -n1 | sed 's/^[0-9]*p\[[^]]*\] *//')
        else
            last=$(grep -av '^[[:space:]]*$' "$emu_log" | tail -n1)
        fi
        [ -z "$last" ] || reason+=" [$last]"
    fi
    if [ -n "$reason" ] && [ -n "$first_unmet" ]; then reason+="; first unmet: $first_unmet"; fi
fi
[ -n "$reason" ] || { [ -n "$first_unmet" ] && reason="unmet $first_unmet"; }
rm -f "$clean"
stop_host
trap - EXIT
if [ -z "$reason" ]; then
    echo "PASS $name ($label, $wall s)"
    exit 0
fi
echo "FAIL $name: $reason (serial: $serial, emulator log: $emu_log)"
exit 1
