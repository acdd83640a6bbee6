# odv.test=go-virtual, and the default (no odv.test=): sourced by /init
# (tests/linux/init-go-virtual) after the shared set-up.
# go-virtual, then check that the busy loop kept counting. forcenative.sh sets
# gv=--test-force-native before it sources this; then the processes must be alive
# and the CPU must be native.
gv=${gv:-}
before=$(cat /tmp/counter)
/odv go-virtual --hv /odv-hv.bin $gv
rc=$?
say "go-virtual exit $rc"
sleep 1
after=$(cat /tmp/counter)
sleep 1
later=$(cat /tmp/counter)
[ "$later" -gt "$after" ] && [ "$after" -ge "$before" ] && say "PASS background loop kept running ($before -> $after -> $later)" \
    || say "FAIL background loop stopped ($before -> $after -> $later)"
if [ -n "$gv" ]; then
    kill -0 $loop && kill -0 $mem && say "PASS processes alive: loop pid $loop, memtest pid $mem" \
        || say "FAIL a process is gone (loop pid $loop, memtest pid $mem)"
    grep -q '^flags.* hypervisor' /proc/cpuinfo && say "FAIL /proc/cpuinfo has the hypervisor flag" \
        || say "PASS /proc/cpuinfo has no hypervisor flag"
fi
