/*
 * Where the hibernation snapshot keeps the image (docs/ARCHITECTURE.md,
 * "Reading the image straight from RAM").
 *
 * SNAPSHOT_CREATE_IMAGE copies every page it saves into a frame that was
 * free at that instant, and keeps those frames allocated, untouched, until
 * the snapshot is released, also across reboot(KEXEC). The kernel's copy
 * bitmap (`copy_bm` in kernel/power/snapshot.c) lists them: data page i of
 * the image stream is the i-th set bit, zones and leaves walked in list
 * order. The agent reads that bitmap through /proc/kcore (the address of
 * `copy_bm` from /proc/kallsyms), so odv-hv can take each image page from
 * its frame: no agent buffer, no kexec copy of the image. Every page is
 * then compared byte for byte with what /dev/snapshot returns for it, so a
 * kernel whose layout differs is caught before the point of no return.
 *
 * The parsers and the walk are pure (a reader callback reaches kernel
 * memory); snapframes_io.c does the I/O.
 */
#ifndef ODV_SNAPFRAMES_H
#define ODV_SNAPFRAMES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A PT_LOAD segment of /proc/kcore: kernel virtual range, its physical
 * address (~0 when it has none) and where its bytes are in the file. */
struct kcore_seg { uint64_t vaddr, paddr, size, offset; };

#define KCORE_MAX_SEGS 256

/* Parse the ELF header and program headers of /proc/kcore, given its first
 * `len` bytes; write the PT_LOAD segments. Their count, or -1 (not a 64-bit
 * little-endian x86-64 core file, headers beyond `len`, too many segments). */
int kcore_parse(const void *head, size_t len, struct kcore_seg *out, unsigned max);

/* The file offset of [va, va+len) when one segment holds all of it, else -1. */
int64_t kcore_offset_virt(const struct kcore_seg *s, unsigned n, uint64_t va, uint64_t len);
/* The same for physical memory, through the kernel's direct map (a segment
 * with a physical address below the kernel-text mapping). */
int64_t kcore_offset_phys(const struct kcore_seg *s, unsigned n, uint64_t pa, uint64_t len);

/* One line of /proc/kallsyms: "ADDR TYPE NAME [module]". True when it names
 * `name` (not a module's symbol), with a non-zero address (zeros: hidden). */
bool kallsyms_line(const char *line, const char *name, uint64_t *addr);

/* Reads `len` bytes of kernel memory at virtual address `va`: 0 or -1. */
typedef int (*kread_fn)(void *ctx, uint64_t va, void *buf, size_t len);

/*
 * Walk the kernel's struct memory_bitmap at `bm_va` the way
 * memory_bm_next_pfn() does and write its first `max` set PFNs, in that
 * order, to pfns. Returns how many it wrote (fewer than max: the bitmap has
 * fewer bits set), or -1 with *err (unreadable, or not shaped like a
 * bitmap: a loop, a zone out of order, a PFN at or above max_pfn).
 */
int64_t snapframes_walk(kread_fn rd, void *ctx, uint64_t bm_va, uint64_t *pfns, uint64_t max,
			uint64_t max_pfn, const char **err);

#endif
