/*
 * odv-hv boot sequence (multiboot2 path):
 *   entry stub -> own tables -> platform facts -> VMX on -> EPT -> guest -> exit loop
 */
#include "hv.h"
#include "arch.h"
#include "serial.h"
#include "memmap.h"
#include "ept.h"
#include "odv_abi.h"
#include "odv_hvimage.h"
#include "percpu.h"
#include "entry.h"
#include "mm.h"
#include "smp.h"
#include "vdev.h"
#include "vmx.h"
#include "vtd.h"

struct hv hv;
extern char __hv_start[], __hv_end[];

uint64_t hv_virt_to_phys(const void *p)
{
	return (uint64_t)p - HV_VIRT_BASE + hv.load_base;
}

void hv_main(uint32_t magic, uint64_t mbi, uint64_t load_base)
{
	hv.tsc_entry = rdtsc();
	hv.load_base = load_base;
	hv.size = (uint64_t)(__hv_end - __hv_start);
	serial_init(COM1);
	/* Whoever used the console before us may have left a line unfinished. */
	serial_write("\n", 1);
	log_init(LOG_INFO);
	bool kexec = magic == ODV_ENTRY_KEXEC_MAGIC;
	pr_info("odv-hv %s starting: %s entry, region 0x%lx-0x%lx", ODV_VERSION_STRING,
		kexec ? "kexec" : "multiboot2", hv.load_base, hv.load_base + hv.size);
	selfcheck_start();
	host_tables_init(0);
	hv.bsp = &percpus[0].vcpu;
	if (kexec)
		restore_main();
	if (magic != MB2_BOOTLOADER_MAGIC)
		hv_halt("not started by a multiboot2 loader");

	const char *err;
	if (mb2_parse(phys_to_virt(mbi), mbi, &hv.boot, &err) < 0) {
		pr_err("fatal: %s", err);
		hv_halt("bad boot information");
	}
	memmap_sort(hv.boot.mmap, hv.boot.nr_mmap);
	for (unsigned i = 0; i < hv.boot.nr_mmap; i++)
		pr_info("memory: 0x%016lx-0x%016lx type %u", hv.boot.mmap[i].base,
			hv.boot.mmap[i].base + hv.boot.mmap[i].len, hv.boot.mmap[i].type);
	/* All of memory and the 64-bit BARs, beyond the boot stub's 4 GiB. */
	if (direct_map_machine())
		hv_halt("cannot map the machine's memory");
	/* The guest's view: the same map with odv-hv's region reserved. */
	for (unsigned i = 0; i < hv.boot.nr_mmap; i++)
		hv.guest_map[i] = hv.boot.mmap[i];
	int n = memmap_set(hv.guest_map, hv.boot.nr_mmap, MB2_MAX_MMAP, hv.load_base, hv.size, MEM_RESERVED);
	if (n < 0)
		hv_halt("memory map too fragmented");
	hv.nr_guest_map = (unsigned)n;

	vtd_test_if_asked(hv.boot.cmdline);     /* test-vtd: natively, before VMX; then stops */
	(void)vtd_probe();
	struct vcpu *v = hv.bsp;
	if (vmx_init_cpu(v))
		hv_halt("VMX unusable");
	unsigned cpus = smp_discover();
	hv.trap_icr = cpus > 1;
	if (vdev_setup(hv.boot.cmdline))
		pr_warn("continuing without virtual devices");
	/* Before the EPT: the remapping units' registers become holes in it. */
	if (vtd_protect())
		pr_warn("DMA isolation: absent: VT-d setup failed (devices the guest drives can write odv-hv's memory)");
	if (ept_setup(cpus > 1) || vmx_setup_vmcs(v))
		hv_halt("VMX setup failed");
	smp_start_aps();
	percpus[0].state = CPU_IN_VMX;
	int lb = linux_boot_prepare(v);
	if (lb < 0)
		hv_halt("cannot boot the Linux guest");
	if (lb == 0 && test_guest_prepare(v))
		hv_halt("no guest to run");
	pr_info("launching vCPU 0");
	serial_flush();     /* the guest may reprogram the UART */
	vmx_launch(v);
}
