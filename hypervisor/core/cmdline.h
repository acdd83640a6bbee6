/* odv-hv's command line ("disk=ata0-slave nic=00:02.0"), parsed. Pure logic, unit-tested. */
#ifndef ODV_CMDLINE_H
#define ODV_CMDLINE_H
#include "types.h"

/* The value of option `key` (e.g. "disk="): a pointer into cmdline, ending at a space or NUL; or NULL. */
const char *cmdline_opt(const char *cmdline, const char *key);
/* Is the value at v exactly the word w (followed by a space or the end)? */
bool cmdline_word_is(const char *v, const char *w);
/* A decimal word at v (from cmdline_opt) no larger than max: 0 and *out, or -1 (absent, not a number, too large). */
int cmdline_uint(const char *v, unsigned max, unsigned *out);
/* "BB:DD.F" or "0000:BB:DD.F" (followed by a space or the end) -> bus << 8 | dev << 3 | fn; -1 if malformed. */
int cmdline_bdf(const char *v);

#endif
