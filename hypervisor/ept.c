/*
 * Build the guest's EPT: identity for everything the guest may touch, with
 * the largest pages the CPU allows wherever a page covers one uniform
 * range, down to 4 KiB at range edges. odv-hv's own region is simply a
 * hole (EPT_NOT_PRESENT): any guest access to it is an EPT violation.
 */
#include "ept.h"

/* Memory type of the uniform span [a, a+size), or -1 if it is not uniform. */
static int span_type(const struct ept_range *r, unsigned n, uint64_t a, uint64_t size)
{
	uint64_t end = a + size;
	for (unsigned i = 0; i < n; i++) {
		if (r[i].end <= a)
			continue;
		if (r[i].base >= end)
			break;
		/* First range touching the span: it must cover the whole span. */
		if (r[i].base <= a && r[i].end >= end)
			return r[i].memtype;
		return -1;
	}
	return EPT_NOT_PRESENT;   /* no range touches it */
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
			table[i] = a | EPT_RWX | ((uint64_t)t << EPT_MT_SHIFT) | (level > 1 ? EPT_LARGE : 0);
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
		table[i] = phys | EPT_RWX;
		if (fill(env, r, n, limit, sub, level - 1, a, st))
			return -1;
	}
	return 0;
}

int ept_build_identity(const struct ept_env *env, const struct ept_range *ranges, unsigned n,
		       uint64_t limit, uint64_t *pml4_phys, struct ept_stats *stats)
{
	struct ept_stats st = { 0 };
	limit = ALIGN_UP(limit, PAGE_SIZE);
	uint64_t *pml4 = env->alloc_page(env->ctx, pml4_phys);
	if (!pml4)
		return -1;
	st.tables = 1;
	int rc = fill(env, ranges, n, limit, pml4, 4, 0, &st);
	if (stats)
		*stats = st;
	return rc;
}

int ept_translate(const struct ept_env *env, uint64_t pml4_phys, uint64_t gpa,
		  uint64_t *hpa, uint8_t *memtype, uint64_t *perms)
{
	uint64_t table = pml4_phys;
	for (int level = 4; level >= 1; level--) {
		uint64_t *t = env->phys_to_ptr(env->ctx, table);
		unsigned idx = (gpa >> (12 + 9 * (level - 1))) & 511;
		uint64_t e = t[idx];
		if (!(e & EPT_RWX))
			return -1;
		if (level == 1 || (e & EPT_LARGE)) {
			uint64_t psize = 1ull << (12 + 9 * (level - 1));
			*hpa = (e & EPT_ADDR_MASK & ~(psize - 1)) | (gpa & (psize - 1));
			*memtype = (e >> EPT_MT_SHIFT) & 7;
			*perms = e & EPT_RWX;
			return 0;
		}
		table = e & EPT_ADDR_MASK;
	}
	return -1;
}
