# odv.test=swap: sourced by /init (tests/linux/init-go-virtual) after the shared
# set-up, with odv.memtest= so large that more than half of RAM is in use (#14
# goal 2). Without swap the kernel could not make the snapshot; with swap it
# swaps out what does not fit under its image-size preference, as its own
# hibernate does, and go-virtual goes on (QEMU TCG: the fail-safe native
# resume). The swapped-out pattern must come back intact.
loadmods disk
i=0; while [ ! -b /dev/sda ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done
mkswap /dev/sda > /dev/null && swapon /dev/sda || say "FAIL no swap on /dev/sda"
awk '/MemTotal|MemAvailable|SwapTotal/ { printf "odv-test: %s %d MiB\n", $1, $2 / 1024 }' /proc/meminfo
/odv check --hv /odv-hv.bin | grep -E '^[a-zA-Z]* *(memory|swap) '
swapped() { awk '/SwapTotal/ { t = $2 } /SwapFree/ { f = $2 } END { print int((t - f) / 1024) }' /proc/meminfo; }
before=$(swapped)
/odv go-virtual --hv /odv-hv.bin
say "go-virtual exit $?"
after=$(swapped)
[ "$after" -gt "$before" ] && say "PASS the snapshot swapped out $((after - before)) MiB ($before -> $after MiB in swap)" \
    || say "FAIL nothing was swapped out ($before -> $after MiB in swap)"
memcheck 1
