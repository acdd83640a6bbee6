# odv top-level build. `make` builds odv-hv, the odv agent and the test
# guests; `make test` runs the host unit tests, the fuzzers (`make fuzz`, FUZZ_SECONDS
# each) and every emulator scenario;
# `make demo` shows the main job in Bochs: the stock kernel, with a running process, a
# file and a TCP connection, goes virtual under odv-hv and native again (a few
# minutes); `make demo-guest` shows odv-hv running test guest A (seconds).

B        := build
CC       := gcc
NASM     := nasm -Iinclude/
LD       := ld
OBJCOPY  := objcopy

# odv-hv's source folders (docs/ARCHITECTURE.md, "Source tree"); headers are
# included by bare name from any of them.
HV_DIRS  := core vmx mm entry smp platform iommu
HV_INC   := $(addprefix -Ihypervisor/,$(HV_DIRS)) -Iinclude -Iinclude/codec
WARN     := -Wall -Wextra -Werror=implicit-function-declaration -Wno-unused-parameter
# Freestanding x86-64, no SSE/x87 anywhere in hypervisor code (kexec enters
# with CR4.OSFXSR clear), no red zone (exceptions run on the same stack).
HV_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -fno-stack-protector \
	-fno-pic -fno-pie -mcmodel=kernel -mno-red-zone -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -fno-omit-frame-pointer $(WARN) \
	$(HV_INC) -Idrivers
GUEST_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -fno-stack-protector \
	-fno-pic -fno-pie -mcmodel=small -mno-red-zone -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables $(WARN) $(HV_INC) -Itests/guests
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) $(HV_INC) -fsanitize=address,undefined

# odv-hv's C sources, by folder (docs/ARCHITECTURE.md, "Source tree").
HV_C   := $(addprefix core/,main.c serial.c log.c log_format.c fmt.c string.c idt.c pool.c delay.c cmdline.c selfcheck.c) \
	  $(addprefix vmx/,vmx.c vmx_caps.c vmcs_fields.c exit.c exit_info.c exit_cpu.c cr_rules.c exit_msr.c msr_policy.c exit_access.c hypercall.c dump.c devirt.c devirt_gdt.c) \
	  $(addprefix mm/,paging.c ept.c ept_guest.c host_paging.c direct_map.c guest_mem.c memmap.c mtrr.c) \
	  $(addprefix entry/,mb2.c linux_boot.c guest_test.c restore.c frame_set.c) \
	  $(addprefix smp/,smp.c sipi.c lapic.c lapic_trap.c acpi.c guest_stop.c) \
	  $(addprefix platform/,vdev.c vdev_disk.c vdev_nic.c pci_host.c region.c mmio.c insn_decode.c) \
	  $(addprefix iommu/,dmar.c vtd.c vtd_test.c)
# The codecs odv-hv and the agent both compile (include/codec/).
CODEC_C := handoff.c swsusp_image.c log_ring.c
HV_HDRS := $(wildcard $(addsuffix /*.h,$(addprefix hypervisor/,$(HV_DIRS))) include/*.h include/codec/*.h)
# Device logic (drivers/): pure C shared with the host unit tests.
DRV_C  := pci_cfg.c virtq.c virtio_pci.c virtio_blk.c virtio_net.c ata.c e1000.c
HV_OBJ := $(B)/hv/mb2_entry.o $(B)/hv/stubs.o $(B)/hv/ap_blob.o $(HV_C:%.c=$(B)/hv/%.o) $(CODEC_C:%.c=$(B)/hv/codec/%.o) \
	$(DRV_C:%.c=$(B)/hv/drv_%.o)

GUESTS := guest-a guest-b guest-c guest-d guest-e
GUEST_COMMON := $(B)/guests/start.o $(B)/guests/lib.o $(B)/guests/fmt.o

# What each unit test links: the code it tests and what that code calls, no more.
test_fmt_SRC        := hypervisor/core/fmt.c
test_log_SRC        := hypervisor/core/log_format.c hypervisor/core/fmt.c include/codec/log_ring.c
test_vmcs_SRC       := hypervisor/vmx/vmcs_fields.c
test_vmx_caps_SRC   := hypervisor/vmx/vmx_caps.c
test_ept_SRC        := hypervisor/mm/ept.c hypervisor/mm/paging.c hypervisor/mm/mtrr.c hypervisor/core/fmt.c
test_mb2_SRC        := hypervisor/entry/mb2.c
test_memmap_SRC     := hypervisor/mm/memmap.c
test_mtrr_SRC       := hypervisor/mm/mtrr.c hypervisor/core/fmt.c
test_devirt_gdt_SRC := hypervisor/vmx/devirt_gdt.c
test_handoff_SRC    := include/codec/handoff.c
test_swsusp_SRC     := include/codec/swsusp_image.c
test_plan_SRC       := guest-agent/plan.c guest-agent/sysfacts.c guest-agent/headroom.c
test_headroom_SRC   := guest-agent/headroom.c
test_snapframes_SRC := guest-agent/snapframes.c
test_phases_SRC     := guest-agent/phases.c
test_json_SRC       := guest-agent/json.c
test_disk_id_SRC    := guest-agent/disk_id.c
test_testpoint_SRC  := guest-agent/testpoint.c
test_acpi_SRC       := hypervisor/smp/acpi.c
test_dmar_SRC       := hypervisor/iommu/dmar.c hypervisor/smp/acpi.c
test_insn_decode_SRC := hypervisor/platform/insn_decode.c
test_region_SRC     := hypervisor/platform/region.c
test_paging_SRC     := hypervisor/mm/paging.c
test_bigmap_SRC     := hypervisor/mm/ept.c hypervisor/mm/paging.c
test_frame_set_SRC  := hypervisor/entry/frame_set.c
test_cmdline_SRC    := hypervisor/core/cmdline.c
test_exit_info_SRC  := hypervisor/vmx/exit_info.c
test_cr_rules_SRC   := hypervisor/vmx/cr_rules.c
test_msr_policy_SRC := hypervisor/vmx/msr_policy.c
test_virtq_SRC      := drivers/virtq.c
test_pci_cfg_SRC    := drivers/pci_cfg.c
test_ata_SRC        := drivers/ata.c
test_virtio_blk_SRC := drivers/virtio_blk.c drivers/virtio_pci.c drivers/virtq.c drivers/pci_cfg.c
test_virtio_net_SRC := drivers/virtio_net.c drivers/virtio_pci.c drivers/virtq.c drivers/pci_cfg.c
test_e1000_SRC      := drivers/e1000.c
# Shell tests (one "PASS name" / "FAIL name: why" line per check).
UNIT_SH := tests/unit/test_grubd.sh tests/unit/test_manpage.sh
UNIT_TESTS := test_cr_rules test_msr_policy test_fmt test_log test_vmcs test_vmx_caps test_ept test_mb2 test_memmap test_mtrr test_devirt_gdt test_handoff test_swsusp test_plan test_headroom test_snapframes test_phases test_json test_testpoint test_disk_id test_acpi test_dmar test_insn_decode test_region test_exit_info test_paging test_bigmap test_frame_set test_cmdline \
	test_virtq test_pci_cfg test_ata test_virtio_blk test_virtio_net test_e1000

.PHONY: all hv agent guests isos linux unit fuzz fuzz-seeds test demo demo-guest clean bench-prereqs bench-overhead-prereqs
# Keep intermediate objects: no "rm ..." lines after the test summary.
.SECONDARY:
all: hv agent guests

hv: $(B)/odv-hv.elf $(B)/odv-hv.bin
agent: $(B)/odv
guests: $(GUESTS:%=$(B)/guests/%.bin)

$(B)/hv/codec/%.o: include/codec/%.c $(HV_HDRS) | $(B)/hv
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) -c $< -o $@
$(B)/hv/%.o: hypervisor/%.c $(HV_HDRS) $(wildcard drivers/*.h) | $(B)/hv
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) -c $< -o $@
$(B)/hv/drv_%.o: drivers/%.c $(HV_HDRS) $(wildcard drivers/*.h) | $(B)/hv
	$(CC) $(HV_CFLAGS) -c $< -o $@
$(B)/hv/mb2_entry.o: boot/mb2_entry.asm | $(B)/hv
	$(NASM) -f elf64 $< -o $@
# The AP start-up code runs at a fixed low address: assembled flat, then carried in
# odv-hv's image as data (boot/ap_blob.asm) for smp.c to copy there.
$(B)/hv/ap_trampoline.bin: boot/ap_trampoline.asm | $(B)/hv
	$(NASM) -f bin $< -o $@
$(B)/hv/ap_blob.o: boot/ap_blob.asm $(B)/hv/ap_trampoline.bin | $(B)/hv
	$(NASM) -f elf64 -DAP_TRAMP_BIN='"$(B)/hv/ap_trampoline.bin"' $< -o $@
$(B)/hv/stubs.o: hypervisor/vmx/stubs.asm include/exception_frame.inc | $(B)/hv
	$(NASM) -f elf64 $< -o $@
$(B)/odv-hv.elf: $(HV_OBJ) hypervisor/linker.ld
	$(LD) -n -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments -T hypervisor/linker.ld -o $@ $(HV_OBJ)
	@size=$$(stat -c %s $@); echo "odv-hv: $@ ($$size bytes)"

# The flat image the agent kexecs (the ELF is for GRUB and debuggers).
$(B)/odv-hv.bin: $(B)/odv-hv.elf
	$(OBJCOPY) -O binary $< $@

AGENT_SRC := $(wildcard guest-agent/*.c) $(CODEC_C:%=include/codec/%)
$(B)/odv: $(AGENT_SRC) $(wildcard guest-agent/*.h include/*.h include/codec/*.h) | $(B)
	$(CC) -std=gnu11 -O2 -static $(WARN) -Iinclude -Iinclude/codec -Iguest-agent $(AGENT_SRC) -o $@

$(B)/guests/start.o: tests/guests/start.asm include/exception_frame.inc | $(B)/guests
	$(NASM) -f elf64 $< -o $@
$(B)/guests/fmt.o: hypervisor/core/fmt.c hypervisor/core/fmt.h | $(B)/guests
	$(CC) $(GUEST_CFLAGS) -c $< -o $@
$(B)/guests/%.o: tests/guests/%.c tests/guests/guest.h include/odv_testguest.h include/odv_abi.h | $(B)/guests
	$(CC) $(GUEST_CFLAGS) -c $< -o $@
$(B)/guests/%.elf: $(B)/guests/%.o $(GUEST_COMMON) tests/guests/guest.ld
	$(LD) -n -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments -T tests/guests/guest.ld -o $@ $(GUEST_COMMON) $<
$(B)/guests/guest-%.bin: $(B)/guests/guest_%.elf
	$(OBJCOPY) -O binary $< $@

# ---- ISOs for the emulator scenarios ----
ISOS := $(B)/iso/vtd-test.iso $(B)/iso/guest-a.iso $(B)/iso/guest-b.iso $(B)/iso/guest-c-invd.iso $(B)/iso/guest-c-triple.iso $(B)/iso/guest-c-smp-invd.iso $(B)/iso/guest-d.iso $(B)/iso/guest-e.iso
isos: $(ISOS)
# odv-hv's VT-d test mode (iommu/vtd_test.c), for QEMU q35 with intel-iommu: no guest.
$(B)/iso/vtd-test.iso: $(B)/odv-hv.elf scripts/mkiso.sh | $(B)/iso
	scripts/mkiso.sh $@ --hv $(B)/odv-hv.elf --cmdline "test-vtd"
$(B)/iso/guest-a.iso: $(B)/odv-hv.elf $(B)/guests/guest-a.bin scripts/mkiso.sh | $(B)/iso
	scripts/mkiso.sh $@ --hv $(B)/odv-hv.elf --module $(B)/guests/guest-a.bin "guest-a"
$(B)/iso/guest-b.iso: $(B)/odv-hv.elf $(B)/guests/guest-b.bin scripts/mkiso.sh | $(B)/iso
	scripts/mkiso.sh $@ --hv $(B)/odv-hv.elf --module $(B)/guests/guest-b.bin "guest-b"
# Guest E does at CPL 0 what a hostile kernel might (tests/guests/guest_e.c).
$(B)/iso/guest-e.iso: $(B)/odv-hv.elf $(B)/guests/guest-e.bin scripts/mkiso.sh | $(B)/iso
	scripts/mkiso.sh $@ --hv $(B)/odv-hv.elf --module $(B)/guests/guest-e.bin "guest-e"
# Guest D drives the virtio-blk disk odv-hv makes of the IDE disk (ata0-slave).
$(B)/iso/guest-d.iso: $(B)/odv-hv.elf $(B)/guests/guest-d.bin scripts/mkiso.sh | $(B)/iso
	scripts/mkiso.sh $@ --hv $(B)/odv-hv.elf --cmdline "disk=ata0-slave" --module $(B)/guests/guest-d.bin "guest-d"
$(B)/iso/guest-c-%.iso: $(B)/odv-hv.elf $(B)/guests/guest-c.bin scripts/mkiso.sh | $(B)/iso
	scripts/mkiso.sh $@ --hv $(B)/odv-hv.elf --module $(B)/guests/guest-c.bin "guest-c $*"

# ---- Linux test systems (stock kernel from scripts/setup.sh + busybox initramfs) ----
# The test systems' helper programs (memtest, runas, uservmcall, cpuburn, tcpstream,
# recwriter): one static binary from each tests/linux/NAME.c.
$(B)/linux/%: tests/linux/%.c | $(B)/linux
	$(CC) -std=gnu11 -O2 -static $(WARN) $< -o $@
# Shell prelude for recipes: $$deb = the stock kernel package scripts/setup.sh fetched.
KERNEL_DEB = deb=$$(ls $(B)/kernel/linux-image-*.deb 2>/dev/null | head -1); \
	test -n "$$deb" || { echo "no stock kernel package in $(B)/kernel: run scripts/setup.sh"; exit 1; }
# $(call kernel_module,PATH): extract lib/modules/*/kernel/PATH from it into $@.
kernel_module = $(KERNEL_DEB); dpkg-deb --fsys-tarfile "$$deb" | tar -xO --wildcards './lib/modules/*/kernel/$(1)' > $@
# The msr driver (odv's hypercall path from user space) and the e1000 driver (the
# Bochs NIC the TCP stream runs over).
$(B)/linux/msr.ko: | $(B)/linux
	@$(call kernel_module,arch/x86/kernel/msr.ko)
$(B)/linux/e1000.ko: | $(B)/linux
	@$(call kernel_module,drivers/net/ethernet/intel/e1000/e1000.ko)
# The scenarios' init fragments: /init (tests/linux/init-go-virtual) sources
# /scenarios/NAME.sh for odv.test=NAME. Every initramfs carries all of them. The
# folder is a prerequisite too, so adding or removing a fragment rebuilds them.
SCN_FRAGMENTS := $(wildcard tests/linux/scenarios/*.sh)
LINUX_INIT := tests/linux/init-go-virtual tests/linux/scenarios $(SCN_FRAGMENTS)
fragments_to_initrd := $(foreach f,$(SCN_FRAGMENTS),$(f):/scenarios/$(notdir $(f)))
# INITRD=go-virtual: odv, odv-hv and the helpers, no kernel modules but msr and e1000.
LINUX_TEST_FILES := $(B)/odv $(B)/odv-hv.bin $(B)/linux/memtest $(B)/linux/runas $(B)/linux/uservmcall $(B)/linux/uservmx \
	$(B)/linux/msr.ko $(B)/linux/e1000.ko $(B)/linux/tcpstream $(B)/linux/cpuburn
$(B)/linux/go-virtual.cpio.gz: $(LINUX_INIT) $(LINUX_TEST_FILES) scripts/mkinitramfs.sh
	scripts/mkinitramfs.sh $@ tests/linux/init-go-virtual $(fragments_to_initrd) $(B)/odv:/odv $(B)/odv-hv.bin:/odv-hv.bin \
		$(B)/linux/memtest:/memtest $(B)/linux/runas:/runas $(B)/linux/uservmcall:/uservmcall $(B)/linux/uservmx:/uservmx \
		$(B)/linux/msr.ko:/msr.ko $(B)/linux/e1000.ko:/e1000.ko $(B)/linux/tcpstream:/tcpstream
# The stock kernel booted natively from GRUB in Bochs, with the reservation odv needs.
# nopku: Bochs 2.7 lets a native kernel enable CR4.PKE but not a VMX guest
# (IA32_VMX_CR4_FIXED1 bit 22 is 0), so a kernel using PKU cannot run under
# odv-hv there; odv-hv reports such bits when the guest sets them.
# tsc_early_khz=50000: Bochs' TSC and LAPIC timer count emulated ticks, 50 M a
# second with run-vm.sh's ips=50000000, but the CPU model's CPUID says 3.5 GHz and
# Linux would believe it (guest time 70x slow, LAPIC timer 146x too fast). Keep it
# equal to ips/1000. These ISOs are for Bochs only.
LINUX_CMDLINE := console=ttyS0 memmap=64M$$0x30000000 panic=-1 loglevel=4 nopku tsc_early_khz=50000
# make demo (scripts/demo.sh, scripts/demo.expect): the go-virtual system with odv.test=demo,
# the e1000 and a host peer.
$(B)/iso/linux-demo.iso: $(B)/linux/go-virtual.cpio.gz $(B)/kernel/vmlinuz scripts/mkiso.sh | $(B)/iso
	scripts/mkiso.sh $@ --linux $(B)/kernel/vmlinuz --initrd $(B)/linux/go-virtual.cpio.gz --cmdline '$(LINUX_CMDLINE) odv.test=demo'
$(B)/kernel/vmlinuz:
	@echo "no stock kernel in $(B)/kernel: run scripts/setup.sh"; exit 1
# Each Linux scenario's ISO, build/iso/scn-NAME.iso, from its manifest: INITRD (one of
# the three initramfs flavours here), CMDLINE (after LINUX_CMDLINE), MENU and HV_ARGS.
# scripts/scenarios-mk.sh writes their rules and the list SCN_ISOS; make remakes that
# file first when a manifest or the script changed, or a manifest came or went (the
# folder's time).
$(B)/scenarios.mk: tests/scenarios $(wildcard tests/scenarios/*.scn) scripts/scenarios-mk.sh | $(B)
	scripts/scenarios-mk.sh $@
include $(B)/scenarios.mk
linux: $(B)/linux/go-virtual.cpio.gz $(B)/linux/menu.cpio.gz $(B)/linux/replug.cpio.gz $(SCN_ISOS) $(B)/disk/data.img $(B)/disk/swap.img

# ---- kernel modules the test systems load from /modules (insmod, in this order) ----
# The IDE disk: SCSI disk + libata + ata_piix (and sd_mod's CRC helpers).
DISK_MODS := crct10dif_common crct10dif_generic crc-t10dif crc64 crc64_rocksoft_generic crc64-rocksoft \
	t10-pi scsi_common scsi_mod sd_mod libata ata_piix
# ext4 on it (crc32c_generic first: ext4 and jbd2 ask the crypto API for crc32c).
FS_MODS := crc16 crc32c_generic mbcache jbd2 ext4
# The virtio transport and disk, then the NIC (odv-hv's virtual devices), in load order.
VIRTIO_BLK_MODS := virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk
VIRTIO_NET_MODS := failover net_failover virtio_net
VIRTIO_MODS := $(VIRTIO_BLK_MODS) $(VIRTIO_NET_MODS)
TEST_MODS := $(DISK_MODS) $(FS_MODS) $(VIRTIO_MODS)
# Re-extracted when the Makefile (the module lists) changes.
$(B)/mods/modules.stamp: Makefile | $(B)/mods
	@$(KERNEL_DEB); \
	rm -rf $(B)/mods/lib && \
	dpkg-deb --fsys-tarfile "$$deb" | tar -x -C $(B)/mods --wildcards $(foreach m,$(TEST_MODS),'./lib/modules/*/$(m).ko' './lib/modules/*/*/$(m).ko' './lib/modules/*/*/*/$(m).ko' './lib/modules/*/*/*/*/$(m).ko') 2>/dev/null; \
	n=$$(find $(B)/mods -name '*.ko' | wc -l); test $$n -eq $(words $(TEST_MODS)) || { echo "modules: found $$n of $(words $(TEST_MODS))"; exit 1; }; \
	touch $@
# mkinitramfs.sh arguments that put each of the named modules at /modules/NAME.ko,
# and the group list at /modules/groups.
mods_to_initrd = $(foreach m,$(1),$$(find $(B)/mods -name '$(m).ko'):/modules/$(m).ko) $(B)/linux/modgroups:/modules/groups
# The one place the inits learn which modules to load: a line per group, "NAME MODULE...",
# in insmod order (loadmods in tests/linux/init-go-virtual; tests/linux/init-bench).
$(B)/linux/modgroups: Makefile | $(B)/linux
	printf '%s\n' 'disk $(DISK_MODS)' 'fs $(FS_MODS)' 'virtio_blk $(VIRTIO_BLK_MODS)' \
		'virtio_net $(VIRTIO_NET_MODS)' 'vdev $(VDEV_MODS)' > $@
# Virtual devices (odv prepare, odv replug): device-mapper and bonding, in insmod
# order. Their .modinfo "depends=": dm-mod none, tls none, bonding tls.
VDEV_MODS := dm-mod tls bonding
$(B)/linux/dm-mod.ko: | $(B)/linux
	@$(call kernel_module,drivers/md/dm-mod.ko)
$(B)/linux/tls.ko: | $(B)/linux
	@$(call kernel_module,net/tls/tls.ko)
$(B)/linux/bonding.ko: | $(B)/linux
	@$(call kernel_module,drivers/net/bonding/bonding.ko)

# The IDE data disk of the boot-menu scenarios: 16 MiB (32 cylinders of 16 heads x
# 63 sectors, the geometry run-vm.sh gives Bochs), one ext4 filesystem, no partitions.
$(B)/disk/data.img: | $(B)/disk
	rm -f $@.tmp && truncate -s $$((32 * 16 * 63 * 512)) $@.tmp
	PATH="$$PATH:/sbin:/usr/sbin" mkfs.ext4 -q -F -L odvdata $@.tmp
	mv $@.tmp $@

# The swap disk of qemu-go-virtual-swap: 640 cylinders (315 MiB), sparse; the guest runs mkswap.
$(B)/disk/swap.img: | $(B)/disk
	rm -f $@ && truncate -s $$((640 * 16 * 63 * 512)) $@

# ---- INITRD=menu: go-virtual's files, cpuburn, and the disk, ext4 and virtio modules ----
# For the boot menu (MENU=, boot/grub.d/42_odv's "Linux under odv-hv" next to
# "Linux (native)"), odv-hv's virtio devices from it, and the SMP scenarios.
$(B)/linux/menu.cpio.gz: $(LINUX_INIT) $(LINUX_TEST_FILES) $(B)/mods/modules.stamp $(B)/linux/modgroups scripts/mkinitramfs.sh
	scripts/mkinitramfs.sh $@ tests/linux/init-go-virtual $(fragments_to_initrd) $(B)/odv:/odv $(B)/odv-hv.bin:/odv-hv.bin \
		$(B)/linux/memtest:/memtest $(B)/linux/runas:/runas $(B)/linux/uservmcall:/uservmcall $(B)/linux/uservmx:/uservmx \
		$(B)/linux/msr.ko:/msr.ko $(B)/linux/e1000.ko:/e1000.ko $(B)/linux/tcpstream:/tcpstream \
		$(B)/linux/cpuburn:/cpuburn $(call mods_to_initrd,$(TEST_MODS))

# ---- INITRD=replug: virtual devices (odv prepare, odv replug, go-virtual moving them) ----
# recwriter and the dm-mod and bonding modules as well, no uservmcall or cpuburn. QEMU
# scenarios boot it with -kernel/-initrd (QEMU_ARGS), the Bochs ones from their ISO.
$(B)/linux/replug.cpio.gz: $(LINUX_INIT) $(LINUX_TEST_FILES) $(B)/linux/recwriter $(B)/mods/modules.stamp $(B)/linux/modgroups \
		$(VDEV_MODS:%=$(B)/linux/%.ko) scripts/mkinitramfs.sh
	scripts/mkinitramfs.sh $@ tests/linux/init-go-virtual $(fragments_to_initrd) $(B)/odv:/odv $(B)/odv-hv.bin:/odv-hv.bin \
		$(B)/linux/memtest:/memtest $(B)/linux/runas:/runas $(B)/linux/msr.ko:/msr.ko $(B)/linux/e1000.ko:/e1000.ko \
		$(B)/linux/tcpstream:/tcpstream $(B)/linux/recwriter:/recwriter $(call mods_to_initrd,$(TEST_MODS)) \
		$(foreach m,$(VDEV_MODS),$(B)/linux/$(m).ko:/modules/$(m).ko)

# ---- downtime benchmark (scripts/bench-downtime.sh; not part of make test) ----
# reboot=pci: reset through port 0xCF9, which Bochs treats as a hardware reset.
# Its other resets keep IA32_FEATURE_CONTROL locked, and the BIOS then faults
# writing it, in a loop.
$(B)/bench/bench.cpio.gz: tests/linux/init-bench $(B)/mods/modules.stamp $(B)/linux/modgroups $(B)/odv $(B)/odv-hv.bin $(B)/linux/memtest $(B)/linux/msr.ko scripts/mkinitramfs.sh
	scripts/mkinitramfs.sh $@ tests/linux/init-bench $(B)/odv:/odv $(B)/odv-hv.bin:/odv-hv.bin \
		$(B)/linux/memtest:/memtest $(B)/linux/msr.ko:/msr.ko \
		$(call mods_to_initrd,$(DISK_MODS))
$(B)/bench/bench.iso: $(B)/bench/bench.cpio.gz scripts/mkiso.sh
	scripts/mkiso.sh $@ --linux $(B)/kernel/vmlinuz --initrd $(B)/bench/bench.cpio.gz --cmdline '$(LINUX_CMDLINE) reboot=pci'
bench-prereqs: $(B)/bench/bench.iso
	@test -f $(B)/kernel/vmlinuz || { echo "no stock kernel in $(B)/kernel: run scripts/setup.sh"; exit 1; }

# ---- virtual-mode overhead benchmark (scripts/bench-overhead.sh; not part of make test) ----
# overhead.iso: no disk or network modules; the workloads are CPU, memory,
# syscalls, context switches and fork + exec (see tests/linux/overhead.c).
$(B)/bench/overhead.cpio.gz: tests/linux/init-overhead $(B)/odv $(B)/odv-hv.bin $(B)/linux/overhead $(B)/linux/msr.ko scripts/mkinitramfs.sh
	@mkdir -p $(@D)
	scripts/mkinitramfs.sh $@ tests/linux/init-overhead $(B)/odv:/odv $(B)/odv-hv.bin:/odv-hv.bin \
		$(B)/linux/overhead:/overhead $(B)/linux/msr.ko:/msr.ko
$(B)/bench/overhead.iso: $(B)/bench/overhead.cpio.gz scripts/mkiso.sh
	scripts/mkiso.sh $@ --linux $(B)/kernel/vmlinuz --initrd $(B)/bench/overhead.cpio.gz --cmdline '$(LINUX_CMDLINE)'
# The same with the devices odv-hv takes over (bench-overhead.sh --devices): the IDE
# disk and the e1000, their drivers, dm and bonding for odv prepare, virtio for after.
$(B)/bench/overhead-dev.cpio.gz: tests/linux/init-overhead $(B)/mods/modules.stamp $(B)/linux/modgroups $(B)/odv $(B)/odv-hv.bin \
		$(B)/linux/overhead $(B)/linux/msr.ko $(B)/linux/e1000.ko $(VDEV_MODS:%=$(B)/linux/%.ko) scripts/mkinitramfs.sh
	@mkdir -p $(@D)
	scripts/mkinitramfs.sh $@ tests/linux/init-overhead $(B)/odv:/odv $(B)/odv-hv.bin:/odv-hv.bin \
		$(B)/linux/overhead:/overhead $(B)/linux/msr.ko:/msr.ko $(B)/linux/e1000.ko:/e1000.ko \
		$(call mods_to_initrd,$(DISK_MODS) $(VIRTIO_MODS)) \
		$(foreach m,$(VDEV_MODS),$(B)/linux/$(m).ko:/modules/$(m).ko)
$(B)/bench/overhead-dev.iso: $(B)/bench/overhead-dev.cpio.gz scripts/mkiso.sh
	scripts/mkiso.sh $@ --linux $(B)/kernel/vmlinuz --initrd $(B)/bench/overhead-dev.cpio.gz --cmdline '$(LINUX_CMDLINE)'
bench-overhead-prereqs: $(B)/bench/overhead.iso $(B)/bench/overhead-dev.iso $(B)/disk/data.img
	@test -f $(B)/kernel/vmlinuz || { echo "no stock kernel in $(B)/kernel: run scripts/setup.sh"; exit 1; }
$(B)/linux/overhead: include/odv_abi.h

# ---- host unit tests (cmocka) ----
.SECONDEXPANSION:
$(B)/unit/%: tests/unit/%.c $$(%_SRC) $(HV_HDRS) $(wildcard guest-agent/*.h tests/unit/*.h drivers/*.h) | $(B)/unit
	$(CC) $(HOST_CFLAGS) -Idrivers -Iguest-agent -Itests/unit $< $($*_SRC) -lcmocka -o $@
# test_manpage.sh compares docs/odv.8 with what $(B)/odv --help prints.
unit: $(UNIT_TESTS:%=$(B)/unit/%) $(UNIT_SH) $(B)/odv | $(B)/unit
	@pass=0; fail=0; \
	for t in $(UNIT_TESTS); do \
		if $(B)/unit/$$t > $(B)/unit/$$t.log 2>&1; then r=ok; else r=FAILED; fi; \
		run=$$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\./\1/p' $(B)/unit/$$t.log | tail -1); \
		p=$$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' $(B)/unit/$$t.log | tail -1); \
		p=$${p:-0}; f=$$(( $${run:-0} - p )); \
		[ $$r = ok ] || [ $$f -gt 0 ] || f=1; \
		pass=$$((pass + p)); fail=$$((fail + f)); \
		echo "unit: $$t: $$p passed, $$f failed"; \
		[ $$r = ok ] || grep -a -E '^\[  FAILED  \] [a-z_]|ERROR|error:' $(B)/unit/$$t.log | head -20; \
	done; \
	for t in $(UNIT_SH); do \
		n=$$(basename $$t .sh); bash $$t > $(B)/unit/$$n.log 2>&1; \
		p=$$(grep -c '^PASS ' $(B)/unit/$$n.log); f=$$(grep -c '^FAIL ' $(B)/unit/$$n.log); \
		[ $$((p + f)) -gt 0 ] || f=1; \
		pass=$$((pass + p)); fail=$$((fail + f)); \
		echo "unit: $$n: $$p passed, $$f failed"; grep '^FAIL ' $(B)/unit/$$n.log | head -20; \
	done; \
	echo "$$pass $$fail" > $(B)/unit/summary; \
	echo "unit tests: $$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

# ---- libFuzzer harnesses (tests/fuzz/): every parser of bytes a guest or the agent controls ----
# Debian's clang with its libFuzzer runtime (libclang-rt-14-dev, scripts/setup.sh). UBSan
# findings abort like ASan's, so libFuzzer saves the input.
FUZZ_CC      := clang
FUZZ_CFLAGS  := -std=gnu11 -O1 -g $(WARN) $(HV_INC) -Idrivers -Itests/fuzz \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 20
FUZZERS      := virtq insn_decode pci handoff swsusp acpi mb2
# What each harness links (as for the unit tests), and the longest input it is given.
fuzz_virtq_SRC       := drivers/virtq.c
fuzz_insn_decode_SRC := hypervisor/platform/insn_decode.c
fuzz_pci_SRC         := drivers/pci_cfg.c drivers/virtio_pci.c drivers/virtio_blk.c drivers/virtq.c
fuzz_handoff_SRC     := include/codec/handoff.c
fuzz_swsusp_SRC      := include/codec/swsusp_image.c
fuzz_acpi_SRC        := hypervisor/smp/acpi.c hypervisor/iommu/dmar.c
fuzz_mb2_SRC         := hypervisor/entry/mb2.c
fuzz_virtq_MAXLEN       := 16384
fuzz_insn_decode_MAXLEN := 32
fuzz_pci_MAXLEN         := 12288
fuzz_handoff_MAXLEN     := 4096
fuzz_swsusp_MAXLEN      := 12288
fuzz_acpi_MAXLEN        := 4096
fuzz_mb2_MAXLEN         := 4096
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(fuzz_%_SRC) tests/fuzz/fuzz.h $(HV_HDRS) $(wildcard drivers/*.h) | $(B)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(fuzz_$*_SRC) -o $@
# The seed corpora (tests/fuzz/corpus/NAME/) are made by the parsers' own encoders and
# builders; each seed is checked to be accepted before it is written.
MKSEEDS_SRC := $(fuzz_handoff_SRC) $(fuzz_swsusp_SRC) $(fuzz_acpi_SRC) $(fuzz_mb2_SRC) $(fuzz_pci_SRC)
$(B)/fuzz/mkseeds: tests/fuzz/mkseeds.c $(MKSEEDS_SRC) $(HV_HDRS) $(wildcard drivers/*.h) | $(B)/fuzz
	$(CC) $(HOST_CFLAGS) -Idrivers $< $(MKSEEDS_SRC) -o $@
fuzz-seeds: $(B)/fuzz/mkseeds
	$(B)/fuzz/mkseeds tests/fuzz/corpus
# Each harness runs FUZZ_SECONDS from its seeds plus what earlier runs found
# (build/fuzz/NAME/corpus), with tests/fuzz/NAME.dict where there is one (values
# the fuzzer would rarely guess); one line per harness, and a summary counted like the
# unit tests. A harness that does not build is a failure. libFuzzer stops at the
# first crash and writes the input to build/fuzz/NAME/crash-*.
fuzz: | $(B)/fuzz
	@pass=0; fail=0; \
	for nm in $(foreach f,$(FUZZERS),$(f):$(fuzz_$(f)_MAXLEN)); do \
		n=$${nm%%:*}; maxlen=$${nm##*:}; \
		if ! $(MAKE) --no-print-directory $(B)/fuzz/fuzz_$$n > $(B)/fuzz/$$n.build.log 2>&1; then \
			echo "fuzz: $$n: FAIL (did not build, see $(B)/fuzz/$$n.build.log)"; \
			grep -a -E 'error:|Error' $(B)/fuzz/$$n.build.log | head -10; \
			fail=$$((fail + 1)); continue; \
		fi; \
		mkdir -p $(B)/fuzz/$$n/corpus; \
		dict=; [ ! -f tests/fuzz/$$n.dict ] || dict=-dict=tests/fuzz/$$n.dict; \
		$(B)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -max_len=$$maxlen $$dict \
			-timeout=10 -print_final_stats=1 -artifact_prefix=$(B)/fuzz/$$n/ \
			$(B)/fuzz/$$n/corpus tests/fuzz/corpus/$$n > $(B)/fuzz/$$n.log 2>&1; rc=$$?; \
		runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(B)/fuzz/$$n.log | tail -1); \
		if [ $$rc -eq 0 ] && [ -n "$$runs" ]; then \
			echo "fuzz: $$n: PASS ($$runs runs, 0 crashes)"; pass=$$((pass + 1)); \
		else \
			echo "fuzz: $$n: FAIL ($${runs:-?} runs, exit $$rc, log $(B)/fuzz/$$n.log)"; fail=$$((fail + 1)); \
			grep -a -E 'invariant broken|ERROR: |SUMMARY: |runtime error|Test unit written' $(B)/fuzz/$$n.log | head -10; \
		fi; \
	done; \
	echo "$$pass $$fail" > $(B)/fuzz/summary; \
	echo "fuzz: $$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

# The unit and fuzz results are added to the scenario totals so the last line counts
# everything. A unit test that does not build leaves no summary: that counts as one
# failure (a harness that does not build is counted by `make fuzz` itself).
test: all isos linux
	@rm -f $(B)/unit/summary $(B)/fuzz/summary
	@$(MAKE) --no-print-directory unit || true
	@$(MAKE) --no-print-directory fuzz || true
	@if [ -f $(B)/unit/summary ]; then read p f < $(B)/unit/summary; \
	else echo "unit tests: did not build (see above)"; p=0; f=1; fi; \
	if [ -f $(B)/fuzz/summary ]; then read fp ff < $(B)/fuzz/summary; \
	else echo "fuzz: did not run (see above)"; fp=0; ff=1; fi; \
	tests/run-all.sh --add-passed $$((p + fp)) --add-failed $$((f + ff))

# The main job, end to end (scripts/demo.sh streams the guest's console and ends with
# a one-line verdict).
demo: all $(B)/iso/linux-demo.iso
	@scripts/demo.sh

demo-guest: all $(B)/iso/guest-a.iso
	@echo "== odv demo-guest: odv-hv (VT-x, written here) runs test guest A in Bochs, then hands the CPU back =="
	@# The expect part of guest-a's manifest, as tests/run-all.sh gives it to run-vm.sh.
	@sed '1,/^### expect$$/s/.*//' tests/scenarios/guest-a.scn > $(B)/demo-guest-a.expect
	scripts/run-vm.sh --name demo-guest-a --iso $(B)/iso/guest-a.iso --engine vmx --timeout 300 \
		--mem 256 --until '^guest-a: (DONE|FAIL)|halted' --expect $(B)/demo-guest-a.expect
	@echo "== serial log of the demo: =="; tr -d '\r' < $(B)/test-logs/demo-guest-a/serial.log | grep -a -E '^(odv-hv|guest-a)'

$(B) $(B)/hv $(B)/guests $(B)/unit $(B)/fuzz $(B)/iso $(B)/linux $(B)/bench $(B)/mods $(B)/disk:
	mkdir -p $@

clean:
	rm -rf $(B)/hv $(B)/guests $(B)/unit $(B)/fuzz $(B)/iso $(B)/linux $(B)/mods $(B)/disk $(B)/odv $(B)/odv-hv.elf $(B)/odv-hv.bin $(B)/test-logs \
		$(B)/scenarios.mk $(B)/demo-guest-a.expect
