# odv.test=roundtrip: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# native -> virtual -> native -> virtual, with the system working throughout (Bochs: VMX).
# vmxexits: the VMX-instruction exits odv-hv counted in all (odv status --json),
# reasons 19-27 (VMCLEAR ... VMXON), 50 (INVEPT), 53 (INVVPID).
vmxexits() {
    o=$(/odv status --json | grep -o '"exits_by_reason":{[^}]*}' | head -1); l=""
    for r in 19 20 21 22 23 24 25 26 27 50 53; do
        n=$(echo "$o" | grep -o "\"$r\":[0-9]*" | cut -d: -f2)
        l="$l $r:${n:-0}"
    done
    say "vmx instruction exits counted:$l"
}
insmod /msr.ko
netstart
/odv go-virtual --hv /odv-hv.bin
say "go-virtual exit $?"
/odv status --json
say "odv log: $(/odv log | grep -c '^odv-hv\[') lines"
/odv log | grep -m1 'starting: kexec entry'
/runas 1000 /odv go-native
say "non-root go-native exit $?"
/uservmcall
# Every VMX instruction from an unprivileged process: SIGILL for each, each exit
# counted, no halt, and the machine stays virtual (the status line below).
/runas 65534 /uservmx
say "uservmx exit $?"
vmxexits
say "odv log: $(/odv log | grep -c 'halted') halts"
/odv status
# Checkpoints: the stream reports first (quick), then the 64 MiB check (slow).
netcheck
memcheck 1
before=$(cat /tmp/counter)
/odv go-native
say "go-native exit $?"
/odv status
/uservmcall
sleep 1
after=$(cat /tmp/counter)
[ "$after" -gt "$before" ] && say "PASS background loop kept running across go-native ($before -> $after)" \
    || say "FAIL background loop stopped ($before -> $after)"
/odv go-native
say "second go-native exit $?"
netcheck
memcheck 2
/odv go-virtual --hv /odv-hv.bin
say "second go-virtual exit $?"
/odv status
[ -z "$stream" ] || { sleep 2; kill -USR1 $stream; sleep 1; kill -USR2 $stream; sleep 3; }
