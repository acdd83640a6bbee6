/*
 * Build the guest's EPT: identity for everything the guest may touch, with
 * the largest pages the CPU allows wherever a page covers one uniform
 * range, down to 4 KiB at range edges. odv-hv's own region is simply a
 * hole (EPT_NOT_PRESENT): any guest access to it is an EPT violation.
 * VT-d's second-level tables have the same shape (radix, 512 entries, R/W
 * in bits 0-1, large pages by bit 7), so the IOMMU's identity map of RAM is
 * built here too (env->vtd), with the same hole.
 */
#include "ept.h"
#include "paging.h"

/*
 * Memory type of [a, a+size) if it is uniform, else -1. Adjacent ranges of
 * the same type count as one, and addresses in no range are
 * EPT_NOT_PRESENT, so a span is uniform when every part of it agrees.
 */
static int span_type(const struct ept_range *r, unsigned n, uint64_t a, uint64_t size)
{
	uint64_t end = a + size, pos = a;
	int t = -2;   /* nothing seen yet */
	for (unsigned i = 0; i < n; i++) {
		if (r[i].end <= pos)
			continue;
		if (r[i].base >= end)
			break;
		if (r[i].base > pos) {            /* a hole before this range */
			if (t != -2 && t != EPT_NOT_PRESENT)
				return -1;
			t = EPT_NOT_PRESENT;
		}
		if (t != -2 && t != r[i].memtype)
			return -1;
		t = r[i].memtype;
		pos = r[i].end;
		if (pos >= end)
			return t;
	}
	if (t != -2 && t != EPT_NOT_PRESENT)       /* a hole at the end */
		return -1;
	return EPT_NOT_PRESENT;
}

static int fill(const struct ept_env *env, const struct ept_range *r, unsigned n, uint64_t limit,
		uint64_t *table, int level, uint64_t base, struct ept_stats *st)
{
	/* level 4 = PML4 (512 GiB per entry) ... level 1 = PT (4 KiB) */
	uint64_t esize = 1ull << (12 + 9 * (level - 1));
	for (unsigned i = 0; i < 512; i++) {
		uint64_t a = base + i * esize;
		if (a >= limit)
			break;
		bool leaf_ok = level == 1 || (level == 2 && env->allow_2m) || (level == 3 && env->allow_1g);
		int t = (a + esize <= limit) ? span_type(r, n, a, esize) : -1;
		if (t == EPT_NOT_PRESENT)
			continue;
		if (t >= 0 && leaf_ok) {
			uint64_t perms = (t & EPT_MT_READ_ONLY) ? (EPT_R | EPT_X) : EPT_RWX;
			if (env->vtd)   /* VT-d second level: read and write, no type */
				table[i] = a | (perms & (EPT_R | EPT_W)) | (level > 1 ? EPT_LARGE : 0);
			else
				table[i] = a | perms | ((uint64_t)(t & 7) << EPT_MT_SHIFT) | (level > 1 ? EPT_LARGE : 0);
			if (level == 1) st->leaves_4k++;
			else if (level == 2) st->leaves_2m++;
			else st->leaves_1g++;
			continue;
		}
		if (level == 1)
			continue;   /* a 4 KiB page straddling limit cannot happen: limit is page aligned */
		uint64_t phys;
		uint64_t *sub = env->alloc_page(env->ctx, &phys);
		if (!sub)
			return -1;
		st->tables++;
		table[i] = phys | (env->vtd ? (EPT_R | EPT_W) : EPT_RWX);
		if (fill(env, r, n, limit, sub, level - 1, a, st))
			return -1;
	}
	return 0;
}

int ept_build_identity(const struct ept_env *env, const struct ept_range *ranges, unsigned n,
		       uint64_t limit, uint64_t *pml4_phys, struct ept_stats *stats)
{
	struct ept_stats st = { 0 };
	int levels = env->levels ? env->levels : 4;
	limit = ALIGN_UP(limit, PAGE_SIZE);
	if (limit > 1ull << (12 + 9 * levels))
		return -1;                      /* beyond what the tables can translate */
	uint64_t *pml4 = env->alloc_page(env->ctx, pml4_phys);
	if (!pml4)
		return -1;
	st.tables = 1;
	int rc = fill(env, ranges, n, limit, pml4, levels, 0, &st);
	if (stats)
		*stats = st;
	return rc;
}

int ept_translate(const struct ept_env *env, uint64_t pml4_phys, uint64_t gpa,
		  uint64_t *hpa, uint8_t *memtype, uint64_t *perms)
{
	struct pt_env pe = { NULL, env->phys_to_ptr, env->ctx };
	struct pt_leaf leaf;
	if (pt_lookup(&pt_ept, &pe, pml4_phys, 4, gpa, &leaf))
		return -1;
	*hpa = leaf.pa;
	*memtype = (leaf.entry >> EPT_MT_SHIFT) & 7;
	*perms = leaf.entry & EPT_RWX;
	return 0;
}

/*
 * Make [base, base + size) not present, splitting larger leaves on the way
 * (the split table repeats the leaf's translation and attributes, so nothing
 * else changes). Page aligned. The caller invalidates cached translations.
 */
static int unmap(const struct ept_env *env, uint64_t *table, int level, uint64_t tbase,
		 uint64_t base, uint64_t end)
{
	uint64_t esize = 1ull << (12 + 9 * (level - 1));
	for (unsigned i = 0; i < 512; i++) {
		uint64_t a = tbase + i * esize;
		if (a + esize <= base || a >= end)
			continue;
		uint64_t e = table[i];
		if (!(e & EPT_RWX))
			continue;                                  /* already a hole */
		if (a >= base && a + esize <= end) {
			table[i] = 0;                              /* wholly inside: drop it */
			continue;
		}
		if (level == 1)
			continue;                                  /* cannot happen: page aligned */
		uint64_t *sub;
		if (e & EPT_LARGE) {
			uint64_t phys;
			sub = env->alloc_page(env->ctx, &phys);
			if (!sub)
				return -1;
			uint64_t ssize = esize / 512, attrs = e & ~EPT_ADDR_MASK & ~EPT_LARGE;
			for (unsigned k = 0; k < 512; k++)
				sub[k] = ((e & EPT_ADDR_MASK) + k * ssize) | attrs | (level - 1 > 1 ? EPT_LARGE : 0);
			table[i] = phys | EPT_RWX;
		} else {
			sub = env->phys_to_ptr(env->ctx, e & EPT_ADDR_MASK);
		}
		if (unmap(env, sub, level - 1, a, base, end))
			return -1;
	}
	return 0;
}

int ept_unmap_range(const struct ept_env *env, uint64_t pml4_phys, uint64_t base, uint64_t size)
{
	if ((base | size) & (PAGE_SIZE - 1) || base + size < base)
		return -1;
	return unmap(env, env->phys_to_ptr(env->ctx, pml4_phys), 4, 0, base, base + size);
}
