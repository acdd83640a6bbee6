# odv.test=twin: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# Disk identity: a second disk is a copy of the data disk (same filesystem UUID,
# same size) with another serial. odv replug must put the dm table back on the
# disk odv prepare recorded, told apart by its serial, not on the copy.
vdev_setup
i=0; while [ ! -b /dev/sdb ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i+1)); done
for d in /sys/class/block/sd?; do
    n=${d##*/}
    uuid=$(dd if=/dev/$n bs=1 skip=1128 count=16 2>/dev/null | od -An -tx1 | tr -d ' \n')
    ser=$(tail -c +5 $d/device/vpd_pg80 2>/dev/null | tr -d ' \000')
    say "disk $n: $(cat $d/size) sectors, filesystem UUID $uuid, serial '$ser'"
done
devices before
/recwriter /data/records > /tmp/rec.out 2>&1 &
rec=$!
sleep 2
/odv replug
say "replug exit $?"
devices "after replug"
t=$(devstat 'dm table'); b=${t##*(}; b=${b%)}
say "the dm table's disk after replug: $b, serial '$(tail -c +5 /sys/class/block/$b/device/vpd_pg80 2>/dev/null | tr -d ' \000')'"
records_verdict
dmesg_errors
