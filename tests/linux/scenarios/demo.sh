# odv.test=demo: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# make demo (scripts/demo.sh, scripts/demo.expect): the main job on the screen. The
# system goes virtual and native again with a running process (the busy loop,
# memtest), a file and a TCP connection to a peer on the host. "demo$ CMD" shows a
# command before its output; "demo: ... before|while virtual|after: X" lines must
# show the same X each time.
run() { c=$1; shift; echo "demo\$ ${c#/} $*"; "$c" "$@"; }
insmod /msr.ko
insmod /e1000.ko || say "FAIL insmod e1000"
i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
/tcpstream --listen 7000 > /tmp/stream.out 2>&1 &
stream=$!
# The host peer's connection arrives when slirp retries its SYN (up to ~45 s).
i=0; while ! grep -q '^tcpstream: connected' /tmp/stream.out && [ $i -lt 180 ]; do sleep 0.5; i=$((i+1)); done
cat /tmp/stream.out
checkpoint() { kill -USR1 $stream; sleep 1; tail -n 1 /tmp/stream.out; }
checkpoint
# state WHEN: the processes (all still running?), the file's checksum, the TCP connection.
state() {
    alive=yes
    for p in $loop $mem $stream; do kill -0 $p 2>/dev/null || alive="no (pid $p is gone)"; done
    echo "demo: processes $1: loop $loop, memtest $mem, tcpstream $stream, all running: $alive"
    echo "demo: file $1: /tmp/file sha256 $(sha256sum /tmp/file | cut -d' ' -f1)"
    echo "demo: tcp $1: $(netstat -tn 2>/dev/null | awk '$4 ~ /:7000$/ && $6 == "ESTABLISHED" { print $4 " <-> " $5; exit }') established"
}
state before
run /odv status
run /odv go-virtual --hv /odv-hv.bin
echo "demo: go-virtual exit $?"
sleep 1
run /odv status
echo "demo\$ odv log | tail -n 8"
/odv log | tail -n 8
checkpoint
state "while virtual"
run /odv go-native
echo "demo: go-native exit $?"
run /odv status
sleep 1
checkpoint
state after
# The stream's end: the peer's verdict on every record it got, over the whole run.
kill -USR2 $stream; sleep 3
grep '^tcpstream: peer:' /tmp/stream.out | tail -n 1
