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

struct hv hv;
extern char __hv_start[], __hv_end[];

uint64_t hv_virt_to_phys(const void *p)
{
	return (uint64_t)p - HV_VIRT_BASE + hv.load_base;
}

static void *ept_alloc(void *ctx, uint64_t *phys)
{
	(void)ctx;
	return page_alloc(phys);
}

static void *ept_ptr(void *ctx, uint64_t phys)
{
	(void)ctx;
	return phys_to_virt(phys);
}

/* odv-hv's EPT structures: pages from its pool, large pages as the CPU allows. */
static struct ept_env hv_ept_env(void)
{
	return (struct ept_env){ ept_alloc, ept_ptr, NULL, has_ept_1g(&hv.caps), has_ept_2m(&hv.caps) };
}

/* Identity EPT: RAM write-back, everything else uncached, odv-hv's region absent. */
int ept_setup(bool trap_lapic)
{
	enum { T_UC = 100, T_WB = 106, T_UC_RO = 110, T_NONE = 200 };
	struct mem_range r[MB2_MAX_MMAP * 2];
	uint64_t limit = 4 * SZ_1G;
	for (unsigned i = 0; i < hv.boot.nr_mmap; i++) {
		uint64_t e = hv.boot.mmap[i].base + hv.boot.mmap[i].len;
		if (e > limit)
			limit = ALIGN_UP(e, SZ_1G);
	}
	int n = memmap_set(r, 0, ARRAY_SIZE(r), 0, limit, T_UC);
	for (unsigned i = 0; i < hv.boot.nr_mmap && n > 0; i++) {
		const struct mem_range *m = &hv.boot.mmap[i];
		bool ram = m->type == MEM_RAM || m->type == MEM_ACPI || m->type == MEM_NVS;
		uint64_t b = ALIGN_DOWN(m->base, PAGE_SIZE), e = ALIGN_UP(m->base + m->len, PAGE_SIZE);
		if (ram) {
			/* RAM only in whole pages: a partial page stays UC. */
			b = ALIGN_UP(m->base, PAGE_SIZE);
			e = ALIGN_DOWN(m->base + m->len, PAGE_SIZE);
		}
		if (e > b)
			n = memmap_set(r, (unsigned)n, ARRAY_SIZE(r), b, e - b, ram ? T_WB : T_UC);
	}
	if (n > 0)
		n = memmap_set(r, (unsigned)n, ARRAY_SIZE(r), hv.load_base, hv.size, T_NONE);
	/* The BARs of odv-hv's devices, virtual and taken over: every access exits (vdev.c). */
	uint64_t hbase, hsize;
	for (unsigned i = 0; n > 0 && vdev_ept_hole(i, &hbase, &hsize); i++)
		n = memmap_set(r, (unsigned)n, ARRAY_SIZE(r), hbase, hsize, T_NONE);
	uint64_t lapic = lapic_base();
	if (trap_lapic && n > 0) {
		n = memmap_set(r, (unsigned)n, ARRAY_SIZE(r), lapic, PAGE_SIZE, T_UC_RO);
		lapic_trap_init(lapic);
	}
	if (n < 0) {
		pr_err("EPT: memory map too fragmented");
		return -1;
	}
	struct ept_range er[ARRAY_SIZE(r)];
	unsigned k = 0;
	for (int i = 0; i < n; i++)
		if (r[i].type != T_NONE)
			er[k++] = (struct ept_range){ r[i].base, r[i].base + r[i].len,
						      r[i].type == T_WB ? EPT_MT_WB :
						      r[i].type == T_UC_RO ? (EPT_MT_UC | EPT_MT_READ_ONLY) : EPT_MT_UC };
	struct ept_env env = hv_ept_env();
	uint64_t pml4;
	struct ept_stats st;
	if (ept_build_identity(&env, er, k, limit, &pml4, &st)) {
		pr_err("EPT: out of pages while building the identity map");
		return -1;
	}
	hv.eptp = ept_make_eptp(pml4);
	pr_info("EPT: identity map of 0-0x%lx: %u tables, %u x 1G, %u x 2M, %u x 4K; "
		"odv-hv region 0x%lx-0x%lx not mapped%s",
		limit, st.tables, st.leaves_1g, st.leaves_2m, st.leaves_4k,
		hv.load_base, hv.load_base + hv.size,
		trap_lapic ? "; local APIC page read-only (its stores are emulated)" : "");
	return 0;
}

/*
 * Make a guest-physical range trap in the live EPT (a virtual BAR the guest
 * moved). This CPU invalidates at once; every other CPU does so at its next
 * VM exit (ept_sync), before which it may still reach the old mapping of
 * that range (nothing of odv-hv's lies there: the range was checked).
 */
static volatile uint32_t ept_gen;

int ept_trap_range(uint64_t base, uint64_t size)
{
	struct ept_env env = hv_ept_env();
	if (ept_unmap_range(&env, hv.eptp & EPT_ADDR_MASK, base, size))
		return -1;
	__atomic_add_fetch(&ept_gen, 1, __ATOMIC_SEQ_CST);
	ept_sync();
	return 0;
}

void ept_sync(void)
{
	struct percpu *c = this_cpu();
	uint32_t g = __atomic_load_n(&ept_gen, __ATOMIC_SEQ_CST);
	if (c->ept_gen_seen != g) {
		invept(2, 0);                  /* all contexts */
		c->ept_gen_seen = g;
	}
}

void hv_main(uint32_t magic, uint64_t mbi, uint64_t load_base)
{
	hv.load_base = load_base;
	hv.size = (uint64_t)(__hv_end - __hv_start);
	serial_init(COM1);
	/* Whoever used the console before us may have left a line unfinished. */
	serial_write("\n", 1);
	log_init(LOG_INFO);
	bool kexec = magic == ODV_ENTRY_KEXEC_MAGIC;
	pr_info("odv-hv %s starting: %s entry, region 0x%lx-0x%lx", ODV_VERSION_STRING,
		kexec ? "kexec" : "multiboot2", hv.load_base, hv.load_base + hv.size);
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
	/* The guest's view: the same map with odv-hv's region reserved. */
	for (unsigned i = 0; i < hv.boot.nr_mmap; i++)
		hv.guest_map[i] = hv.boot.mmap[i];
	int n = memmap_set(hv.guest_map, hv.boot.nr_mmap, MB2_MAX_MMAP, hv.load_base, hv.size, MEM_RESERVED);
	if (n < 0)
		hv_halt("memory map too fragmented");
	hv.nr_guest_map = (unsigned)n;

	struct vcpu *v = hv.bsp;
	if (vmx_init_cpu(v))
		hv_halt("VMX unusable");
	unsigned cpus = smp_discover();
	hv.trap_icr = cpus > 1;
	if (vdev_setup(hv.boot.cmdline))
		pr_warn("continuing without virtual devices");
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
