# odv.test=refuse-corrupt: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# Bad input: go-virtual with a corrupted image (a test switch flips metadata bytes)
# must refuse before the kexec; the rest is refuse.sh.
extra=--test-corrupt-image
. /scenarios/refuse.sh
