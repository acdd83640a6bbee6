# odv.test=cpusroundtrip: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# go-virtual and go-native on 2 CPUs, twice: every CPU comes back virtual, then native.
insmod /msr.ko
burn() {   # burn: a pinned busy process on every CPU, verdicts in CPU order
    burners=
    for c in $(seq 0 $(( $(nproc) - 1 ))); do taskset -c $c /cpuburn 3 8 $c > /tmp/burn.$c & burners="$burners $!"; done
    for p in $burners; do wait $p; done
    for c in $(seq 0 $(( $(nproc) - 1 ))); do cat /tmp/burn.$c; done
}
for round in 1 2; do
    say "round $round: cpus online: $(cat /sys/devices/system/cpu/online)"
    /odv go-virtual --hv /odv-hv.bin
    say "round $round: go-virtual exit $?"
    sleep 2
    say "round $round: cpus online: $(cat /sys/devices/system/cpu/online)"
    /odv status --json
    burn
    /odv go-native
    say "round $round: go-native exit $?"
    /odv status --json
    burn
done
