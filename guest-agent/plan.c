/*
 * Where the image stream is, for odv-hv: the frames the agent read it into,
 * as runs, and the checks that odv-hv can use them. Pure.
 */
#include "plan.h"

uint64_t plan_stream_runs(const uint64_t *pfns, uint64_t n, struct odv_handoff_run *out, uint64_t max)
{
	uint64_t nr = 0, start = 0;
	for (uint64_t i = 1; i <= n; i++) {
		if (i < n && pfns[i] == pfns[i - 1] + 1)
			continue;   /* still consecutive: the run goes on */
		if (out && nr < max)
			out[nr] = (struct odv_handoff_run){ pfns[start] * 4096, i - start };
		nr++;
		start = i;
	}
	return nr;
}

/* The first index in the ascending list `a` whose value is >= v. */
static uint64_t lower_bound(const uint64_t *a, uint64_t n, uint64_t v)
{
	uint64_t lo = 0, hi = n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (a[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *plan_check_stream(const struct odv_handoff_run *runs, uint64_t nr, const uint64_t *image_pfns,
			      uint64_t ni, const struct odv_handoff_mem *mem, int nm, uint64_t excl_base,
			      uint64_t excl_len, uint64_t limit)
{
	for (uint64_t i = 1; i < ni; i++)
		if (image_pfns[i] <= image_pfns[i - 1])
			return "the image's frame list is not ascending";
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t a = runs[i].phys, len = runs[i].pages * 4096;
		if (!runs[i].pages || (a & 4095) || a >= limit || len > limit - a)
			return "a frame of the image buffer lies beyond the memory odv-hv can map";
		if (a < 0x100000)
			return "a frame of the image buffer lies in the first MiB, which odv-hv's start-up code uses";
		if (a < excl_base + excl_len && excl_base < a + len)
			return "a frame of the image buffer lies in the reserved region";
		if (!plan_region_is_ram(mem, nm, a, len))
			return "a frame of the image buffer is not RAM in the firmware memory map";
		uint64_t j = lower_bound(image_pfns, ni, a / 4096);
		if (j < ni && image_pfns[j] < (a + len) / 4096)
			return "a frame of the image buffer is one the image restores into";
	}
	return NULL;
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
