/*
 * EPT identity-map builder. Pure logic: pages come from an allocator
 * callback and are reached through a phys->pointer callback, so the same
 * code runs in odv-hv and in the host unit tests.
 */
#ifndef ODV_EPT_H
#define ODV_EPT_H
#include "types.h"

#define EPT_R        BIT(0)
#define EPT_W        BIT(1)
#define EPT_X        BIT(2)
#define EPT_RWX      (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT 3
#define EPT_LARGE    BIT(7)
#define EPT_ADDR_MASK 0x000ffffffffff000ull

enum ept_memtype { EPT_MT_UC = 0, EPT_MT_WB = 6, EPT_NOT_PRESENT = 0xff };
/* Or'ed into a range's memtype: the guest may read and execute, not write (a trapped MMIO page). */
#define EPT_MT_READ_ONLY 0x10

/* A sorted, non-overlapping list of ranges; addresses in no range are EPT_NOT_PRESENT. */
struct ept_range { uint64_t base, end; uint8_t memtype; };

struct ept_env {
	void *(*alloc_page)(void *ctx, uint64_t *phys);   /* zeroed 4 KiB page */
	void *(*phys_to_ptr)(void *ctx, uint64_t phys);
	void *ctx;
	bool allow_1g, allow_2m;
	/*
	 * The same identity builder makes VT-d second-level tables (iommu/vtd.c):
	 * levels 3 or 4 (0 means 4), and entries in VT-d's format (bit 0 read,
	 * bit 1 write, bit 7 a large page; no memory type, no execute bit).
	 */
	int levels;
	bool vtd;
};

struct ept_stats { unsigned tables, leaves_4k, leaves_2m, leaves_1g; };

/* Build an identity map of [0, limit) following `ranges`. Returns 0 and the PML4's phys, or -1 (out of pages). */
int ept_build_identity(const struct ept_env *env, const struct ept_range *ranges, unsigned n,
		       uint64_t limit, uint64_t *pml4_phys, struct ept_stats *stats);

/* Walk: returns 0 with the host-physical address and memory type, or -1 if not present. */
int ept_translate(const struct ept_env *env, uint64_t pml4_phys, uint64_t gpa,
		  uint64_t *hpa, uint8_t *memtype, uint64_t *perms);

/*
 * Make [base, base + size) (page aligned) an EPT hole in a live structure,
 * splitting large pages where the range cuts through them. 0, or -1 (out of
 * pages: the part done stays done, all of it holes). Invalidate afterwards.
 */
int ept_unmap_range(const struct ept_env *env, uint64_t pml4_phys, uint64_t base, uint64_t size);

/* EPTP for a 4-level, write-back-walk structure. */
static inline uint64_t ept_make_eptp(uint64_t pml4_phys) { return pml4_phys | (3u << 3) | EPT_MT_WB; }

#endif
