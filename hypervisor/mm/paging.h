/*
 * The one paging engine: walks and 4 KiB mappings in 4- or 5-level radix
 * tables of 512 8-byte entries. x86 page tables (odv-hv's own, the guest's,
 * the devirtualize maps) and EPT differ only in how an entry says "present",
 * "large page" and where the address is; a struct pt_format says that.
 * Pure logic: tables are reached and allocated through callbacks, so the
 * same code runs in odv-hv and in the host unit tests.
 */
#ifndef ODV_PAGING_H
#define ODV_PAGING_H
#include "types.h"

struct pt_format {
	uint64_t present;        /* the entry is present if any of these bits is set */
	uint64_t large;          /* at levels 2 and 3: the entry maps a 2 MiB / 1 GiB page */
	uint64_t addr_mask;
	uint64_t table_flags;    /* flags of an entry pointing to a new table */
};

/* x86 4-level/5-level paging (SDM vol. 3, 4.5) and EPT (29.3.2). */
#define PTE_P     BIT(0)
#define PTE_RW    BIT(1)
#define PTE_PS    BIT(7)
#define PTE_ADDR  0x000ffffffffff000ull
extern const struct pt_format pt_x86;
extern const struct pt_format pt_ept;
extern const struct pt_format pt_vtd;      /* VT-d second-level tables (spec 9.8) */

struct pt_env {
	void *(*alloc)(void *ctx, uint64_t *phys);    /* a zeroed 4 KiB table, or NULL */
	void *(*ptr)(void *ctx, uint64_t phys);       /* a table by its address, or NULL if unreachable */
	void *ctx;
};

/* What a walk found: the translation, the leaf entry and its level (1 = 4 KiB). */
struct pt_leaf { uint64_t pa, entry; int level; };

/* Walk va from the table at root; 0 with *out, or -1 (not present, or a table unreachable). */
int pt_lookup(const struct pt_format *f, const struct pt_env *env, uint64_t root, int levels,
	      uint64_t va, struct pt_leaf *out);

/*
 * Map the 4 KiB page va -> pa with leaf flags, adding tables as needed. -1
 * if a large page covers va, a table cannot be allocated or reached, or
 * (unless replace) another page is mapped at va already.
 */
int pt_map_4k(const struct pt_format *f, const struct pt_env *env, uint64_t root, int levels,
	      uint64_t va, uint64_t pa, uint64_t flags, bool replace);

/*
 * Map the large page va -> pa at leaf_level (2: 2 MiB, 3: 1 GiB; both
 * aligned to it), adding tables as needed. The same page mapped already is
 * no change; -1 if anything else is there (a table, another page, a larger
 * page), a table cannot be allocated or reached, or the arguments are off.
 */
int pt_map_large(const struct pt_format *f, const struct pt_env *env, uint64_t root, int levels,
		 uint64_t va, uint64_t pa, int leaf_level, uint64_t flags);

struct pt_map_stats { unsigned tables, leaves_2m, leaves_1g; };

/*
 * Identity-map [base, end) (2 MiB aligned) in large pages: 1 GiB ones
 * wherever allow_1g and a whole aligned GiB lies inside, 2 MiB ones
 * elsewhere. *st counts the leaves written and the tables added. 0, or -1
 * as pt_map_large (what was mapped before the failure stays mapped).
 */
int pt_map_identity(const struct pt_format *f, const struct pt_env *env, uint64_t root, int levels,
		    uint64_t base, uint64_t end, bool allow_1g, uint64_t flags, struct pt_map_stats *st);

/* At most how many tables pt_map_identity adds for [base, end) under an existing root. */
unsigned pt_identity_tables_max(uint64_t base, uint64_t end, bool allow_1g);

#endif
