/* Where the image stream is, and whether odv-hv can use it (plan.c, pure). */
#ifndef ODV_PLAN_H
#define ODV_PLAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "odv_handoff.h"

/* ---- where the image stream is (plan.c), pure ---- */
/* Coalesce page frames, in stream order, into runs of consecutive frames.
 * Returns how many runs there are; writes at most max of them to out (NULL: count). */
uint64_t plan_stream_runs(const uint64_t *pfns, uint64_t n, struct odv_handoff_run *out, uint64_t max);
/* Why odv-hv could not use these runs (above `limit`, in the excluded region,
 * not RAM, or holding a frame the image restores into: image_pfns, ascending),
 * or NULL. */
const char *plan_check_stream(const struct odv_handoff_run *runs, uint64_t nr, const uint64_t *image_pfns,
			      uint64_t ni, const struct odv_handoff_mem *mem, int nm, uint64_t excl_base,
			      uint64_t excl_len, uint64_t limit);
/* Whether [base, base+size) lies wholly in RAM entries of the firmware map. */
bool plan_region_is_ram(const struct odv_handoff_mem *mem, int n, uint64_t base, uint64_t size);

#endif
