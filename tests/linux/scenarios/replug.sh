# odv.test=replug: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# Virtual devices, natively (QEMU TCG): odv prepare puts the IDE disk's ext4
# under a dm-linear device and the e1000 under an active-backup bond; odv replug
# then swaps both underneath (dm suspend, PCI remove + rescan, find again by
# filesystem UUID / MAC, reload + resume, re-enslave), twice, while a record
# writer fsyncs to /data and a TCP stream to a host peer runs over the bond.
loadmods disk fs vdev
insmod /e1000.ko || say "FAIL insmod e1000"
i=0; while { [ ! -b /dev/sda ] || [ ! -e /sys/class/net/eth0 ]; } && [ $i -lt 100 ]; do sleep 0.2; i=$((i+1)); done
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
# devstat: one line of odv devices ("dm table", "active slave", ...)
devstat() { /odv devices | sed -n "s/^$1: *//p"; }
# prepare refuses a mounted disk, changing nothing
mkdir -p /data
if mount -t ext4 /dev/sda /data; then
    /odv prepare --disk /dev/sda --nic eth0
    say "prepare with /dev/sda mounted exit $?"
    umount /data
fi
[ -e /sys/class/net/bond0/bonding/slaves ] && say "bond0 slaves after the refusal: '$(cat /sys/class/net/bond0/bonding/slaves)'"
# a prepare that fails once every step is done takes everything back
/odv prepare --disk /dev/sda --nic eth0 --test-fail-late
say "prepare --test-fail-late exit $?"
say "after the undo: /dev/mapper: $(ls /dev/mapper | tr '\n' ' '); bond0 $(cut -d' ' -f1 /sys/class/net/bond0/bonding/mode), slaves '$(cat /sys/class/net/bond0/bonding/slaves)'; eth0 $(ip -4 addr show dev eth0 | sed -n 's/^ *inet \([^ ]*\).*/\1/p'); $(ip route | grep '^default' | tr -s ' ' | sed 's/ $//')"
/odv prepare --disk /dev/sda --nic eth0
say "prepare exit $?"
ip -4 addr show dev bond0 | sed -n 's/^ *inet /odv-test: bond0 inet /p'
ip route | sed 's/^/odv-test: route: /'
dmdev=$(ls /dev/mapper/odv-* 2>/dev/null | head -1)
if [ -n "$dmdev" ] && mount -t ext4 "$dmdev" /data; then
    say "mounted $dmdev on /data"
else
    say "FAIL cannot mount the dm device '$dmdev'"
fi
/odv devices
say "dm table before: $(devstat 'dm table')"
say "active slave before: $(devstat 'active slave')"
start_records_and_stream
sleep 3
cat /tmp/stream.out
grep -q '^tcpstream: connected' /tmp/stream.out && kill -USR1 $stream; sleep 1; tail -n 1 /tmp/stream.out
for r in 1 2; do
    say "replug $r"
    /odv replug
    say "replug $r exit $?"
    say "dm table after replug $r: $(devstat 'dm table')"
    say "active slave after replug $r: $(devstat 'active slave')"
    sleep 4
    kill -USR1 $stream; sleep 1; tail -n 1 /tmp/stream.out
done
# --finish with nothing left to finish changes nothing
/odv replug --finish
say "replug --finish exit $?"
records_verdict
stream_verdict
dmesg_errors
/odv devices --json
/odv devices
