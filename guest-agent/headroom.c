/*
 * Allocation headroom: how many pages the kernel can hand out right now
 * without entering reclaim. Pure (parses the text of /proc/zoneinfo), so
 * the host unit tests check it.
 *
 * Why go-virtual needs it: once SNAPSHOT_CREATE_IMAGE has made the image,
 * the kernel keeps its threads frozen (kswapd too) and the GFP mask
 * restricted (no I/O or FS reclaim) until the snapshot is released, and the
 * OOM killer has been off since the freeze. An allocation that falls out of
 * the page allocator's fast path then goes into direct reclaim, where it can
 * be throttled for up to a second at a time waiting for a kswapd that never
 * runs, many times per page: the agent's image buffer and kexec_load's copy
 * of the image (tens of thousands of pages) could take hours. So before each
 * large allocation after the snapshot the agent asks whether the free pages
 * above each zone's high watermark cover it, and refuses (everything rolled
 * back) when they do not.
 *
 * The allocation is GFP_HIGHUSER / GFP_KERNEL: highest zone Normal, falling
 * back to DMA32 and DMA. A lower zone keeps lowmem_reserve pages back from
 * such an allocation: the zone's "protection:" entry at Normal's index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sysfacts.h"

/* The number after `key` at the start of a line (after blanks), or -1. */
static int64_t field(const char *line, const char *key)
{
	while (*line == ' ' || *line == '\t')
		line++;
	size_t k = strlen(key);
	if (strncmp(line, key, k) || (line[k] != ' ' && line[k] != '\t'))
		return -1;   /* "high:" (a per-CPU list's) is not "high" */
	char *end;
	long long v = strtoll(line + k, &end, 10);
	return end == line + k || v < 0 ? -1 : v;
}

int zoneinfo_parse(const char *text, struct zone_pages *z, int max)
{
	int n = -1, idx = 0, node = -1;
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		int nd;
		char name[16];
		if (sscanf(p, "Node %d, zone %15s", &nd, name) == 2) {
			idx = nd == node ? idx + 1 : 0;
			node = nd;
			if (++n >= max)
				return -1;
			memset(&z[n], 0, sizeof(z[n]));
			snprintf(z[n].name, sizeof(z[n].name), "%s", name);
			z[n].node = nd;
			z[n].index = idx;
			continue;
		}
		if (n < 0)
			continue;
		int64_t v;
		const char *q = p;
		while (*q == ' ' || *q == '\t')
			q++;
		if (!strncmp(q, "pages free", 10) && (v = field(q + 6, "free")) >= 0)
			z[n].free = (uint64_t)v;
		else if ((v = field(p, "min")) >= 0)
			z[n].min = (uint64_t)v;
		else if ((v = field(p, "low")) >= 0)
			z[n].low = (uint64_t)v;
		else if ((v = field(p, "high")) >= 0)
			z[n].high = (uint64_t)v;
		else if (!strncmp(q, "protection: (", 13)) {
			const char *s = q + 13;
			z[n].nprot = 0;
			while (z[n].nprot < ZONE_MAX_PROT) {
				char *end;
				unsigned long long x = strtoull(s, &end, 10);
				if (end == s)
					break;
				z[n].prot[z[n].nprot++] = x;
				s = end;
				while (*s == ',' || *s == ' ')
					s++;
			}
		}
	}
	return n + 1;
}

uint64_t zones_headroom(const struct zone_pages *z, int n)
{
	uint64_t total = 0;
	for (int i = 0; i < n; i++) {
		/* Normal's index in this zone's node: the zone named Normal there. */
		int normal = -1, dma32 = -1;
		for (int j = 0; j < n; j++) {
			if (z[j].node != z[i].node)
				continue;
			if (!strcmp(z[j].name, "Normal"))
				normal = z[j].index;
			if (!strcmp(z[j].name, "DMA32"))
				dma32 = z[j].index;
		}
		if (normal < 0)
			normal = dma32;   /* a node without a Normal zone */
		if (normal < 0 || z[i].index > normal)
			continue;   /* Movable, Device: not for these allocations */
		uint64_t keep = z[i].high + (normal < z[i].nprot ? z[i].prot[normal] : 0);
		if (z[i].free > keep)
			total += z[i].free - keep;
	}
	return total;
}

uint64_t kexec_copy_pages(uint64_t seg_pages)
{
	/* the segments' pages, one list entry per page (511 a page), control and page-table pages */
	return seg_pages + seg_pages / 511 + 64;
}

uint64_t go_virtual_need_pages(uint64_t img_pages, uint64_t hv_bytes, bool direct)
{
	uint64_t meta = img_pages / 512 + 1;
	uint64_t buffer = direct ? 1 + meta : img_pages;       /* header and metadata, or the whole stream */
	uint64_t lists = 2 * meta + img_pages / 256 + 1;      /* frame lists (8 bytes a page), run table (<= 16) */
	uint64_t kexec = kexec_copy_pages(hv_bytes / 4096 + 2 + img_pages / 256 + 1);   /* odv-hv, handoff, table */
	return buffer + lists + kexec + HEADROOM_SLACK_PAGES;
}
