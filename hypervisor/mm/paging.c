/* The paging engine (paging.h). Pure logic, unit-tested on the host. */
#include "paging.h"

const struct pt_format pt_x86 = { PTE_P, PTE_PS, PTE_ADDR, PTE_P | PTE_RW };
/* EPT: present = any of R/W/X; a table entry grants all three (the leaf decides). */
const struct pt_format pt_ept = { 0x7, BIT(7), PTE_ADDR, 0x7 };
/* VT-d second level: present = read or write; a table entry grants both. */
const struct pt_format pt_vtd = { 0x3, BIT(7), PTE_ADDR, 0x3 };

static unsigned index_at(uint64_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & 511;
}

int pt_lookup(const struct pt_format *f, const struct pt_env *env, uint64_t root, int levels,
	      uint64_t va, struct pt_leaf *out)
{
	uint64_t table = root & f->addr_mask;
	for (int level = levels; level >= 1; level--) {
		const uint64_t *t = env->ptr(env->ctx, table);
		if (!t)
			return -1;
		uint64_t e = t[index_at(va, level)];
		if (!(e & f->present))
			return -1;
		if (level == 1 || ((level == 2 || level == 3) && (e & f->large))) {
			uint64_t mask = (1ull << (12 + 9 * (level - 1))) - 1;
			*out = (struct pt_leaf){ ((e & f->addr_mask) & ~mask) | (va & mask), e, level };
			return 0;
		}
		table = e & f->addr_mask;
	}
	return -1;
}

int pt_map_4k(const struct pt_format *f, const struct pt_env *env, uint64_t root, int levels,
	      uint64_t va, uint64_t pa, uint64_t flags, bool replace)
{
	uint64_t *t = env->ptr(env->ctx, root & f->addr_mask);
	for (int level = levels; level > 1 && t; level--) {
		uint64_t *e = &t[index_at(va, level)];
		if (!(*e & f->present)) {
			uint64_t phys;
			if (!env->alloc(env->ctx, &phys))
				return -1;
			*e = (phys & f->addr_mask) | f->table_flags;
		} else if ((level == 2 || level == 3) && (*e & f->large)) {
			return -1;          /* a large page covers va: mapping into it would clobber it */
		}
		t = env->ptr(env->ctx, *e & f->addr_mask);
	}
	if (!t)
		return -1;
	uint64_t *leaf = &t[index_at(va, 1)];
	if (!replace && (*leaf & f->present) && (*leaf & f->addr_mask) != (pa & f->addr_mask))
		return -1;
	*leaf = (pa & f->addr_mask) | flags;
	return 0;
}
