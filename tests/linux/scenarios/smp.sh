# odv.test=smp: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# Boot-menu path with several CPUs: odv-hv brought every CPU into VMX and Linux
# started them with its own INIT/SIPI; each must run under odv-hv.
insmod /msr.ko
say "cpus online: $(cat /sys/devices/system/cpu/online), present: $(cat /sys/devices/system/cpu/present)"
/odv status
/odv status --json
# One busy process pinned to each CPU; verdicts printed in CPU order.
burners=
for c in $(seq 0 $(( $(nproc) - 1 ))); do taskset -c $c /cpuburn 8 8 $c > /tmp/burn.$c & burners="$burners $!"; done
for p in $burners; do wait $p; done
for c in $(seq 0 $(( $(nproc) - 1 ))); do cat /tmp/burn.$c; done
# CPU hotplug while virtual: offline (Linux parks it), online (INIT + SIPI again).
echo 0 > /sys/devices/system/cpu/cpu1/online
say "after offlining cpu1: online $(cat /sys/devices/system/cpu/online)"
echo 1 > /sys/devices/system/cpu/cpu1/online
say "after onlining cpu1: online $(cat /sys/devices/system/cpu/online)"
/odv status --json
taskset -c 1 /cpuburn 4 8 1
# What odv-hv did, from its log ring (not interleaved with the guest's output).
/odv log | grep -E 'smp: |cpu [0-9]+: (INIT|SIPI)' | sed 's/^/ring: /'
# go-native refuses while a CPU is offline (its vCPU waits inside odv-hv)...
echo 0 > /sys/devices/system/cpu/cpu1/online
/odv go-native
say "go-native with cpu1 offline exit $?"
echo 1 > /sys/devices/system/cpu/cpu1/online
# ...and with all online hands back every CPU, the boot CPU last.
/odv go-native
say "go-native exit $?"
/odv status --json
burners=
for c in $(seq 0 $(( $(nproc) - 1 ))); do taskset -c $c /cpuburn 4 8 $c > /tmp/burn.$c & burners="$burners $!"; done
for p in $burners; do wait $p; done
for c in $(seq 0 $(( $(nproc) - 1 ))); do cat /tmp/burn.$c; done
# Natively, Linux's own INIT/SIPI reach the CPU again.
echo 0 > /sys/devices/system/cpu/cpu1/online
echo 1 > /sys/devices/system/cpu/cpu1/online
say "native hotplug: online $(cat /sys/devices/system/cpu/online)"
taskset -c 1 /cpuburn 2 8 1
