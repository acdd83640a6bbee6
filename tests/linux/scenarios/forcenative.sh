# odv.test=forcenative: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# With --test-force-native odv-hv takes the native fail-safe path although the CPU
# has VMX (Bochs); the system must come back natively (exit 3) with its processes,
# memory and files as they were; the rest is go-virtual.sh.
gv=--test-force-native
grep -q '^flags.* vmx' /proc/cpuinfo && say "cpu has vmx" || say "FAIL cpu has no vmx: nothing would be forced"
. /scenarios/go-virtual.sh
