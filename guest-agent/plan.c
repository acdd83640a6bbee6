/* Where the image stream goes: the largest runs of RAM that the image does not restore into. Pure. */
#include "odv.h"

static void keep_largest(struct phys_run *out, int *n, int max, struct phys_run r)
{
	if (*n < max) {
		out[(*n)++] = r;
		return;
	}
	int smallest = 0;
	for (int i = 1; i < *n; i++)
		if (out[i].pages < out[smallest].pages)
			smallest = i;
	if (r.pages > out[smallest].pages)
		out[smallest] = r;
}

int plan_free_runs(const struct odv_handoff_mem *ram, int nr_ram, const uint64_t *used, uint64_t nr_used,
		   uint64_t excl_base, uint64_t excl_len, struct phys_run *out, int max)
{
	int n = 0;
	uint64_t u = 0;
	uint64_t ex0 = excl_base / 4096, ex1 = (excl_base + excl_len + 4095) / 4096;
	for (int i = 0; i < nr_ram; i++) {
		if (ram[i].type != ODV_MEM_RAM)
			continue;
		uint64_t p = (ram[i].base + 4095) / 4096, end = (ram[i].base + ram[i].len) / 4096;
		u = 0;                                 /* RAM ranges need not be in order */
		if (p < 256)
			p = 256;                       /* leave the first MiB alone (BIOS, trampolines) */
		while (p < end) {
			while (u < nr_used && used[u] < p)
				u++;
			/* next obstacle: a used page or the excluded region */
			uint64_t stop = end;
			if (u < nr_used && used[u] < stop)
				stop = used[u];
			if (p >= ex0 && p < ex1) {
				p = ex1;
				continue;
			}
			if (ex0 > p && ex0 < stop)
				stop = ex0;
			if (stop > p)
				keep_largest(out, &n, max, (struct phys_run){ p, stop - p });
			p = stop + (u < nr_used && used[u] == stop ? 1 : 0);
		}
	}
	return n;
}

int plan_stream_segments(struct phys_run *runs, int nr_runs, uint64_t pages,
			 struct odv_handoff_seg *segs, int max_segs)
{
	/* Largest first, so the stream takes as few kexec segments as possible. */
	for (int i = 1; i < nr_runs; i++)
		for (int j = i; j > 0 && runs[j - 1].pages < runs[j].pages; j--) {
			struct phys_run t = runs[j];
			runs[j] = runs[j - 1];
			runs[j - 1] = t;
		}
	int n = 0;
	for (int i = 0; i < nr_runs && pages && n < max_segs; i++) {
		uint64_t take = runs[i].pages < pages ? runs[i].pages : pages;
		segs[n++] = (struct odv_handoff_seg){ runs[i].pfn * 4096, take };
		pages -= take;
	}
	return pages ? -1 : n;
}

bool plan_region_is_ram(const struct odv_handoff_mem *mem, int n, uint64_t base, uint64_t size)
{
	/* Walk the region from its start, each step through one RAM entry that
	 * covers the current address (entries may be unsorted or adjacent). */
	uint64_t at = base, end = base + size;
	if (size == 0 || end < base)
		return false;
	while (at < end) {
		bool moved = false;
		for (int i = 0; i < n; i++) {
			if (mem[i].type != ODV_MEM_RAM)
				continue;
			uint64_t e = mem[i].base + mem[i].len;
			if (mem[i].base <= at && at < e) {
				at = e;
				moved = true;
			}
		}
		if (!moved)
			return false;
	}
	return true;
}
