# odv.test=memfloor: sourced by /init (tests/linux/init-go-virtual) after the shared
# set-up, with odv.memtest= large enough that about 40 % of RAM is in use (#14).
# native -> virtual -> native -> virtual: the image stays in the snapshot's frames,
# so go-virtual needs little beyond the snapshot's own copy; the pattern is checked
# after each conversion (and once more by /init at the end).
insmod /msr.ko
awk '/MemTotal|MemAvailable/ { printf "odv-test: %s %d MiB\n", $1, $2 / 1024 }' /proc/meminfo
/odv go-virtual --hv /odv-hv.bin
say "go-virtual exit $?"
/odv status
memcheck 1
/odv go-native
say "go-native exit $?"
/odv status
memcheck 2
/odv go-virtual --hv /odv-hv.bin
say "second go-virtual exit $?"
/odv status
