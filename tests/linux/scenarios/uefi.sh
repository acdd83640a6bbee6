# odv.test=uefi: sourced by /init (tests/linux/init-go-virtual) after the shared set-up.
# A UEFI machine (QEMU with OVMF) with several CPUs: the agent hands odv-hv the
# RSDP from the EFI system table, so odv-hv finds every CPU in the MADT on the
# kexec path too. Then go-virtual as usual.
say "cpus present: $(cat /sys/devices/system/cpu/present)"
sed -n 's/^/odv-test: systab: /p' /sys/firmware/efi/systab 2>&1 | grep ACPI
. /scenarios/go-virtual.sh
