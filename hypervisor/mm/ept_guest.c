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
#include "mtrr.h"
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

/*
 * The MTRRs as the boot CPU holds them (msr_policy.c keeps every CPU's
 * equal to these): 0, 1 if the CPU has none, -1. A CPU without MTRRs types
 * memory by PAT alone, which an all-WB EPT reproduces (the guest's PAT
 * still applies under EPT).
 */
static int mtrr_read(struct mtrr_state *s)
{
	uint32_t a, b, c, d;
	*s = (struct mtrr_state){ .def_type = MTRRDEF_E | MTRR_WB, .maxphyaddr = 36 };
	cpuid(0x80000000u, 0, &a, &b, &c, &d);
	if (a >= 0x80000008u) {
		cpuid(0x80000008u, 0, &a, &b, &c, &d);
		s->maxphyaddr = a & 0xff;
	}
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & CPUID1_EDX_MTRR))
		return 1;
	if (rdmsr_safe(MSR_MTRRCAP, &s->cap) || rdmsr_safe(MSR_MTRR_DEFTYPE, &s->def_type))
		goto fault;
	int n = mtrr_nr_var(s);
	if (n < 0) {
		pr_err("EPT: the CPU has %u variable MTRRs, odv-hv handles %u", (unsigned)(s->cap & MTRRCAP_VCNT),
		       MTRR_MAX_VAR);
		return -1;
	}
	static const uint32_t fixed[MTRR_NR_FIXED] = { MSR_MTRR_FIX64K, MSR_MTRR_FIX16K_80, MSR_MTRR_FIX16K_A0,
		MSR_MTRR_FIX4K_C0, MSR_MTRR_FIX4K_C0 + 1, MSR_MTRR_FIX4K_C0 + 2, MSR_MTRR_FIX4K_C0 + 3,
		MSR_MTRR_FIX4K_C0 + 4, MSR_MTRR_FIX4K_C0 + 5, MSR_MTRR_FIX4K_C0 + 6, MSR_MTRR_FIX4K_C0 + 7 };
	for (unsigned i = 0; i < MTRR_NR_FIXED && (s->cap & MTRRCAP_FIX); i++)
		if (rdmsr_safe(fixed[i], &s->fixed[i]))
			goto fault;
	for (int i = 0; i < n; i++)
		if (rdmsr_safe(MSR_MTRR_PHYSBASE(i), &s->var[i].base) ||
		    rdmsr_safe(MSR_MTRR_PHYSMASK(i), &s->var[i].mask))
			goto fault;
	return 0;
fault:
	pr_err("EPT: reading the MTRRs faulted although CPUID reports them");
	return -1;
}

/*
 * Type the mapped ranges by the MTRRs: under EPT the CPU takes guest
 * accesses' memory type from the EPT leaf (combined with the guest's PAT)
 * and no longer from the MTRRs, so the leaf must say what the MTRRs would
 * have said natively. Ranges split where the type changes, which the EPT
 * builder needs: it takes a large page only over one type.
 */
static int ept_typed(const struct ept_range *in, unsigned n, uint64_t limit, struct ept_range *out, unsigned cap)
{
	static struct mtrr_state s;
	static struct mtrr_range mt[MTRR_MAX_RANGES];
	char line[200];
	int rc = mtrr_read(&s);
	if (rc < 0)
		return -1;
	if (rc) {
		pr_info("EPT: the CPU has no MTRRs: EPT all WB, the guest's PAT types memory");
	} else {
		mtrr_describe(&s, line, sizeof(line));
		pr_info("EPT: memory types from the %s", line);
	}
	int m = mtrr_ranges(&s, limit, mt, ARRAY_SIZE(mt));
	if (m < 0) {
		pr_err("EPT: the MTRRs cut memory into more than %u ranges of one type", MTRR_MAX_RANGES);
		return -1;
	}
	int k = mtrr_type_ept(mt, (unsigned)m, in, n, out, cap);
	if (k < 0)
		pr_err("EPT: more than %u ranges of one memory type and access", cap);
	return k;
}

/* Identity EPT: typed by the MTRRs, odv-hv's region and its devices' regions absent or read-only. */
int ept_setup(bool trap_lapic)
{
	enum { T_MAPPED = 100, T_RO = 110, T_NONE = 200 };
	struct mem_range r[MB2_MAX_MMAP * 2];
	/*
	 * As far as odv-hv's direct map: all of the memory map, every 64-bit BAR
	 * window and the VT-d registers, in whole GiB (direct_map.c). The e820
	 * map decides only how far the map goes; the MTRRs type all of it.
	 */
	uint64_t limit = direct_map_top();
	int n = memmap_set(r, 0, ARRAY_SIZE(r), 0, limit, T_MAPPED);
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
			       m->ept == REGION_EPT_READ_ONLY ? T_RO : T_NONE);
	}
	if (n < 0) {
		pr_err("EPT: memory map too fragmented, or no room for the local APIC's region");
		return -1;
	}
	struct ept_range in[ARRAY_SIZE(r)];
	unsigned nin = 0;
	for (int i = 0; i < n; i++)
		if (r[i].type != T_NONE)
			in[nin++] = (struct ept_range){ r[i].base, r[i].base + r[i].len,
							r[i].type == T_RO ? EPT_MT_READ_ONLY : 0 };
	/* Each MTRR edge inside a mapped range adds at most one range. */
	static struct ept_range er[ARRAY_SIZE(r) + MTRR_MAX_RANGES];
	int k = ept_typed(in, nin, limit, er, ARRAY_SIZE(er));
	if (k < 0)
		return -1;
	struct ept_env env = hv_ept_env();
	uint64_t pml4;
	struct ept_stats st;
	if (ept_build_identity(&env, er, (unsigned)k, limit, &pml4, &st)) {
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
