/* Hibernation image stream parser (see swsusp_image.h). Pure logic. */
#include "le.h"
#include "swsusp_image.h"

int swsusp_parse_header(const void *page0, struct swsusp_header *h, const char **err)
{
	h->jump_address = le64((const uint8_t *)page0 + 0);
	h->jump_address_phys = le64((const uint8_t *)page0 + 8);
	h->cr3 = le64((const uint8_t *)page0 + 16);
	h->magic = le64((const uint8_t *)page0 + 24);
	h->e820_checksum = le64((const uint8_t *)page0 + 32);
	h->image_pages = le64((const uint8_t *)page0 + 416);
	h->pages = le64((const uint8_t *)page0 + 424);
	h->size = le64((const uint8_t *)page0 + 432);
	if (h->magic != SWSUSP_RESTORE_MAGIC) {
		*err = "image header has no x86 restore record (magic mismatch): unsupported kernel or corrupt image";
		return -1;
	}
	if (h->pages < h->image_pages + 2 || h->image_pages > h->pages ||
	    h->size % SWSUSP_PAGE || h->size / SWSUSP_PAGE != h->pages) {
		*err = "image header page counts are inconsistent";
		return -1;
	}
	h->nr_meta = h->pages - h->image_pages - 1;
	/* Enough metadata for the data pages (512 PFNs a page); >= 6.6 streams
	 * may have more, for zero pages that carry no data page. */
	if (h->nr_meta * 512 < h->image_pages) {
		*err = "image has fewer metadata pages than its data pages need";
		return -1;
	}
	if (!h->jump_address || !h->jump_address_phys || !h->cr3) {
		*err = "image restore record is empty";
		return -1;
	}
	return 0;
}

int swsusp_walk(const struct swsusp_header *h, swsusp_page_fn page, void *pctx,
		swsusp_pfn_fn cb, void *cbctx, struct swsusp_layout *out, const char **err)
{
	struct swsusp_layout l = { 0, 0, 0 };
	uint64_t data = 0, prev = 0;
	bool first = true, ended = false;
	for (uint64_t m = 0; m < h->nr_meta && !ended; m++) {
		const uint64_t *pfns = page(pctx, 1 + m);
		if (!pfns) {
			*err = "image stream is truncated (metadata page missing)";
			return -1;
		}
		for (unsigned i = 0; i < 512; i++) {
			uint64_t e = pfns[i];
			if (e == ~0ull) {
				ended = true;
				break;
			}
			bool zero = e & SWSUSP_PFN_ZERO;
			uint64_t pfn = e & ~SWSUSP_PFN_ZERO;
			if (!first && pfn <= prev) {
				*err = "image PFNs are not in ascending order";
				return -1;
			}
			first = false;
			prev = pfn;
			uint64_t idx = SWSUSP_NO_DATA;
			if (zero) {
				l.nr_zero++;
			} else {
				if (data >= h->image_pages) {
					*err = "image lists more data pages than its header says";
					return -1;
				}
				idx = 1 + h->nr_meta + data++;
			}
			l.nr_pfns++;
			l.max_pfn = pfn;
			if (cb && cb(cbctx, pfn, idx))
				return -1;   /* the callback set nothing; callers report their own reason */
		}
	}
	if (data != h->image_pages) {
		*err = "image lists fewer data pages than its header says";
		return -1;
	}
	if (out)
		*out = l;
	return 0;
}

/*
 * Does the page at a overlap [r->base, r->base + r->len)? Written without
 * computing the range's end, which wraps to a small number for a range that
 * reaches the top of the address space. (a + a page cannot wrap: PFNs are
 * below 2^40 here.)
 */
static bool page_overlaps(uint64_t a, const struct phys_range *r)
{
	return r->len && a + SWSUSP_PAGE > r->base && (a < r->base || a - r->base < r->len);
}

struct check_ctx {
	const struct phys_range *ram;
	unsigned nr_ram;
	const struct phys_range *excl;
	const char *why;
	uint64_t bad_pfn;
};

static int check_pfn(void *c, uint64_t pfn, uint64_t idx)
{
	struct check_ctx *k = c;
	(void)idx;
	uint64_t a = pfn * SWSUSP_PAGE;
	if (pfn >= (1ull << 40)) {
		k->why = "image PFN beyond any physical address";
		k->bad_pfn = pfn;
		return -1;
	}
	bool in_ram = false;
	for (unsigned i = 0; i < k->nr_ram && !in_ram; i++)
		in_ram = a >= k->ram[i].base && a + SWSUSP_PAGE <= k->ram[i].base + k->ram[i].len;
	if (!in_ram) {
		k->why = "image PFN outside RAM";
		k->bad_pfn = pfn;
		return -1;
	}
	if (k->excl && page_overlaps(a, k->excl)) {
		k->why = "image PFN inside odv's reserved region";
		k->bad_pfn = pfn;
		return -1;
	}
	return 0;
}

int swsusp_validate(const struct swsusp_header *h, swsusp_page_fn page, void *pctx,
		    const struct phys_range *ram, unsigned nr_ram,
		    const struct phys_range *excl, struct swsusp_layout *out, const char **err)
{
	struct check_ctx k = { ram, nr_ram, excl, 0, 0 };
	if (!page(pctx, h->pages - 1)) {
		*err = "image stream is truncated (last page missing)";
		return -1;
	}
	if (swsusp_walk(h, page, pctx, check_pfn, &k, out, err)) {
		if (k.why)
			*err = k.why;
		return -1;
	}
	return 0;
}
