/*
 * Linux hibernation image stream (what /dev/snapshot hands out), parsed.
 * Pure logic shared by the agent (validate before kexec) and odv-hv
 * (restore). Format, from kernel/power/snapshot.c and
 * arch/x86/power/hibernate.c of Linux 6.1:
 *   page 0          struct swsusp_info, x86's restore_data_record over its
 *                   first 40 bytes; image_pages @416, pages @424, size @432
 *   pages 1..M      M = pages - image_pages - 1 metadata pages: ascending
 *                   PFNs, 512 per page, ~0 ends the list if a page is not full;
 *                   kernels >= 6.6 set bit 63 on PFNs of all-zero pages,
 *                   which get no data page
 *   then            one data page per PFN without bit 63, in PFN order
 */
#ifndef ODV_SWSUSP_IMAGE_H
#define ODV_SWSUSP_IMAGE_H
#include <stdint.h>
#include <stdbool.h>

#define SWSUSP_RESTORE_MAGIC 0x23456789ABCDEF02ull
#define SWSUSP_PFN_ZERO      (1ull << 63)
#define SWSUSP_NO_DATA       (~0ull)
#define SWSUSP_PAGE          4096u

struct swsusp_header {
	uint64_t jump_address, jump_address_phys, cr3, magic, e820_checksum;
	uint64_t image_pages;   /* data pages */
	uint64_t pages;         /* whole stream, in pages */
	uint64_t size;          /* whole stream, in bytes */
	uint64_t nr_meta;
};

struct swsusp_layout {
	uint64_t nr_pfns;       /* pages restored (data + zero) */
	uint64_t nr_zero;       /* of those, all-zero pages without data (>= 6.6) */
	uint64_t max_pfn;
};

/* Stream page `index` (0 = header), or NULL if it is not available. */
typedef const void *(*swsusp_page_fn)(void *ctx, uint64_t index);
/* Called for each restored page: its PFN and its stream page index (SWSUSP_NO_DATA: zero page). */
typedef int (*swsusp_pfn_fn)(void *ctx, uint64_t pfn, uint64_t data_index);

int swsusp_parse_header(const void *page0, struct swsusp_header *h, const char **err);
int swsusp_walk(const struct swsusp_header *h, swsusp_page_fn page, void *pctx,
		swsusp_pfn_fn cb, void *cbctx, struct swsusp_layout *out, const char **err);

/* Physical ranges [base, base+len) for the PFN checks. */
struct phys_range { uint64_t base, len; };

/*
 * Full validation: header, metadata, every PFN inside `ram` and outside
 * `excl` (the reserved region). Returns 0 or -1 with *err saying what.
 */
int swsusp_validate(const struct swsusp_header *h, swsusp_page_fn page, void *pctx,
		    const struct phys_range *ram, unsigned nr_ram,
		    const struct phys_range *excl, struct swsusp_layout *out, const char **err);

#endif
