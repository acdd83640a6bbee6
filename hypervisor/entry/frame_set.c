/* The sparse frame set (frame_set.h). */
#include "frame_set.h"

#define LEAF_FRAMES (4096ull * 8)      /* one bit per frame in a 4 KiB leaf */

/* The leaf holding pfn's bit, made if make and absent; NULL if absent (or out of pages). */
static uint64_t *leaf_of(struct frame_set *s, uint64_t pfn, bool make)
{
	uint64_t leaf = pfn / LEAF_FRAMES;
	uint64_t **dir = s->top[leaf / 512];
	if (!dir) {
		if (!make || !(dir = s->alloc(s->ctx)))
			return NULL;
		s->pages++;
		s->top[leaf / 512] = dir;
	}
	uint64_t *l = dir[leaf % 512];
	if (!l && make && (l = s->alloc(s->ctx))) {
		s->pages++;
		dir[leaf % 512] = l;
	}
	return l;
}

int frame_set_add(struct frame_set *s, uint64_t pfn, uint64_t n)
{
	if (pfn >= FRAME_SET_LIMIT_PFN || n > FRAME_SET_LIMIT_PFN - pfn)
		return -1;
	while (n) {
		uint64_t *l = leaf_of(s, pfn, true);
		if (!l)
			return -1;
		/* The rest of this leaf, a bit at a time but a word at a time where whole words are covered. */
		uint64_t in_leaf = LEAF_FRAMES - pfn % LEAF_FRAMES, k = n < in_leaf ? n : in_leaf;
		for (uint64_t f = pfn % LEAF_FRAMES, e = f + k; f < e;) {
			if (f % 64 == 0 && e - f >= 64) {
				l[f / 64] = ~0ull;
				f += 64;
			} else {
				l[f / 64] |= 1ull << (f % 64);
				f++;
			}
		}
		pfn += k;
		n -= k;
	}
	return 0;
}

bool frame_set_has(const struct frame_set *s, uint64_t pfn)
{
	if (pfn >= FRAME_SET_LIMIT_PFN)
		return false;
	uint64_t leaf = pfn / LEAF_FRAMES;
	uint64_t **dir = s->top[leaf / 512];
	const uint64_t *l = dir ? dir[leaf % 512] : NULL;
	return l && (l[(pfn % LEAF_FRAMES) / 64] >> (pfn % 64) & 1);
}
