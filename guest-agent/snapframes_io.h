/* The snapshot's frames through /proc/kallsyms and /proc/kcore (snapframes_io.c). */
#ifndef ODV_SNAPFRAMES_IO_H
#define ODV_SNAPFRAMES_IO_H
#include "snapframes.h"

struct snapframes {
	int fd;                               /* /proc/kcore */
	struct kcore_seg seg[KCORE_MAX_SEGS];
	unsigned nseg;
	uint64_t copy_bm;                     /* its address, from /proc/kallsyms */
};

/* Before the freeze: find copy_bm and open /proc/kcore. 0, or -1 with why. */
int snapframes_open(struct snapframes *s, char *why, size_t wn);
void snapframes_close(struct snapframes *s);
/* After the snapshot: the frames of its first n data pages, in stream order.
 * Returns how many were found (n when all), or -1; why is set unless n. */
int64_t snapframes_list(struct snapframes *s, uint64_t *pfns, uint64_t n, uint64_t max_pfn, char *why, size_t wn);
/* Physical memory through the direct map. 0 or -1. */
int snapframes_read_phys(const struct snapframes *s, uint64_t pa, void *buf, size_t len);

#endif
