/*
 * The snapshot's frames, found through /proc/kallsyms and /proc/kcore
 * (snapframes.h says why and how). Both are root-only stock interfaces;
 * lockdown forbids them as it forbids kexec_load.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "snapframes_io.h"

static int find_symbol(const char *name, uint64_t *addr)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	int rc = -1;
	while (getline(&line, &cap, f) > 0)
		if (kallsyms_line(line, name, addr)) {
			rc = 0;
			break;
		}
	free(line);
	fclose(f);
	return rc;
}

int snapframes_open(struct snapframes *s, char *why, size_t wn)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (find_symbol("copy_bm", &s->copy_bm)) {
		snprintf(why, wn, "the kernel's copy bitmap is not in /proc/kallsyms (needs CONFIG_KALLSYMS_ALL, root)");
		return -1;
	}
	s->fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		snprintf(why, wn, "cannot open /proc/kcore: %s%s", strerror(errno),
			 errno == EPERM ? " (kernel lockdown)" : "");
		return -1;
	}
	static uint8_t head[64 << 10];
	ssize_t got = pread(s->fd, head, sizeof(head), 0);
	int n = got > 0 ? kcore_parse(head, (size_t)got, s->seg, KCORE_MAX_SEGS) : -1;
	if (n <= 0) {
		snprintf(why, wn, "/proc/kcore's headers cannot be parsed");
		snapframes_close(s);
		return -1;
	}
	s->nseg = (unsigned)n;
	return 0;
}

void snapframes_close(struct snapframes *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int read_at(int fd, int64_t off, void *buf, size_t len)
{
	if (off < 0)
		return -1;
	for (size_t done = 0; done < len;) {
		ssize_t n = pread(fd, (uint8_t *)buf + done, len - done, off + (int64_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static int read_virt(void *ctx, uint64_t va, void *buf, size_t len)
{
	const struct snapframes *s = ctx;
	return read_at(s->fd, kcore_offset_virt(s->seg, s->nseg, va, len), buf, len);
}

int snapframes_read_phys(const struct snapframes *s, uint64_t pa, void *buf, size_t len)
{
	return read_at(s->fd, kcore_offset_phys(s->seg, s->nseg, pa, len), buf, len);
}

int64_t snapframes_list(struct snapframes *s, uint64_t *pfns, uint64_t n, uint64_t max_pfn, char *why, size_t wn)
{
	const char *err = NULL;
	int64_t got = snapframes_walk(read_virt, s, s->copy_bm, pfns, n, max_pfn, &err);
	if (got < 0)
		snprintf(why, wn, "%s", err);
	else if ((uint64_t)got < n)
		snprintf(why, wn, "the copy bitmap lists %lld frames, the image has %llu data pages", (long long)got,
			 (unsigned long long)n);
	return got;
}
