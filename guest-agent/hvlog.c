/* Reading odv-hv's log ring: the mark by hypercall, the lines through /dev/mem (hvlog.h). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "hv.h"
#include "hvlog.h"
#include "log_ring.h"
#include "odv_abi.h"

int hvlog_mark(int fd, struct hvlog_mark *m)
{
	if (hv_read(fd, ODV_MSR_LOG_PLACE + 0, &m->buf_phys) || hv_read(fd, ODV_MSR_LOG_PLACE + 1, &m->head_phys) ||
	    hv_read(fd, ODV_MSR_LOG_PLACE + 2, &m->size) || hv_read(fd, ODV_MSR_LOG_HEAD, &m->from))
		return -1;
	/* An odv-hv older than the log-place call reads 0 there. */
	return m->size && !(m->size & (m->size - 1)) && m->size <= (1u << 24) ? 0 : -1;
}

/* Map [phys, phys + len) of /dev/mem read-only; *base is what to munmap with *maplen. */
static const char *map_phys(int fd, uint64_t phys, size_t len, void **base, size_t *maplen)
{
	uint64_t start = phys & ~4095ull;
	*maplen = (size_t)((phys + len + 4095 - start) & ~4095ull);
	*base = mmap(NULL, *maplen, PROT_READ, MAP_SHARED, fd, (off_t)start);
	return *base == MAP_FAILED ? NULL : (const char *)*base + (phys - start);
}

int hvlog_print_since(const struct hvlog_mark *m, FILE *out, char *why, size_t wl)
{
	int fd = open("/dev/mem", O_RDONLY | O_SYNC | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, wl, "/dev/mem: %m");
		return -1;
	}
	void *hb, *rb;
	size_t hl, rl;
	const char *hp = map_phys(fd, m->head_phys, 8, &hb, &hl);
	const char *ring = hp ? map_phys(fd, m->buf_phys, (size_t)m->size, &rb, &rl) : NULL;
	close(fd);
	if (!ring) {
		snprintf(why, wl, "mapping odv-hv's log ring from /dev/mem: %m");
		if (hp)
			munmap(hb, hl);
		return -1;
	}
	/* odv-hv's own ring, read as odv-hv reads it: a whole ring's worth holds all it keeps. */
	struct log_ring r = { (char *)ring, (uint32_t)m->size, 0 };
	memcpy(&r.head, hp, 8);
	char *text = malloc((size_t)m->size);
	size_t n = text ? log_ring_read(&r, m->from, text, (size_t)m->size) : 0;
	munmap(hb, hl);
	munmap(rb, rl);
	if (!text) {
		snprintf(why, wl, "out of memory");
		return -1;
	}
	fwrite(text, 1, n, out);
	fflush(out);
	free(text);
	return 0;
}
