/* odv-hv's command line (cmdline.h). Pure logic, unit-tested on the host. */
#include "cmdline.h"

const char *cmdline_opt(const char *cmdline, const char *key)
{
	for (const char *p = cmdline; *p; p++) {
		if (p != cmdline && p[-1] != ' ')
			continue;
		unsigned i = 0;
		while (key[i] && p[i] == key[i])
			i++;
		if (!key[i])
			return p + i;
	}
	return NULL;
}

bool cmdline_word_is(const char *v, const char *w)
{
	unsigned i = 0;
	while (w[i] && v[i] == w[i])
		i++;
	return !w[i] && (v[i] == ' ' || !v[i]);
}

int cmdline_uint(const char *v, unsigned max, unsigned *out)
{
	unsigned n = 0, i = 0;
	for (; v && v[i] >= '0' && v[i] <= '9'; i++) {
		n = n * 10 + (unsigned)(v[i] - '0');
		if (n > max)
			return -1;
	}
	if (!i || (v[i] && v[i] != ' '))
		return -1;
	*out = n;
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int cmdline_bdf(const char *v)
{
	/* Each test reads a character only after the ones before it matched, so none reads past the NUL. */
	if (hexval(v[0]) >= 0 && hexval(v[1]) >= 0 && hexval(v[2]) >= 0 && hexval(v[3]) >= 0 && v[4] == ':')
		v += 5;                        /* PCI segment 0000 */
	int b1 = hexval(v[0]), b0 = b1 < 0 ? -1 : hexval(v[1]);
	if (b1 < 0 || b0 < 0 || v[2] != ':')
		return -1;
	int d1 = hexval(v[3]), d0 = d1 < 0 ? -1 : hexval(v[4]);
	if (d1 < 0 || d0 < 0 || v[5] != '.')
		return -1;
	int f = hexval(v[6]);
	if (f < 0 || f > 7 || (v[7] && v[7] != ' '))
		return -1;
	unsigned dev = (unsigned)(d1 * 16 + d0);
	if (dev > 31)
		return -1;
	return (b1 * 16 + b0) << 8 | (int)dev << 3 | f;
}
