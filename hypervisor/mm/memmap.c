#include "memmap.h"

void memmap_sort(struct mem_range *r, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		struct mem_range x = r[i];
		unsigned j = i;
		for (; j > 0 && r[j - 1].base > x.base; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
}

int memmap_set(struct mem_range *r, unsigned n, unsigned cap, uint64_t base, uint64_t len, uint32_t type)
{
	struct mem_range out[MB2_MAX_MMAP * 2];
	unsigned k = 0;
	uint64_t end = base + len;
	if (cap > ARRAY_SIZE(out))
		cap = ARRAY_SIZE(out);
	for (unsigned i = 0; i < n; i++) {
		uint64_t b = r[i].base, e = r[i].base + r[i].len;
		if (e <= base || b >= end) {       /* untouched */
			if (k >= cap) return -1;
			out[k++] = r[i];
			continue;
		}
		if (b < base) {                    /* part before */
			if (k >= cap) return -1;
			out[k++] = (struct mem_range){ b, base - b, r[i].type };
		}
		if (e > end) {                     /* part after */
			if (k >= cap) return -1;
			out[k++] = (struct mem_range){ end, e - end, r[i].type };
		}
	}
	if (k >= cap)
		return -1;
	out[k++] = (struct mem_range){ base, len, type };
	memmap_sort(out, k);
	for (unsigned i = 0; i < k; i++)
		r[i] = out[i];
	return (int)k;
}

uint64_t memmap_top(const struct mem_range *r, unsigned n, uint32_t type)
{
	uint64_t top = 0;
	for (unsigned i = 0; i < n; i++)
		if (r[i].type == type && r[i].base + r[i].len > top)
			top = r[i].base + r[i].len;
	return top;
}

bool memmap_covers(const struct mem_range *r, unsigned n, uint64_t base, uint64_t len, uint32_t type)
{
	/* Walk forward from base, hopping across adjacent ranges of the type. */
	uint64_t pos = base, end = base + len;
	if (end < base)
		return false;   /* wraps past 2^64: no range can cover it */
	bool progress = true;
	while (pos < end && progress) {
		progress = false;
		for (unsigned i = 0; i < n; i++) {
			if (r[i].type == type && r[i].base <= pos && pos < r[i].base + r[i].len) {
				pos = r[i].base + r[i].len;
				progress = true;
			}
		}
	}
	return pos >= end;
}
