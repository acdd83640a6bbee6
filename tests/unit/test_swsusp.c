/* Host unit tests for include/codec/swsusp_image.c: header, metadata walk, validation, on synthetic streams. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swsusp_image.h"

#define PG       4096ull
#define PER_META 512u
#define JUMP     0xffffffff81e3a000ull
#define JUMP_PHYS 0x3e3a000ull
#define CR3      0x12c0a000ull
#define E820SUM  0x5eed5eedull

/*
 * A synthetic image stream in memory. `entries` are the metadata entries
 * as the kernel writes them (bit 63 = all-zero page on >= 6.6). Only the
 * first `avail` pages can be fetched, to model a truncated stream.
 */
struct stream {
	uint8_t *buf;
	uint64_t pages, avail;
	uint64_t nr_meta, nr_data;
	uint64_t fetches;
};

static void wr64(void *p, unsigned off, uint64_t v)
{
	uint8_t *b = (uint8_t *)p + off;
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t *meta_page(struct stream *s, uint64_t m)
{
	return (uint64_t *)(s->buf + (1 + m) * PG);
}

static void set_header(struct stream *s, uint64_t image_pages, uint64_t pages, uint64_t size)
{
	wr64(s->buf, 416, image_pages);
	wr64(s->buf, 424, pages);
	wr64(s->buf, 432, size);
}

static void build(struct stream *s, const uint64_t *entries, uint64_t n)
{
	memset(s, 0, sizeof(*s));
	s->nr_meta = (n * 8 + PG - 1) / PG;
	if (!s->nr_meta)
		s->nr_meta = 1;   /* an empty list still has a page holding the end marker */
	for (uint64_t i = 0; i < n; i++)
		if (!(entries[i] & SWSUSP_PFN_ZERO))
			s->nr_data++;
	s->pages = 1 + s->nr_meta + s->nr_data;
	s->avail = s->pages;
	s->buf = calloc(s->pages, PG);
	assert_non_null(s->buf);
	/* Header: restore record over the first 40 bytes, swsusp_info counts further on. */
	memset(s->buf, 0xcc, PG);   /* the fields we do not set are noise */
	wr64(s->buf, 0, JUMP);
	wr64(s->buf, 8, JUMP_PHYS);
	wr64(s->buf, 16, CR3);
	wr64(s->buf, 24, SWSUSP_RESTORE_MAGIC);
	wr64(s->buf, 32, E820SUM);
	set_header(s, s->nr_data, s->pages, s->pages * PG);
	/* Metadata: entries, then ~0 if the last page has room. */
	uint64_t *meta = meta_page(s, 0);
	for (uint64_t i = 0; i < n; i++)
		meta[i] = entries[i];
	if (n % PER_META || n == 0)
		meta[n] = ~0ull;
	/* Data: one page per non-zero entry, every u64 = the PFN. */
	uint64_t d = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (entries[i] & SWSUSP_PFN_ZERO)
			continue;
		uint64_t *data = (uint64_t *)(s->buf + (1 + s->nr_meta + d++) * PG);
		for (unsigned k = 0; k < PG / 8; k++)
			data[k] = entries[i];
	}
}

static void destroy(struct stream *s)
{
	free(s->buf);
	s->buf = NULL;
}

static const void *get_page(void *ctx, uint64_t index)
{
	struct stream *s = ctx;
	s->fetches++;
	if (index >= s->avail)
		return NULL;
	return s->buf + index * PG;
}

static void parse_ok(struct stream *s, struct swsusp_header *h)
{
	const char *err = NULL;
	int rc = swsusp_parse_header(s->buf, h, &err);
	if (rc)
		print_error("parse_header: %s\n", err);
	assert_int_equal(rc, 0);
}

static void parse_fails(struct stream *s, const char *want)
{
	struct swsusp_header h;
	const char *err = NULL;
	assert_int_equal(swsusp_parse_header(s->buf, &h, &err), -1);
	assert_non_null(err);
	if (!strstr(err, want))
		print_error("error \"%s\" does not mention \"%s\"\n", err, want);
	assert_non_null(strstr(err, want));
}

/* Records what swsusp_walk reports and checks each data page as it goes. */
struct seen {
	struct stream *s;
	uint64_t n, cap;
	uint64_t *pfn, *idx;
	int stop_at;          /* return nonzero at this call (-1: never) */
};

static int record(void *ctx, uint64_t pfn, uint64_t data_index)
{
	struct seen *v = ctx;
	if (v->n < v->cap) {
		v->pfn[v->n] = pfn;
		v->idx[v->n] = data_index;
	}
	v->n++;
	if (data_index != SWSUSP_NO_DATA) {
		const uint64_t *data = (const uint64_t *)(v->s->buf + data_index * PG);
		if (data[0] != pfn || data[PG / 8 - 1] != pfn)
			return 2;
	}
	return v->stop_at >= 0 && (int)v->n == v->stop_at + 1 ? 1 : 0;
}

static void seen_init(struct seen *v, struct stream *s, uint64_t cap)
{
	v->s = s;
	v->n = 0;
	v->cap = cap;
	v->pfn = calloc(cap ? cap : 1, 8);
	v->idx = calloc(cap ? cap : 1, 8);
	v->stop_at = -1;
}

static void seen_free(struct seen *v)
{
	free(v->pfn);
	free(v->idx);
}

static void walk_fails(struct stream *s, const char *want)
{
	struct swsusp_header h;
	parse_ok(s, &h);
	const char *err = NULL;
	struct swsusp_layout l = { 77, 77, 77 };
	assert_int_equal(swsusp_walk(&h, get_page, s, NULL, NULL, &l, &err), -1);
	assert_non_null(err);
	if (!strstr(err, want))
		print_error("error \"%s\" does not mention \"%s\"\n", err, want);
	assert_non_null(strstr(err, want));
}

/*
 * Walk the stream built from `entries` and check every PFN, its data
 * index (SWSUSP_NO_DATA for zero pages), the data contents and the layout.
 */
static void walk_and_check(const uint64_t *entries, uint64_t n)
{
	struct stream s;
	build(&s, entries, n);
	struct swsusp_header h;
	parse_ok(&s, &h);
	assert_int_equal(h.nr_meta, s.nr_meta);
	assert_int_equal(h.image_pages, s.nr_data);

	struct seen v;
	seen_init(&v, &s, n);
	struct swsusp_layout l;
	const char *err = NULL;
	int rc = swsusp_walk(&h, get_page, &s, record, &v, &l, &err);
	if (rc)
		print_error("walk: %s\n", err ? err : "(callback)");
	assert_int_equal(rc, 0);
	assert_int_equal(v.n, n);
	uint64_t d = 0, zeros = 0;
	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(v.pfn[i], entries[i] & ~SWSUSP_PFN_ZERO);
		if (entries[i] & SWSUSP_PFN_ZERO) {
			assert_true(v.idx[i] == SWSUSP_NO_DATA);
			zeros++;
		} else {
			assert_int_equal(v.idx[i], 1 + s.nr_meta + d);
			d++;
		}
	}
	assert_int_equal(l.nr_pfns, n);
	assert_int_equal(l.nr_zero, zeros);
	assert_int_equal(l.max_pfn, n ? entries[n - 1] & ~SWSUSP_PFN_ZERO : 0);

	/* Without a callback and without a layout, the walk still succeeds. */
	assert_int_equal(swsusp_walk(&h, get_page, &s, NULL, NULL, NULL, &err), 0);
	seen_free(&v);
	destroy(&s);
}

/* Ascending PFNs with gaps; every `zero_every`-th one an all-zero page (0: none, the 6.1 format). */
static uint64_t *make_entries(uint64_t n, uint64_t first, unsigned zero_every)
{
	uint64_t *e = calloc(n ? n : 1, 8);
	uint64_t pfn = first;
	for (uint64_t i = 0; i < n; i++) {
		e[i] = pfn;
		if (zero_every && i % zero_every == zero_every - 1)
			e[i] |= SWSUSP_PFN_ZERO;
		pfn += 1 + (i % 5 == 4 ? i % 37 : 0);
	}
	return e;
}

/* ---------------------------------------------------------------- header */

static void test_header_fields(void **state)
{
	uint64_t *e = make_entries(1000, 0x100, 0);
	struct stream s;
	build(&s, e, 1000);
	struct swsusp_header h;
	parse_ok(&s, &h);
	assert_true(h.jump_address == JUMP);
	assert_true(h.jump_address_phys == JUMP_PHYS);
	assert_true(h.cr3 == CR3);
	assert_true(h.magic == SWSUSP_RESTORE_MAGIC);
	assert_true(h.e820_checksum == E820SUM);
	assert_int_equal(h.image_pages, 1000);
	assert_int_equal(h.nr_meta, 2);
	assert_int_equal(h.pages, 1000 + 2 + 1);
	assert_int_equal(h.size, (1000 + 2 + 1) * PG);
	destroy(&s);
	free(e);
}

/* Fields are little-endian regardless of alignment games: check byte by byte. */
static void test_header_little_endian(void **state)
{
	uint64_t e[] = { 0x100 };
	struct stream s;
	build(&s, e, 1);
	uint8_t *b = s.buf;
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(0x11 * (i + 1));   /* jump_address = 0x8877665544332211 */
	struct swsusp_header h;
	parse_ok(&s, &h);
	assert_true(h.jump_address == 0x8877665544332211ull);
	assert_int_equal(b[424], 3);    /* pages = 3, low byte first */
	assert_int_equal(b[425], 0);
	destroy(&s);
}

static void test_header_bad_magic(void **state)
{
	uint64_t e[] = { 0x100, 0x101 };
	struct stream s;
	build(&s, e, 2);
	wr64(s.buf, 24, SWSUSP_RESTORE_MAGIC ^ 1);
	parse_fails(&s, "magic");
	wr64(s.buf, 24, 0);
	parse_fails(&s, "magic");
	/* Byte-swapped magic (a big-endian reader's mistake). */
	wr64(s.buf, 24, __builtin_bswap64(SWSUSP_RESTORE_MAGIC));
	parse_fails(&s, "magic");
	destroy(&s);
}

static void test_header_bad_counts(void **state)
{
	uint64_t e[] = { 0x100, 0x101, 0x105 };
	struct stream s;
	build(&s, e, 3);     /* image_pages 3, pages 5 */
	struct swsusp_header h;

	/* pages < image_pages + 2 */
	set_header(&s, 3, 4, 4 * PG);
	parse_fails(&s, "inconsistent");
	set_header(&s, 3, 0, 0);
	parse_fails(&s, "inconsistent");
	set_header(&s, 0, 1, PG);
	parse_fails(&s, "inconsistent");
	/* The minimum: header + one metadata page, nothing else. */
	set_header(&s, 0, 2, 2 * PG);
	parse_ok(&s, &h);
	assert_int_equal(h.nr_meta, 1);

	/* size != pages * 4096 */
	set_header(&s, 3, 5, 5 * PG + 1);
	parse_fails(&s, "inconsistent");
	set_header(&s, 3, 5, 5 * PG - PG);
	parse_fails(&s, "inconsistent");
	set_header(&s, 3, 5, 0);
	parse_fails(&s, "inconsistent");
	set_header(&s, 3, 5, 5 * PG);
	parse_ok(&s, &h);
	destroy(&s);
}

/* pages * 4096 must not wrap around 2^64 into a "matching" size. */
static void test_header_size_wraps(void **state)
{
	static uint8_t page0[PG];   /* no allocation: nothing leaks if the assertion fails */
	struct stream s = { .buf = page0 };
	wr64(page0, 0, JUMP);
	wr64(page0, 8, JUMP_PHYS);
	wr64(page0, 16, CR3);
	wr64(page0, 24, SWSUSP_RESTORE_MAGIC);
	/* (2^52 + 2) * 4096 == 8192 mod 2^64 */
	set_header(&s, 1, (1ull << 52) + 2, 2 * PG);
	parse_fails(&s, "inconsistent");
}

static void test_header_too_few_meta(void **state)
{
	uint64_t *e = make_entries(1030, 0x100, 0);
	struct stream s;
	build(&s, e, 1030);  /* nr_meta 3 */
	struct swsusp_header h;
	/* image_pages 1030 with only 2 metadata pages (1024 PFNs): impossible. */
	set_header(&s, 1030, 1030 + 2 + 1, (1030 + 2 + 1) * PG);
	parse_fails(&s, "metadata");
	/* Exactly 1024 data pages in 2 metadata pages is fine. */
	set_header(&s, 1024, 1024 + 2 + 1, (1024 + 2 + 1) * PG);
	parse_ok(&s, &h);
	assert_int_equal(h.nr_meta, 2);
	/* 1025 is one too many. */
	set_header(&s, 1025, 1025 + 2 + 1, (1025 + 2 + 1) * PG);
	parse_fails(&s, "metadata");
	destroy(&s);
	free(e);
}

static void test_header_empty_restore_record(void **state)
{
	uint64_t e[] = { 0x100, 0x200 };
	struct stream s;
	build(&s, e, 2);
	const unsigned offs[] = { 0, 8, 16 };   /* jump_address, jump_address_phys, cr3 */
	for (unsigned i = 0; i < 3; i++) {
		wr64(s.buf, offs[i], 0);
		parse_fails(&s, "empty");
		wr64(s.buf, offs[i], i == 0 ? JUMP : i == 1 ? JUMP_PHYS : CR3);
	}
	/* The e820 checksum may be anything, including 0. */
	wr64(s.buf, 32, 0);
	struct swsusp_header h;
	parse_ok(&s, &h);
	destroy(&s);
}

/* ---------------------------------------------------------------- walk */

static void test_walk_61_format(void **state)
{
	uint64_t *e = make_entries(300, 0x100, 0);
	walk_and_check(e, 300);
	free(e);
	const uint64_t one[] = { 0x12345 };
	walk_and_check(one, 1);
	const uint64_t contiguous[] = { 256, 257, 258, 259, 260 };
	walk_and_check(contiguous, 5);
	/* PFN 0 is a valid first entry. */
	const uint64_t from0[] = { 0, 1, 0x9e, 0x100 };
	walk_and_check(from0, 4);
}

static void test_walk_66_zero_pages(void **state)
{
	uint64_t *e = make_entries(400, 0x100, 3);
	walk_and_check(e, 400);
	free(e);
	/* First and last entries zero pages. */
	const uint64_t edges[] = {
		0x100 | SWSUSP_PFN_ZERO, 0x101, 0x102 | SWSUSP_PFN_ZERO,
		0x200, 0x300 | SWSUSP_PFN_ZERO,
	};
	walk_and_check(edges, 5);
	/* Only zero pages: image_pages 0. */
	const uint64_t allzero[] = { 0x100 | SWSUSP_PFN_ZERO, 0x101 | SWSUSP_PFN_ZERO };
	walk_and_check(allzero, 2);
}

/* No PFNs at all: header + one metadata page holding just the end marker. */
static void test_walk_empty(void **state)
{
	walk_and_check(NULL, 0);
}

/* 512 PFNs fill the one metadata page exactly: no end marker. */
static void test_walk_exactly_512(void **state)
{
	uint64_t *e = make_entries(512, 0x100, 0);
	struct stream s;
	build(&s, e, 512);
	assert_int_equal(s.nr_meta, 1);
	assert_int_equal(s.pages, 1 + 1 + 512);
	destroy(&s);
	walk_and_check(e, 512);
	free(e);
	/* Same in the >= 6.6 format, 512 entries with zero pages among them. */
	e = make_entries(512, 0x100, 4);
	build(&s, e, 512);
	assert_int_equal(s.nr_meta, 1);
	assert_int_equal(s.nr_data, 384);
	destroy(&s);
	walk_and_check(e, 512);
	free(e);
}

/* 513 PFNs: a second metadata page with one PFN and the end marker. */
static void test_walk_513(void **state)
{
	uint64_t *e = make_entries(513, 0x100, 0);
	struct stream s;
	build(&s, e, 513);
	assert_int_equal(s.nr_meta, 2);
	assert_true(meta_page(&s, 1)[1] == ~0ull);
	destroy(&s);
	walk_and_check(e, 513);
	free(e);
	/* 1024: two full pages, no end marker anywhere. */
	e = make_entries(1024, 0x100, 0);
	walk_and_check(e, 1024);
	free(e);
}

static void test_walk_large(void **state)
{
	uint64_t *e = make_entries(5000, 0x100, 0);
	walk_and_check(e, 5000);
	free(e);
	e = make_entries(7777, 0x1000, 5);
	walk_and_check(e, 7777);
	free(e);
	/* Dense: 12000 consecutive PFNs from 1 MiB, a third of them zero. */
	uint64_t n = 12000;
	e = calloc(n, 8);
	for (uint64_t i = 0; i < n; i++)
		e[i] = (0x100 + i) | (i % 3 == 1 ? SWSUSP_PFN_ZERO : 0);
	walk_and_check(e, n);
	free(e);
}

/* The walk touches only the metadata pages, each once, in order. */
static void test_walk_reads_only_metadata(void **state)
{
	uint64_t *e = make_entries(1500, 0x100, 0);
	struct stream s;
	build(&s, e, 1500);
	struct swsusp_header h;
	parse_ok(&s, &h);
	s.avail = 1 + s.nr_meta;   /* data pages absent */
	const char *err = NULL;
	assert_int_equal(swsusp_walk(&h, get_page, &s, NULL, NULL, NULL, &err), 0);
	assert_int_equal(s.fetches, s.nr_meta);
	destroy(&s);
	free(e);
}

/* A nonzero callback return stops the walk with -1. */
static void test_walk_callback_stops(void **state)
{
	uint64_t *e = make_entries(100, 0x100, 0);
	struct stream s;
	build(&s, e, 100);
	struct swsusp_header h;
	parse_ok(&s, &h);
	struct seen v;
	seen_init(&v, &s, 100);
	v.stop_at = 41;
	const char *err = NULL;
	assert_int_equal(swsusp_walk(&h, get_page, &s, record, &v, NULL, &err), -1);
	assert_int_equal(v.n, 42);
	seen_free(&v);
	destroy(&s);
	free(e);
}

static void test_walk_not_ascending(void **state)
{
	uint64_t e[] = { 0x100, 0x101, 0x102, 0x103, 0x104 };
	struct stream s;
	build(&s, e, 5);
	uint64_t *m = meta_page(&s, 0);
	m[2] = 0x103;
	m[3] = 0x102;   /* swapped */
	walk_fails(&s, "ascending");
	m[2] = 0x102;
	m[3] = 0x102;   /* duplicate */
	walk_fails(&s, "ascending");
	m[3] = 0x103;
	m[4] = 0x50;    /* drops back at the end */
	walk_fails(&s, "ascending");
	destroy(&s);

	/* A zero page does not hide a descending PFN (the flag is not part of the order). */
	uint64_t z[] = { 0x100, 0x101 | SWSUSP_PFN_ZERO, 0x102 };
	build(&s, z, 3);
	meta_page(&s, 0)[2] = 0x101;
	walk_fails(&s, "ascending");
	destroy(&s);

	/* Across the metadata page boundary. */
	uint64_t *big = make_entries(600, 0x100, 0);
	build(&s, big, 600);
	meta_page(&s, 1)[0] = meta_page(&s, 0)[511];
	walk_fails(&s, "ascending");
	destroy(&s);
	free(big);
}

static void test_walk_more_data_than_header(void **state)
{
	uint64_t e[] = { 0x100, 0x101, 0x102 | SWSUSP_PFN_ZERO, 0x103 };
	struct stream s;
	build(&s, e, 4);   /* image_pages 3, nr_meta 1, pages 5 */
	/* The header claims one data page less (nr_meta unchanged). */
	set_header(&s, 2, 4, 4 * PG);
	walk_fails(&s, "more data pages");
	/* Or the metadata lose a zero flag. */
	set_header(&s, 3, 5, 5 * PG);
	meta_page(&s, 0)[2] = 0x102;
	walk_fails(&s, "more data pages");
	destroy(&s);
}

static void test_walk_fewer_data_than_header(void **state)
{
	uint64_t e[] = { 0x100, 0x101, 0x102, 0x103 };
	struct stream s;
	build(&s, e, 4);   /* image_pages 4, nr_meta 1, pages 6 */
	set_header(&s, 5, 7, 7 * PG);
	walk_fails(&s, "fewer data pages");
	/* Or a PFN gained a zero flag. */
	set_header(&s, 4, 6, 6 * PG);
	meta_page(&s, 0)[1] |= SWSUSP_PFN_ZERO;
	walk_fails(&s, "fewer data pages");
	/* Or the list ends early. */
	meta_page(&s, 0)[1] = 0x101;
	meta_page(&s, 0)[3] = ~0ull;
	walk_fails(&s, "fewer data pages");
	destroy(&s);
}

static void test_walk_truncated_metadata(void **state)
{
	uint64_t *e = make_entries(1200, 0x100, 0);
	struct stream s;
	build(&s, e, 1200);   /* nr_meta 3 */
	assert_int_equal(s.nr_meta, 3);
	for (uint64_t avail = 0; avail <= s.nr_meta; avail++) {
		s.avail = avail;
		walk_fails(&s, "metadata page missing");
	}
	destroy(&s);
	free(e);
}

/* ---------------------------------------------------------------- validate */

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static const struct phys_range ram_with_hole[] = {
	{ 0, 0x9f000 },                 /* low RAM */
	{ 1 * MiB, 255 * MiB },         /* 1 MiB .. 256 MiB */
	/* hole 256 MiB .. 512 MiB */
	{ 512 * MiB, 512 * MiB },       /* 512 MiB .. 1 GiB */
	{ 4 * GiB, 1 * GiB },
};
static const struct phys_range reserved = { 0x30000000, 64 * MiB };   /* inside the third range */

static int validate(struct stream *s, const struct phys_range *excl, struct swsusp_layout *l, const char **err)
{
	struct swsusp_header h;
	parse_ok(s, &h);
	*err = NULL;
	return swsusp_validate(&h, get_page, s, ram_with_hole, 4, excl, l, err);
}

static void validate_fails(const uint64_t *e, uint64_t n, const char *want)
{
	struct stream s;
	build(&s, e, n);
	const char *err;
	struct swsusp_layout l;
	assert_int_equal(validate(&s, &reserved, &l, &err), -1);
	assert_non_null(err);
	if (!strstr(err, want))
		print_error("error \"%s\" does not mention \"%s\"\n", err, want);
	assert_non_null(strstr(err, want));
	destroy(&s);
}

static void validate_ok(const uint64_t *e, uint64_t n)
{
	struct stream s;
	build(&s, e, n);
	const char *err;
	struct swsusp_layout l;
	int rc = validate(&s, &reserved, &l, &err);
	if (rc)
		print_error("validate: %s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(l.nr_pfns, n);
	destroy(&s);
}

static void test_validate_ok_with_hole(void **state)
{
	const uint64_t e[] = {
		0, 0x9e,                                   /* first and last page of low RAM */
		0x100, 0x101 | SWSUSP_PFN_ZERO,
		(256 * MiB) / PG - 1,                      /* last page below the hole */
		(512 * MiB) / PG,                          /* first page after it */
		0x30000000 / PG - 1,                       /* just below the reserved region */
		(0x30000000 + 64 * MiB) / PG,              /* just above it */
		GiB / PG - 1,
		4 * GiB / PG | SWSUSP_PFN_ZERO,
		5 * GiB / PG - 1,
	};
	validate_ok(e, sizeof(e) / 8);

	/* Thousands of PFNs spread over the whole 1 MiB .. 256 MiB range, both ends included. */
	uint64_t n = (255 * MiB) / PG / 16 + 1;
	uint64_t *big = calloc(n, 8);
	for (uint64_t i = 0; i + 1 < n; i++)
		big[i] = 256 + 16 * i;
	big[n - 1] = 256 * MiB / PG - 1;
	struct stream s;
	build(&s, big, n);
	const char *err;
	struct swsusp_layout l;
	assert_int_equal(validate(&s, &reserved, &l, &err), 0);
	assert_int_equal(l.nr_pfns, n);
	assert_int_equal(l.nr_zero, 0);
	assert_int_equal(l.max_pfn, 256 * MiB / PG - 1);
	destroy(&s);
	free(big);
}

static void test_validate_outside_ram(void **state)
{
	const uint64_t in_hole[] = { 0x100, 256 * MiB / PG };
	validate_fails(in_hole, 2, "outside RAM");
	const uint64_t end_of_hole[] = { 0x100, 512 * MiB / PG - 1 };
	validate_fails(end_of_hole, 2, "outside RAM");
	const uint64_t low_gap[] = { 0x9f, 0x100 };   /* 0x9f000: not RAM */
	validate_fails(low_gap, 2, "outside RAM");
	const uint64_t above_1g[] = { 0x100, GiB / PG };
	validate_fails(above_1g, 2, "outside RAM");
	const uint64_t above_all[] = { 0x100, 5 * GiB / PG };
	validate_fails(above_all, 2, "outside RAM");
	/* A zero page is restored too: it must be RAM as well. */
	const uint64_t zero_in_hole[] = { 0x100, (300 * MiB / PG) | SWSUSP_PFN_ZERO };
	validate_fails(zero_in_hole, 2, "outside RAM");
}

static void test_validate_ram_partial_page(void **state)
{
	/* A RAM range that ends mid-page does not make that page RAM. */
	const struct phys_range ram[] = { { 0x100000, 0x1800 } };
	const uint64_t e[] = { 0x100, 0x101 };
	struct stream s;
	build(&s, e, 2);
	struct swsusp_header h;
	parse_ok(&s, &h);
	const char *err = NULL;
	assert_int_equal(swsusp_validate(&h, get_page, &s, ram, 1, NULL, NULL, &err), -1);
	assert_non_null(strstr(err, "outside RAM"));
	const struct phys_range ram2[] = { { 0x100000, 0x2000 } };
	assert_int_equal(swsusp_validate(&h, get_page, &s, ram2, 1, NULL, NULL, &err), 0);
	/* No RAM at all. */
	assert_int_equal(swsusp_validate(&h, get_page, &s, ram, 0, NULL, NULL, &err), -1);
	destroy(&s);
}

static void test_validate_reserved(void **state)
{
	const uint64_t first[] = { 0x100, 0x30000000 / PG };
	validate_fails(first, 2, "reserved region");
	const uint64_t last[] = { 0x100, (0x30000000 + 64 * MiB) / PG - 1 };
	validate_fails(last, 2, "reserved region");
	const uint64_t zero[] = { 0x100, (0x31000000 / PG) | SWSUSP_PFN_ZERO };
	validate_fails(zero, 2, "reserved region");

	/* An unaligned excluded range excludes every page it touches. */
	const struct phys_range odd = { 0x30000800, 0x1000 };
	const uint64_t e1[] = { 0x30000 }, e2[] = { 0x30001 }, e3[] = { 0x2ffff, 0x30002 };
	const uint64_t *lists[] = { e1, e2, e3 };
	const uint64_t ns[] = { 1, 1, 2 };
	const int want[] = { -1, -1, 0 };
	for (int i = 0; i < 3; i++) {
		struct stream s;
		build(&s, lists[i], ns[i]);
		const char *err;
		assert_int_equal(validate(&s, &odd, NULL, &err), want[i]);
		destroy(&s);
	}

	/* Without an excluded range, the reserved PFNs are just RAM. */
	struct stream s;
	build(&s, first, 2);
	const char *err;
	assert_int_equal(validate(&s, NULL, NULL, &err), 0);
	destroy(&s);
}

/*
 * A reserved range whose end wraps past 2^64 (base + len computed as 0x2c000000)
 * let every page above its base through. The ranges and the PFN of the input
 * libFuzzer found (tests/fuzz/fuzz_swsusp.c).
 */
static void test_validate_reserved_reaching_the_top(void **state)
{
	const struct phys_range ram[] = { { 0, 0xffffffff09f000ull }, { 0x100000, 0x1ff00000 } };
	const struct phys_range excl = { 0x30000000, 0xfffffffffc000000ull };
	const uint64_t pfns[] = { 0x202, 0x4ca25 };
	struct stream s;
	build(&s, pfns, 2);
	struct swsusp_header h;
	parse_ok(&s, &h);
	const char *err = NULL;
	assert_int_equal(swsusp_validate(&h, get_page, &s, ram, 2, &excl, NULL, &err), -1);
	assert_non_null(strstr(err, "reserved region"));
	/* Below the base the pages are still fine. */
	const struct phys_range above = { 0x4ca26000, ~0ull - 0x4ca26000 + 1 };
	assert_int_equal(swsusp_validate(&h, get_page, &s, ram, 2, &above, NULL, &err), 0);
	destroy(&s);
}

static void test_validate_pfn_too_large(void **state)
{
	const struct phys_range everything = { 0, ~0ull };
	const uint64_t big[] = { 0x100, 1ull << 40 };
	const uint64_t huger[] = { 0x100, (1ull << 62) | SWSUSP_PFN_ZERO };
	const uint64_t edge[] = { 0x100, (1ull << 40) - 1 };
	const uint64_t *lists[] = { big, huger, edge };
	for (int i = 0; i < 3; i++) {
		struct stream s;
		build(&s, lists[i], 2);
		struct swsusp_header h;
		parse_ok(&s, &h);
		const char *err = NULL;
		int rc = swsusp_validate(&h, get_page, &s, &everything, 1, NULL, NULL, &err);
		if (i < 2) {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(err, "beyond"));
		} else {
			assert_int_equal(rc, 0);
		}
		destroy(&s);
	}
	/* With the normal RAM list it is refused too, not silently wrapped into RAM. */
	validate_fails(big, 2, "beyond");
	const uint64_t wraps[] = { 0x100, (1ull << 52) + 0x100 };   /* * 4096 wraps to 0x100000 */
	validate_fails(wraps, 2, "beyond");
}

static void test_validate_truncated(void **state)
{
	uint64_t *e = make_entries(1200, 0x100, 4);
	struct stream s;
	build(&s, e, 1200);
	const char *err;
	struct swsusp_layout l;
	assert_int_equal(validate(&s, &reserved, &l, &err), 0);
	assert_int_equal(l.nr_pfns, 1200);
	assert_int_equal(l.nr_zero, 300);
	/* The last data page is missing. */
	s.avail = s.pages - 1;
	assert_int_equal(validate(&s, &reserved, &l, &err), -1);
	assert_non_null(strstr(err, "truncated"));
	assert_non_null(strstr(err, "last page"));
	/* Cut inside the metadata: still reported as truncated. */
	s.avail = 2;
	assert_int_equal(validate(&s, &reserved, &l, &err), -1);
	assert_non_null(strstr(err, "truncated"));
	destroy(&s);
	free(e);
}

/* A walk error (not a PFN problem) is passed through by validate unchanged. */
static void test_validate_passes_walk_errors(void **state)
{
	uint64_t e[] = { 0x100, 0x101, 0x102 };
	struct stream s;
	build(&s, e, 3);
	meta_page(&s, 0)[2] = 0x100;
	const char *err;
	assert_int_equal(validate(&s, &reserved, NULL, &err), -1);
	assert_non_null(strstr(err, "ascending"));
	destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_header_little_endian),
		cmocka_unit_test(test_header_bad_magic),
		cmocka_unit_test(test_header_bad_counts),
		cmocka_unit_test(test_header_size_wraps),
		cmocka_unit_test(test_header_too_few_meta),
		cmocka_unit_test(test_header_empty_restore_record),
		cmocka_unit_test(test_walk_61_format),
		cmocka_unit_test(test_walk_66_zero_pages),
		cmocka_unit_test(test_walk_empty),
		cmocka_unit_test(test_walk_exactly_512),
		cmocka_unit_test(test_walk_513),
		cmocka_unit_test(test_walk_large),
		cmocka_unit_test(test_walk_reads_only_metadata),
		cmocka_unit_test(test_walk_callback_stops),
		cmocka_unit_test(test_walk_not_ascending),
		cmocka_unit_test(test_walk_more_data_than_header),
		cmocka_unit_test(test_walk_fewer_data_than_header),
		cmocka_unit_test(test_walk_truncated_metadata),
		cmocka_unit_test(test_validate_ok_with_hole),
		cmocka_unit_test(test_validate_outside_ram),
		cmocka_unit_test(test_validate_ram_partial_page),
		cmocka_unit_test(test_validate_reserved),
		cmocka_unit_test(test_validate_reserved_reaching_the_top),
		cmocka_unit_test(test_validate_pfn_too_large),
		cmocka_unit_test(test_validate_truncated),
		cmocka_unit_test(test_validate_passes_walk_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
