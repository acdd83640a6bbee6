/* Pure part of the log: line formatting and the ring. Unit-tested on the host. */
#include "log.h"
#include "fmt.h"

static const char *const level_names[] = { "error", "warn", "info", "debug" };

const char *log_level_name(enum log_level l)
{
	return (unsigned)l < ARRAY_SIZE(level_names) ? level_names[l] : "?";
}

size_t log_format_line(char *buf, size_t size, enum log_level l, const char *fmt, va_list ap)
{
	if (size < 16)
		return 0;
	int p = fmt_snprintf(buf, size, "odv-hv[%s] ", log_level_name(l));
	int m = fmt_vsnprintf(buf + p, size - (size_t)p, fmt, ap);
	size_t len = (size_t)p + (size_t)m;
	if (len + 1 >= size) {
		/* Truncated: mark it so nobody mistakes a cut line for a whole one. */
		len = size - 1;
		buf[len - 4] = '.';
		buf[len - 3] = '.';
		buf[len - 2] = '.';
		buf[len - 1] = '\n';
		buf[len] = '\0';
		return len;
	}
	/* Exactly one newline at the end. */
	while (len > (size_t)p && buf[len - 1] == '\n')
		len--;
	buf[len++] = '\n';
	buf[len] = '\0';
	return len;
}

void log_ring_write(struct log_ring *r, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		r->buf[(r->head + i) & (r->size - 1)] = s[i];
	r->head += n;
}

size_t log_ring_read(const struct log_ring *r, uint64_t from, char *out, size_t n)
{
	uint64_t oldest = r->head > r->size ? r->head - r->size : 0;
	if (from < oldest)
		from = oldest;
	size_t k = 0;
	for (; from < r->head && k < n; from++, k++)
		out[k] = r->buf[from & (r->size - 1)];
	return k;
}
