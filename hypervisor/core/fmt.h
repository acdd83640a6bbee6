/* Minimal freestanding printf formatting (pure; shared with test guests and unit tests). */
#ifndef ODV_FMT_H
#define ODV_FMT_H
#include "types.h"

/*
 * Supports %% %c %s %d %i %u %x %X %p with flags '0' '-', width, and
 * length modifiers l, ll, z. Always NUL-terminates when size > 0;
 * returns the length the full output would have had (like vsnprintf).
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
