/* Physical memory ranges: sorted lists, carving, type lookup. Pure logic. */
#ifndef ODV_MEMMAP_H
#define ODV_MEMMAP_H
#include "mb2.h"

/* Sort by base (insertion sort: the lists are short). */
void memmap_sort(struct mem_range *r, unsigned n);
/*
 * Mark [base, base+len) as `type` in the list, splitting ranges it
 * overlaps; returns the new count (at most `cap`; -1 if it would not fit).
 */
int memmap_set(struct mem_range *r, unsigned n, unsigned cap, uint64_t base, uint64_t len, uint32_t type);
/* End of the highest range of `type`, 0 if none. */
uint64_t memmap_top(const struct mem_range *r, unsigned n, uint32_t type);
/* Is [base, base+len) fully inside ranges of `type`? */
bool memmap_covers(const struct mem_range *r, unsigned n, uint64_t base, uint64_t len, uint32_t type);

#endif
