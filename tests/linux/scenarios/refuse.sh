# odv.test=refuse: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# Bad input: go-virtual must refuse before the kexec and leave everything running.
# What makes it refuse is on the command line (no or a bad memmap= reservation), or
# refuse-corrupt.sh sets extra=--test-corrupt-image before it sources this.
extra=${extra:-}
before=$(cat /tmp/counter)
/odv go-virtual --hv /odv-hv.bin $extra
say "refused go-virtual exit $?"
sleep 1
after=$(cat /tmp/counter)
[ "$after" -gt "$before" ] && say "PASS background loop kept running ($before -> $after)" \
    || say "FAIL background loop stopped ($before -> $after)"
