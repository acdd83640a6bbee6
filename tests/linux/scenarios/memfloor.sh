# odv.test=memfloor: sourced by /init (tests/linux/init-go-virtual) after the shared
# set-up, with odv.memtest= large enough that about 40 % of RAM is in use (#14).
# native -> virtual -> native -> virtual: the image stays in the snapshot's frames,
# so go-virtual needs little beyond the snapshot's own copy; the pattern is checked
# after each conversion (and once more by /init at the end).
insmod /msr.ko
# Wait until the pattern is all in memory, then show what odv check makes of it.
i=0
while [ "$(awk '/VmRSS/ { print int($2 / 1024) }' /proc/$mem/status)" -lt "$memtest_mib" ] && [ $i -lt 300 ]; do
    sleep 0.5; i=$((i+1))
done
awk '/MemTotal|MemAvailable/ { printf "odv-test: %s %d MiB\n", $1, $2 / 1024 }' /proc/meminfo
/odv check --hv /odv-hv.bin | grep '^[a-zA-Z]* *memory '
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
