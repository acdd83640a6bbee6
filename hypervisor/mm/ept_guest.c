/*
 * The guest's EPT as odv-hv runs it: built once from the memory map and the
 * device regions, changed live only to trap a BAR the guest moved. (ept.c is
 * the pure table builder underneath.)
 */
#include "mm.h"
#include "arch.h"
#include "ept.h"
#include "hv.h"
#include "memmap.h"
#include "percpu.h"
#include "region.h"
#include "smp.h"

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
	return (struct ept_env){ ept_alloc, ept_ptr, NULL, has_ept_1g(&hv.caps), has_ept_2m(&hv.caps), 4, false };
}

/* Identity EPT: RAM write-back, everything else uncached, odv-hv's region absent. */
int ept_setup(bool trap_lapic)
{
	enum { T_UC = 100, T_WB = 106, T_UC_RO = 110, T_NONE = 200 };
	struct mem_range r[MB2_MAX_MMAP * 2];
	/*
	 * As far as odv-hv's direct map: all of the memory map, every 64-bit BAR
	 * window and the VT-d registers, in whole GiB (direct_map.c). What is not
	 * RAM is present uncached, as the low 4 GiB always were.
	 */
	uint64_t limit = direct_map_top();
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
	if (trap_lapic && lapic_trap_init(lapic_base()))
		n = -1;
	/*
	 * The regions of odv-hv's devices (platform/region.h): the BARs of its
	 * virtual and taken-over devices leave EPT (every access exits), the
	 * local APIC page on SMP is read-only (its stores exit).
	 */
	for (unsigned i = 0; i < hv_regions.nr_mmio && n > 0; i++) {
		const struct mmio_region *m = &hv_regions.mmio[i];
		n = memmap_set(r, (unsigned)n, ARRAY_SIZE(r), m->base, m->size,
			       m->ept == REGION_EPT_READ_ONLY ? T_UC_RO : T_NONE);
	}
	if (n < 0) {
		pr_err("EPT: memory map too fragmented, or no room for the local APIC's region");
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
		invept(INVEPT_ALL_CONTEXTS, 0);
		c->ept_gen_seen = g;
	}
}
