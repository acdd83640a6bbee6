# odv.test=stepwatchdog: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# The step watchdog: a go-virtual that hangs while the system is frozen (a test
# flag stalls it at a point) is undone when the step's deadline passes: the
# system is unfrozen and the devices come back natively, nothing lost.
vdev_setup
devices before
/recwriter /data/records > /tmp/rec.out 2>&1 &
rec=$!
sleep 2
for point in after-detach after-snapshot; do
    /odv go-virtual --hv /odv-hv.bin --step-timeout 5 --test-stall $point
    say "stalled go-virtual ($point) exit $?"
    devices "after the stall $point"
    sleep 2
done
records_verdict
dmesg_errors
