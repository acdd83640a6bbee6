/*
 * libFuzzer harness for include/codec/swsusp_image.c: the hibernation image
 * stream's header page and metadata pages, which the agent checks before the
 * kexec and odv-hv restores from.
 *
 * Input (little-endian): a flags byte, the number of RAM ranges (1 byte, at
 * most MAX_RAM used), that many (base, len) pairs and the reserved region's
 * (base, len) (8 bytes each), then the stream: page 0 is the header, the
 * following pages the metadata. The stream is copied into page-aligned heap
 * pages, the last one zero-padded. With flag bit 0 the data pages behind the
 * input exist (as one shared zero page) up to the header's page count, so a
 * short input can describe a large image; the parser must never read them.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "swsusp_image.h"

#define MAX_RAM    4
#define MAX_PAGES  64            /* stream pages taken from the input */

typedef unsigned __int128 u128;

static struct stream {
	uint8_t *pages;
	uint64_t nr_given;           /* pages from the input */
	uint64_t nr_virtual;         /* pages that exist: more when data pages are faked */
	uint64_t max_fetched;
	uint8_t *zero;
} s;

static const void *page(void *ctx, uint64_t index)
{
	(void)ctx;
	if (index >= s.nr_virtual)
		return NULL;
	if (index > s.max_fetched || s.max_fetched == ~0ull)
		s.max_fetched = index;
	return index < s.nr_given ? s.pages + index * SWSUSP_PAGE : s.zero;
}

/* What the walk reports, checked as it goes. */
static struct walk {
	const struct swsusp_header *h;
	uint64_t calls, data, prev, last;
	const struct phys_range *ram;
	unsigned nr_ram;
	const struct phys_range *excl;
	bool check_ranges;
} w;

static bool pfn_in(uint64_t pfn, const struct phys_range *r)
{
	u128 a = (u128)pfn * SWSUSP_PAGE;
	return a >= r->base && a + SWSUSP_PAGE <= (u128)r->base + r->len;
}

static int on_pfn(void *ctx, uint64_t pfn, uint64_t idx)
{
	(void)ctx;
	FUZZ_CHECK(!(pfn & SWSUSP_PFN_ZERO));
	FUZZ_CHECK(w.calls == 0 || pfn > w.prev);              /* strictly ascending */
	if (idx != SWSUSP_NO_DATA) {
		/* Data pages in order, right after the metadata, inside the stream. */
		FUZZ_CHECK(idx == 1 + w.h->nr_meta + w.data);
		FUZZ_CHECK(idx < w.h->pages);
		w.data++;
	}
	w.prev = w.last = pfn;
	w.calls++;
	return 0;
}

static void check_header(const struct swsusp_header *h)
{
	FUZZ_CHECK(h->magic == SWSUSP_RESTORE_MAGIC);
	FUZZ_CHECK(h->size % SWSUSP_PAGE == 0 && h->size / SWSUSP_PAGE == h->pages);
	FUZZ_CHECK(h->nr_meta >= 1 && h->nr_meta == h->pages - h->image_pages - 1);
	FUZZ_CHECK((u128)h->nr_meta * 512 >= h->image_pages);
	FUZZ_CHECK(h->jump_address && h->jump_address_phys && h->cr3);
}

/* swsusp_validate's answer, recomputed: every restored page in RAM and outside the reservation. */
static int validate_cb(void *ctx, uint64_t pfn, uint64_t idx)
{
	on_pfn(ctx, pfn, idx);
	FUZZ_CHECK(pfn < (1ull << 40));
	bool in_ram = false;
	for (unsigned i = 0; i < w.nr_ram; i++)
		in_ram = in_ram || pfn_in(pfn, &w.ram[i]);
	bool in_excl = false;
	if (w.excl) {
		u128 a = (u128)pfn * SWSUSP_PAGE;
		in_excl = a < (u128)w.excl->base + w.excl->len && a + SWSUSP_PAGE > w.excl->base;
	}
	return in_ram && !in_excl ? 0 : -1;
}

static void walk_reset(const struct swsusp_header *h)
{
	memset(&w, 0, sizeof(w));
	w.h = h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t flags = fz_u8(&in);
	unsigned nr_ram = fz_u8(&in) % (MAX_RAM + 1);
	struct phys_range ram[MAX_RAM], excl;
	for (unsigned i = 0; i < nr_ram; i++) {
		ram[i].base = fz_u64(&in);
		ram[i].len = fz_u64(&in);
	}
	excl.base = fz_u64(&in);
	excl.len = fz_u64(&in);

	memset(&s, 0, sizeof(s));
	s.nr_given = (in.n + SWSUSP_PAGE - 1) / SWSUSP_PAGE;
	if (s.nr_given == 0)
		s.nr_given = 1;             /* the header page, all zeros */
	if (s.nr_given > MAX_PAGES)
		return 0;
	s.pages = aligned_alloc(SWSUSP_PAGE, s.nr_given * SWSUSP_PAGE);
	s.zero = aligned_alloc(SWSUSP_PAGE, SWSUSP_PAGE);
	FUZZ_CHECK(s.pages && s.zero);
	memset(s.pages, 0, s.nr_given * SWSUSP_PAGE);
	memset(s.zero, 0, SWSUSP_PAGE);
	memcpy(s.pages, in.p, in.n);
	s.nr_virtual = s.nr_given;

	struct swsusp_header h;
	const char *err = NULL;
	if (swsusp_parse_header(s.pages, &h, &err)) {
		FUZZ_CHECK(err);
		goto out;
	}
	check_header(&h);
	if ((flags & 1) && h.pages > s.nr_given && h.pages <= (1u << 20))
		s.nr_virtual = h.pages;

	/* The walk alone: every PFN reported once, in order, data pages counted exactly. */
	struct swsusp_layout l;
	walk_reset(&h);
	s.max_fetched = ~0ull;
	err = NULL;
	if (swsusp_walk(&h, page, NULL, on_pfn, NULL, &l, &err) == 0) {
		FUZZ_CHECK(w.data == h.image_pages && l.nr_pfns == w.calls);
		FUZZ_CHECK(l.nr_pfns - l.nr_zero == h.image_pages);
		FUZZ_CHECK(l.nr_pfns == 0 || l.max_pfn == w.last);
	} else {
		FUZZ_CHECK(err);
	}
	/* Only metadata pages are read by the walk. */
	FUZZ_CHECK(s.max_fetched == ~0ull || s.max_fetched <= h.nr_meta);

	/* Full validation agrees with the same checks done here. */
	walk_reset(&h);
	w.ram = ram;
	w.nr_ram = nr_ram;
	w.excl = (flags & 2) ? &excl : NULL;
	err = NULL;
	int rc = swsusp_validate(&h, page, NULL, ram, nr_ram, w.excl, &l, &err);
	if (rc == 0) {
		/* Every page it accepted passes the harness's own range check. */
		walk_reset(&h);
		w.ram = ram;
		w.nr_ram = nr_ram;
		w.excl = (flags & 2) ? &excl : NULL;
		struct swsusp_layout l2;
		const char *err2 = NULL;
		FUZZ_CHECK(swsusp_walk(&h, page, NULL, validate_cb, NULL, &l2, &err2) == 0);
		FUZZ_CHECK(l2.nr_pfns == l.nr_pfns && l2.nr_zero == l.nr_zero && l2.max_pfn == l.max_pfn);
		FUZZ_CHECK(s.nr_virtual >= h.pages);    /* the last page was there */
	} else {
		FUZZ_CHECK(rc == -1 && err);
	}
out:
	free(s.pages);
	free(s.zero);
	return 0;
}
