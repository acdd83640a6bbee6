/* Where the snapshot keeps the image: kcore's headers, kallsyms, the copy bitmap. Pure (snapframes.h). */
#include <string.h>
#include <stdlib.h>
#include "le.h"
#include "snapframes.h"

#define PT_LOAD 1
#define EM_X86_64 62
/* Kernel text and modules are mapped from here up; the direct map lies below. */
#define KERNEL_TEXT_VA 0xffffffff80000000ull

int kcore_parse(const void *head, size_t len, struct kcore_seg *out, unsigned max)
{
	const uint8_t *h = head;
	if (len < 64 || memcmp(h, "\177ELF", 4) || h[4] != 2 /* 64-bit */ || h[5] != 1 /* LE */ ||
	    le16(h + 18) != EM_X86_64)
		return -1;
	uint64_t phoff = le64(h + 32);
	unsigned phentsize = le16(h + 54), phnum = le16(h + 56);
	if (phentsize < 56 || phoff > len || (uint64_t)phnum * phentsize > len - phoff)
		return -1;
	unsigned n = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *p = h + phoff + (uint64_t)i * phentsize;
		if (le32(p) != PT_LOAD)
			continue;
		if (n >= max)
			return -1;
		out[n++] = (struct kcore_seg){ .offset = le64(p + 8), .vaddr = le64(p + 16), .paddr = le64(p + 24),
					       .size = le64(p + 32) /* p_filesz */ };
	}
	return (int)n;
}

static bool inside(uint64_t base, uint64_t size, uint64_t a, uint64_t len)
{
	return a >= base && a - base <= size && len <= size - (a - base);
}

int64_t kcore_offset_virt(const struct kcore_seg *s, unsigned n, uint64_t va, uint64_t len)
{
	for (unsigned i = 0; i < n; i++)
		if (inside(s[i].vaddr, s[i].size, va, len))
			return (int64_t)(s[i].offset + (va - s[i].vaddr));
	return -1;
}

int64_t kcore_offset_phys(const struct kcore_seg *s, unsigned n, uint64_t pa, uint64_t len)
{
	for (unsigned i = 0; i < n; i++)
		if (s[i].paddr != ~0ull && s[i].vaddr < KERNEL_TEXT_VA && inside(s[i].paddr, s[i].size, pa, len))
			return (int64_t)(s[i].offset + (pa - s[i].paddr));
	return -1;
}

bool kallsyms_line(const char *line, const char *name, uint64_t *addr)
{
	char *end;
	unsigned long long a = strtoull(line, &end, 16);
	if (end == line || *end != ' ' || !end[1] || end[2] != ' ')
		return false;
	const char *sym = end + 3;
	size_t k = strlen(name);
	/* exactly the name: then the line ends, or a module's "\t[mod]" follows (not ours) */
	if (strncmp(sym, name, k) || (sym[k] != '\n' && sym[k] != 0))
		return false;
	*addr = a;
	return a != 0;
}

/*
 * Linux 6.1's layouts (kernel/power/snapshot.c), x86-64: struct
 * memory_bitmap starts with the list of zones; struct mem_zone_bm_rtree is
 * { list, nodes, leaves (list heads of 16 bytes), start_pfn, end_pfn, ... };
 * struct rtree_node is { list, data }; a leaf's data is one page of bits.
 */
#define ZONE_LEAVES    32
#define ZONE_START_PFN 48
#define ZONE_END_PFN   56
#define ZONE_SIZE      80
#define NODE_DATA      16
#define BITS_PER_LEAF  32768u   /* PAGE_SIZE * 8 */
#define MAX_ZONES      64

/* One leaf's bits, PFNs from `first`, `bits` of them valid: appended to pfns. */
static void leaf_pfns(const uint64_t *words, uint64_t first, unsigned bits, uint64_t *pfns, uint64_t max,
		      uint64_t *n)
{
	for (unsigned w = 0; w * 64 < bits && *n < max; w++) {
		uint64_t x = words[w];
		while (x && *n < max) {
			unsigned b = (unsigned)__builtin_ctzll(x);
			x &= x - 1;
			if (w * 64 + b >= bits)
				break;
			pfns[(*n)++] = first + w * 64 + b;
		}
	}
}

/* The leaves of one zone, in list order. 0, or -1 with *err. */
static int zone_pfns(kread_fn rd, void *ctx, uint64_t zone_va, uint64_t start, uint64_t end, uint64_t *pfns,
		     uint64_t max, uint64_t *n, const char **err)
{
	static uint64_t words[BITS_PER_LEAF / 64];
	uint64_t head = zone_va + ZONE_LEAVES, leaf;
	if (rd(ctx, head, &leaf, 8))
		goto unreadable;
	for (uint64_t i = 0; leaf != head && *n < max; i++) {
		uint8_t node[24];
		if (i * BITS_PER_LEAF >= end - start) {
			*err = "a zone of the copy bitmap has more leaves than its PFN span needs";
			return -1;
		}
		if (rd(ctx, leaf, node, sizeof(node)) || rd(ctx, le64(node + NODE_DATA), words, sizeof(words)))
			goto unreadable;
		uint64_t left = end - start - i * BITS_PER_LEAF;
		leaf_pfns(words, start + i * BITS_PER_LEAF, left < BITS_PER_LEAF ? (unsigned)left : BITS_PER_LEAF,
			  pfns, max, n);
		leaf = le64(node);
	}
	return 0;
unreadable:
	*err = "a leaf of the copy bitmap cannot be read through /proc/kcore";
	return -1;
}

int64_t snapframes_walk(kread_fn rd, void *ctx, uint64_t bm_va, uint64_t *pfns, uint64_t max,
			uint64_t max_pfn, const char **err)
{
	uint64_t z, n = 0, prev_end = 0;
	if (rd(ctx, bm_va, &z, 8)) {
		*err = "the copy bitmap cannot be read through /proc/kcore";
		return -1;
	}
	for (unsigned zones = 0; z != bm_va && n < max; zones++) {
		uint8_t zone[ZONE_SIZE];
		if (zones >= MAX_ZONES || rd(ctx, z, zone, sizeof(zone))) {
			*err = zones >= MAX_ZONES ? "the copy bitmap's zone list does not end"
						  : "a zone of the copy bitmap cannot be read through /proc/kcore";
			return -1;
		}
		uint64_t start = le64(zone + ZONE_START_PFN), end = le64(zone + ZONE_END_PFN);
		if (start >= end || start < prev_end || end > max_pfn) {
			*err = "the copy bitmap's zones are not ascending PFN ranges inside RAM (another kernel layout?)";
			return -1;
		}
		if (zone_pfns(rd, ctx, z, start, end, pfns, max, &n, err))
			return -1;
		prev_end = end;
		z = le64(zone);
	}
	return (int64_t)n;
}
