/*
 * A set of page frames anywhere in physical memory, for the restore: which
 * frames the image stream occupies, so that no image page is copied over
 * one. Sparse: one bit per frame in 4 KiB leaves (128 MiB of frames each),
 * found through a directory of 4 KiB pages (64 GiB each) under a fixed top
 * level (32 TiB in all). Only the leaves the stream touches take pages, from
 * an allocator callback: pure logic, unit-tested on the host.
 */
#ifndef ODV_FRAME_SET_H
#define ODV_FRAME_SET_H
#include "types.h"

#define FRAME_SET_TOP_ENTRIES 512
#define FRAME_SET_LIMIT_PFN   ((uint64_t)FRAME_SET_TOP_ENTRIES * 512 * 4096 * 8)   /* 32 TiB of frames */

struct frame_set {
	void *(*alloc)(void *ctx);        /* a zeroed 4 KiB page, or NULL */
	void *ctx;
	uint64_t **top[FRAME_SET_TOP_ENTRIES];
	unsigned pages;                   /* pages taken from alloc */
};

/* Add frames [pfn, pfn + n): 0, or -1 (beyond FRAME_SET_LIMIT_PFN, or out of pages; part may be added). */
int frame_set_add(struct frame_set *s, uint64_t pfn, uint64_t n);
bool frame_set_has(const struct frame_set *s, uint64_t pfn);

#endif
