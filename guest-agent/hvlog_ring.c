/* The arithmetic of reading odv-hv's log ring from outside (hvlog.h); pure. */
#include <string.h>
#include "hvlog.h"

size_t hvlog_ring_copy(const char *ring, uint64_t size, uint64_t head, uint64_t from, char *out, size_t n)
{
	if (size == 0 || (size & (size - 1)) || from >= head)
		return 0;
	/* Only the newest `size` bytes are kept, and only the newest n fit. */
	if (head - from > size)
		from = head - size;
	if (head - from > n)
		from = head - n;
	size_t count = (size_t)(head - from);
	for (size_t done = 0; done < count;) {
		uint64_t at = (from + done) & (size - 1);
		size_t run = count - done;
		if (run > size - at)
			run = (size_t)(size - at);     /* up to the ring's end, then from its start */
		memcpy(out + done, ring + at, run);
		done += run;
	}
	return count;
}
