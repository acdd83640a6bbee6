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

/*
 * The table at `level` on va's path from root, adding missing tables on the
 * way; NULL if one cannot be allocated or reached, or a large page covers va
 * above `level` (mapping into it would clobber it).
 */
static uint64_t *table_at(const struct pt_format *f, const struct pt_env *env, uint64_t root, int levels,
			  uint64_t va, int level_wanted)
{
	uint64_t *t = env->ptr(env->ctx, root & f->addr_mask);
	for (int level = levels; level > level_wanted && t; level--) {
		uint64_t *e = &t[index_at(va, level)];
		if (!(*e & f->present)) {
			uint64_t phys;
			if (!env->alloc(env->ctx, &phys))
				return NULL;
			*e = (phys & f->addr_mask) | f->table_flags;
		} else if ((level == 2 || level == 3) && (*e & f->large)) {
			return NULL;
		}
		t = env->ptr(env->ctx, *e & f->addr_mask);
	}
	return t;
}

int pt_map_4k(const struct pt_format *f, const struct pt_env *env, uint64_t root, int levels,
	      uint64_t va, uint64_t pa, uint64_t flags, bool replace)
{
	uint64_t *t = table_at(f, env, root, levels, va, 1);
	if (!t)
		return -1;
	uint64_t *leaf = &t[index_at(va, 1)];
	if (!replace && (*leaf & f->present) && (*leaf & f->addr_mask) != (pa & f->addr_mask))
		return -1;
	*leaf = (pa & f->addr_mask) | flags;
	return 0;
}

int pt_map_large(const struct pt_format *f, const struct pt_env *env, uint64_t root, int levels,
		 uint64_t va, uint64_t pa, int leaf_level, uint64_t flags)
{
	uint64_t size = 1ull << (12 + 9 * (leaf_level - 1));
	if ((leaf_level != 2 && leaf_level != 3) || ((va | pa) & (size - 1)))
		return -1;
	uint64_t *t = table_at(f, env, root, levels, va, leaf_level);
	if (!t)
		return -1;
	uint64_t *leaf = &t[index_at(va, leaf_level)];
	uint64_t want = (pa & f->addr_mask) | flags | f->large;
	if (*leaf & f->present)
		return *leaf == want ? 0 : -1;   /* the same page again is no change; anything else is */
	*leaf = want;
	return 0;
}

/* Counts the tables pt_map_identity adds, around the caller's allocator. */
struct counting { const struct pt_env *env; unsigned tables; };

static void *count_alloc(void *ctx, uint64_t *phys)
{
	struct counting *c = ctx;
	void *p = c->env->alloc(c->env->ctx, phys);
	if (p)
		c->tables++;
	return p;
}

static void *count_ptr(void *ctx, uint64_t phys)
{
	struct counting *c = ctx;
	return c->env->ptr(c->env->ctx, phys);
}

int pt_map_identity(const struct pt_format *f, const struct pt_env *env, uint64_t root, int levels,
		    uint64_t base, uint64_t end, bool allow_1g, uint64_t flags, struct pt_map_stats *st)
{
	struct counting c = { env, 0 };
	struct pt_env counted = { count_alloc, count_ptr, &c };
	int rc = 0;
	*st = (struct pt_map_stats){ 0 };
	if ((base | end) & (SZ_2M - 1) || end < base)
		return -1;
	for (uint64_t a = base; a < end && !rc;) {
		bool big = allow_1g && !(a & (SZ_1G - 1)) && end - a >= SZ_1G;
		rc = pt_map_large(f, &counted, root, levels, a, a, big ? 3 : 2, flags);
		if (big)
			st->leaves_1g++;
		else
			st->leaves_2m++;
		a += big ? SZ_1G : SZ_2M;
	}
	st->tables = c.tables;
	return rc;
}

unsigned pt_identity_tables_max(uint64_t base, uint64_t end, bool allow_1g)
{
	if (end <= base)
		return 0;
	uint64_t pdpts = (end - 1) / (512 * SZ_1G) - base / (512 * SZ_1G) + 1;
	uint64_t pds = allow_1g ? 2 : (end - 1) / SZ_1G - base / SZ_1G + 1;   /* 1G: only the unaligned ends */
	return (unsigned)(pdpts + pds);
}
