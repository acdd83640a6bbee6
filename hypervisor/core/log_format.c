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
	/* Room for the longest prefix and the truncation mark, always. */
	if (size < 32)
		return 0;
	char msg[512];
	int m = fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t mlen = (size_t)m < sizeof(msg) ? (size_t)m : sizeof(msg) - 1;
	bool complete = (size_t)m < sizeof(msg);
	/* Exactly one newline at the end: drop the message's own trailing ones. */
	while (complete && mlen && msg[mlen - 1] == '\n')
		mlen--;
	int p = fmt_snprintf(buf, size, "odv-hv[%s] ", log_level_name(l));
	size_t len = (size_t)p;
	if (complete && len + mlen + 1 < size) {
		for (size_t i = 0; i < mlen; i++)
			buf[len++] = msg[i];
		buf[len++] = '\n';
		buf[len] = '\0';
		return len;
	}
	/* Truncated: keep what fits and mark it, so nobody mistakes a cut line for a whole one. */
	size_t keep = size - 1 - 4 - len;
	if (keep > mlen)
		keep = mlen;
	for (size_t i = 0; i < keep; i++)
		buf[len++] = msg[i];
	buf[len++] = '.';
	buf[len++] = '.';
	buf[len++] = '.';
	buf[len++] = '\n';
	buf[len] = '\0';
	return len;
}
