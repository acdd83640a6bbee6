/* odv-hv's log ring (log_ring.h). Pure; built into odv-hv, the agent and the unit tests. */
#include "log_ring.h"

void log_ring_write(struct log_ring *r, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		r->buf[(r->head + i) & (r->size - 1)] = s[i];
	r->head += n;
}

uint64_t log_ring_oldest(const struct log_ring *r)
{
	return r->head > r->size ? r->head - r->size : 0;
}

size_t log_ring_read(const struct log_ring *r, uint64_t from, char *out, size_t n)
{
	uint64_t oldest = log_ring_oldest(r);
	if (from < oldest)
		from = oldest;
	size_t k = 0;
	for (; from < r->head && k < n; from++, k++)
		out[k] = r->buf[from & (r->size - 1)];
	return k;
}
