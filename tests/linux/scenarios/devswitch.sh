# odv.test=devswitch: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# go-virtual with virtual devices (odv prepare): odv-hv takes the IDE disk and the
# e1000 over (hv_args) and the system goes on with virtio-blk/virtio-net under the
# same dm device and bond; without VMX (QEMU TCG) odv-hv resumes natively and the
# same attach finds the physical devices again. A record writer fsyncs to /data
# and a TCP stream to a host peer runs over the bond throughout.

# smp_vdev (devswitch with 2 CPUs, while virtual): the virtual devices' queues are
# kicked from each CPU and their interrupts reach each CPU. First it waits for the
# TCP stream to flow again: both TCP ends back off while the system is frozen for
# go-virtual (retransmission timeouts double), so the stream resumes up to about
# twice the downtime later, on 1 CPU as on 2. Then for c = 0, then 1: the stream's
# sender is pinned to CPU c and virtio-net's receive interrupt steered there (Linux
# moves it when the next one arrives); receive interrupts counted on CPU c and
# packets the sender transmits from CPU c are judged; a writer pinned to CPU c
# writes, fsyncs and reads back a file on /data and its I/O is judged. virtio-blk's
# interrupt is kernel-managed (its affinity cannot be changed), so the disk's
# interrupts are counted on whichever CPU the kernel chose.
# irqcnt NAME: "cpu0 cpu1" counts of the /proc/interrupts row named NAME.
irqcnt() { awk -v n="$1" '$NF == n { print $2 + 0, $3 + 0; f = 1 } END { if (!f) print "0 0" }' /proc/interrupts; }
irqnum() { awk -v n="$1" '$NF == n { sub(":", "", $1); print $1 }' /proc/interrupts; }
# wait_grow CMD N SECS: wait until the number CMD prints has grown by N; prints the seconds waited, or "timeout".
wait_grow() {
    from=$($1); i=0
    while [ $i -lt $3 ]; do
        sleep 1; i=$((i + 1))
        [ $(($($1) - from)) -ge $2 ] && { echo $i; return 0; }
    done
    echo timeout; return 1
}
smp_vdev() {
    t=$(devstat 'dm table'); b=${t##*(}; b=${b%)}
    as=$(devstat 'active slave')
    bv=$(basename "$(readlink -f /sys/class/block/$b/device)")
    nv=$(basename "$(readlink -f /sys/class/net/$as/device)")
    nirq=$(irqnum $nv-input.0); birq=$(irqnum $bv-req.0)
    say "smp: cpus online after go-virtual: $(cat /sys/devices/system/cpu/online)"
    say "smp: disk $b is $bv (interrupt $bv-req.0), nic $as is $nv (receive interrupt $nv-input.0, irq ${nirq:-none})"
    grep -E 'virtio[0-9]+-' /proc/interrupts | sed 's/^ */odv-test: smp: interrupts at the start: /'
    rxp() { cat /sys/class/net/$as/statistics/rx_packets; }
    w=$(wait_grow rxp 50 300) && say "smp: the stream flows again (50 packets received within $w s)" \
        || say "smp: FAIL the stream did not flow again within 300 s after go-virtual"
    for c in 0 1; do
        [ -n "$nirq" ] && echo $((1 << c)) > /proc/irq/$nirq/smp_affinity || say "smp: FAIL cannot steer irq '$nirq' to cpu $c"
        taskset -p -c $c $stream > /dev/null || say "smp: FAIL cannot pin the stream to cpu $c"
        set -- $(irqcnt $nv-input.0) $(irqcnt $bv-req.0); n0=$1 n1=$2 q0=$3 q1=$4
        tx0=$(cat /sys/class/net/$as/statistics/tx_packets)
        oncpu() { set -- $(irqcnt $nv-input.0); eval "echo \$$((c + 1))"; }
        w=$(wait_grow oncpu 20 60)
        w0=$(awk -v d=$b '$3 == d { print $8 }' /proc/diskstats); r0=$(awk -v d=$b '$3 == d { print $4 }' /proc/diskstats)
        taskset -c $c dd if=/dev/urandom of=/data/smp.$c bs=4k count=64 conv=fsync 2>/dev/null
        sync; echo 3 > /proc/sys/vm/drop_caches
        taskset -c $c cat /data/smp.$c > /dev/null
        set -- $(irqcnt $nv-input.0) $(irqcnt $bv-req.0); N0=$1 N1=$2 Q0=$3 Q1=$4
        tx1=$(cat /sys/class/net/$as/statistics/tx_packets)
        w1=$(awk -v d=$b '$3 == d { print $8 }' /proc/diskstats); r1=$(awk -v d=$b '$3 == d { print $4 }' /proc/diskstats)
        say "smp: cpu $c: irq $nirq effective on cpu $(cat /proc/irq/$nirq/effective_affinity_list 2>/dev/null), irq $birq on cpu $(cat /proc/irq/$birq/effective_affinity_list 2>/dev/null)"
        say "smp: cpu $c: $nv-input.0 interrupts cpu0 $n0 -> $N0, cpu1 $n1 -> $N1; $bv-req.0 interrupts cpu0 $q0 -> $Q0, cpu1 $q1 -> $Q1"
        eval "x0=\$n$c x1=\$N$c"
        [ "$w" != timeout ] && [ $((x1 - x0)) -ge 20 ] \
            && say "smp: PASS cpu $c: virtio-net receive interrupts delivered on cpu $c: $x0 -> $x1 (20 within $w s)" \
            || say "smp: FAIL cpu $c: virtio-net receive interrupts on cpu $c: $x0 -> $x1 within 60 s"
        [ "$tx1" -gt "$tx0" ] \
            && say "smp: PASS cpu $c: virtio-net sent $((tx1 - tx0)) packets from the stream pinned to cpu $c" \
            || say "smp: FAIL cpu $c: virtio-net sent nothing from the stream pinned to cpu $c ($tx0 -> $tx1)"
        [ "$w1" -gt "$w0" ] && [ "$r1" -gt "$r0" ] && [ $((Q0 + Q1)) -gt $((q0 + q1)) ] \
            && say "smp: PASS cpu $c: virtio-blk completed $((w1 - w0)) writes and $((r1 - r0)) reads issued from cpu $c, $((Q0 + Q1 - q0 - q1)) interrupts" \
            || say "smp: FAIL cpu $c: virtio-blk writes $w0 -> $w1, reads $r0 -> $r1, interrupts $((q0 + q1)) -> $((Q0 + Q1))"
    done
    grep -E 'virtio[0-9]+-' /proc/interrupts | sed 's/^ */odv-test: smp: interrupts: /'
    echo 3 > /proc/irq/$nirq/smp_affinity
    taskset -p -c 0,1 $stream > /dev/null
    /odv status --json
}

vdev_setup
devices before
start_records_and_stream
sleep 3
cat /tmp/stream.out
grep -q '^tcpstream: connected' /tmp/stream.out && kill -USR1 $stream; sleep 1; tail -n 1 /tmp/stream.out
# A go-virtual that fails before the kexec puts the physical devices back.
/odv go-virtual --hv /odv-hv.bin --test-corrupt-image
say "refused go-virtual exit $?"
devices "after the refused go-virtual"
/odv go-virtual --hv /odv-hv.bin --json
rc=$?
say "go-virtual exit $rc"
devices "after go-virtual"
sleep 4
kill -USR1 $stream; sleep 1; tail -n 1 /tmp/stream.out
if [ $rc -eq 0 ]; then
    [ "$(nproc)" -eq 2 ] && smp_vdev
    # Virtual (VMX): the disk is odv-hv's virtio-blk, the NIC its virtio-net. Back.
    /odv go-native --json
    say "go-native exit $?"
    if [ "$(nproc)" -eq 2 ]; then
        say "smp: cpus online after go-native: $(cat /sys/devices/system/cpu/online)"
        /odv status --json
    fi
    devices "after go-native"
    sleep 4
    kill -USR1 $stream; sleep 1; tail -n 1 /tmp/stream.out
fi
/odv devices --json
records_verdict
stream_verdict
dmesg_errors
