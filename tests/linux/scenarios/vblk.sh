# odv.test=vblk: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# Boot-menu path with odv-hv's disk=ata0-slave: odv-hv drives the IDE disk and
# shows a virtio-blk function instead; the stock kernel's virtio drivers use it.
loadmods virtio_blk fs
i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i+1)); done
ide=0
for d in /sys/bus/pci/devices/*; do
    drv=none; [ -e $d/driver ] && drv=$(basename $(readlink $d/driver))
    say "pci: ${d##*/} $(cat $d/vendor):$(cat $d/device) class $(cat $d/class) driver $drv"
    case "$(cat $d/class)" in 0x0101*) ide=1 ;; esac
done
[ $ide -eq 0 ] && say "PASS no IDE controller in sysfs" || say "FAIL an IDE controller is visible"
if [ -b /dev/vda ]; then
    say "PASS /dev/vda: $(cat /sys/block/vda/size) sectors, driver $(basename $(readlink /sys/block/vda/device/driver))"
else
    say "FAIL no /dev/vda"
fi
mkdir -p /data
if mount -t ext4 /dev/vda /data; then
    # The volume name is at byte 0x78 of the ext4 superblock (byte 1024 of the disk).
    say "PASS mounted /dev/vda, ext4 label $(dd if=/dev/vda bs=1 skip=1144 count=16 2>/dev/null | tr -d '\0')"
    dd if=/dev/urandom of=/data/f bs=1k count=1024 2>/dev/null && sync
    s1=$(sha256sum /data/f | cut -d' ' -f1)
    umount /data && mount -t ext4 /dev/vda /data
    s2=$(sha256sum /data/f | cut -d' ' -f1)
    [ "$s1" = "$s2" ] && say "PASS 1 MiB written, remounted, read back identical" \
        || say "FAIL read back differs ($s1 vs $s2)"
    umount /data
else
    say "FAIL cannot mount /dev/vda"
fi
n=$(grep -E 'virtio[0-9]+-(req|requests|config)' /proc/interrupts | awk '{s+=$2} END {print s+0}')
grep -E 'virtio' /proc/interrupts | sed 's/^/odv-test: interrupts: /'
[ "$n" -gt 0 ] && say "PASS virtio-blk interrupts by MSI-X: $n" || say "FAIL no virtio interrupts counted"
insmod /msr.ko
/odv log | grep -E 'disk:|nic:|virtio' | sed 's/^/odv-test: ring: /'
case "$(cat /proc/cmdline)" in *odv.nic=virtio*)
    netstart
    say "eth0: driver $(basename $(readlink /sys/class/net/eth0/device/driver)), MAC $(cat /sys/class/net/eth0/address)"
    sleep 20
    netcheck
    grep -E 'virtio' /proc/interrupts | sed 's/^/odv-test: interrupts: /'
    kill -USR2 $stream; sleep 3 ;;
esac
