# odv.test=skipcpu: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# Boot-menu path, 2 CPUs, odv-hv told not to run CPU 1 (test-skip-cpu=1): the
# guest must not be able to start that CPU natively beside the virtual one.
# Linux's bring-up of CPU 1 fails at boot and again when asked; odv status shows
# only virtual CPUs.
insmod /msr.ko
say "cpus online: $(cat /sys/devices/system/cpu/online), present: $(cat /sys/devices/system/cpu/present)"
echo 1 > /sys/devices/system/cpu/cpu1/online 2>/dev/null
say "onlining cpu1 again: exit $?; online $(cat /sys/devices/system/cpu/online)"
/odv status
/odv status --json
# What odv-hv did with the guest's INIT/SIPI for CPU 1.
/odv log | grep -E 'smp: ' | sed 's/^/ring: /'
