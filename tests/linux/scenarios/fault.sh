# odv.test=fault: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# go-virtual fault injection: with the devices prepared (dm-linear over the IDE disk,
# an active-backup bond over the e1000), a record writer fsyncing to /data and a TCP
# stream to the host peer, `odv go-virtual --test-fail POINT` (POINT from odv.fault=
# on the kernel command line; tests/scenarios/fault-*.scn, one per point) fails at
# that step as a real failure there would. The system must come back natively with
# its devices, processes, memory pattern, fsync'd records and stream intact.
point=$(sed -n 's/.*odv\.fault=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -n "$point" ] || say "FAIL no odv.fault=POINT on the kernel command line"
# An unknown point is a usage error, before anything is looked at.
/odv go-virtual --hv /odv-hv.bin --test-fail nowhere
say "fault: unknown point exit $?"
vdev_setup
devices before
start_records_and_stream
cat /tmp/stream.out
# echoed: how many records the stream has had echoed so far (a checkpoint, kept off the console).
echoed() { kill -USR1 $stream; sleep 1; sed -n 's/^tcpstream: PASS \([0-9]*\) records echoed.*/\1/p' /tmp/stream.out | tail -n 1; }
sleep 2
say "fault: stream before: $(echoed) records echoed"
before=$(cat /tmp/counter)
/odv go-virtual --hv /odv-hv.bin --test-fail "$point"
say "fault $point: go-virtual exit $?"
devices "after the fault"
say "fault: status after the fault: $(/odv status | head -n 1)"
grep -q '^flags.* hypervisor' /proc/cpuinfo && say "fault: /proc/cpuinfo has the hypervisor flag" \
    || say "fault: /proc/cpuinfo has no hypervisor flag"
after=$(cat /tmp/counter); sleep 1; later=$(cat /tmp/counter)
[ "$later" -gt "$after" ] && [ "$after" -ge "$before" ] && say "PASS background loop kept running ($before -> $after -> $later)" \
    || say "FAIL background loop stopped ($before -> $after -> $later)"
kill -0 $loop && kill -0 $mem && kill -0 $rec && kill -0 $stream \
    && say "PASS processes alive: loop $loop, memtest $mem, record writer $rec, stream $stream" \
    || say "FAIL a process is gone (loop $loop, memtest $mem, record writer $rec, stream $stream)"
# The stream flows again. Both TCP ends back off while the system is frozen, so the
# next retransmission can come up to about twice the freeze later: wait for it.
e0=$(echoed); e=$e0; t=0
while [ $((${e:-0} - ${e0:-0})) -lt 100 ] && [ $t -lt 300 ]; do sleep 2; e=$(echoed); t=$((t + 3)); done
[ $((${e:-0} - ${e0:-0})) -ge 100 ] && say "fault: the stream flows again: $e0 -> $e records echoed (within about $t s)" \
    || say "FAIL the stream did not flow again within 300 s ($e0 -> $e records echoed)"
records_verdict
stream_verdict
dmesg_errors
