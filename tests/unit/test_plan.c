/*
 * Host unit tests for the agent's pure helpers: memmap= parsing and lookup
 * (guest-agent/sysfacts.c) and where the image stream goes (guest-agent/plan.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "odv.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define PG  4096ull

/* ---------------------------------------------------------------- parse_memmap_reservation */

static void expect_none(const char *cmdline);

static void expect_parse(const char *val, uint64_t base, uint64_t size)
{
	uint64_t b = 0xdead, s = 0xbeef;
	int rc = parse_memmap_reservation(val, &b, &s);
	if (rc)
		print_error("\"%s\" was rejected\n", val);
	assert_int_equal(rc, 0);
	assert_int_equal(b, base);
	assert_int_equal(s, size);
}

static void expect_reject(const char *val)
{
	uint64_t b = 0, s = 0;
	int rc = parse_memmap_reservation(val, &b, &s);
	if (rc != -1)
		print_error("\"%s\" was accepted: base 0x%llx size 0x%llx\n", val,
			    (unsigned long long)b, (unsigned long long)s);
	assert_int_equal(rc, -1);
}

static void test_parse_reservation_forms(void **state)
{
	expect_parse("64M$0x30000000", 0x30000000, 64 * MiB);
	expect_parse("0x4000000$0x30000000", 0x30000000, 64 * MiB);
	expect_parse("1G$4G", 4 * GiB, 1 * GiB);
	expect_parse("512K$0x100000", 0x100000, 512 * KiB);
	expect_parse("64m$768m", 768 * MiB, 64 * MiB);
	expect_parse("2g$0x100000000", 4 * GiB, 2 * GiB);
	expect_parse("128k$1024k", 1 * MiB, 128 * KiB);
	expect_parse("67108864$805306368", 0x30000000, 64 * MiB);
	expect_parse("4096$0", 0, 4096);
	/* Large: a reservation above 4 GiB and one bigger than 4 GiB. */
	expect_parse("8G$0x200000000", 8 * GiB, 8 * GiB);
}

/* The value may be followed by the rest of a command line or another list element. */
static void test_parse_reservation_terminators(void **state)
{
	expect_parse("64M$0x30000000 quiet", 0x30000000, 64 * MiB);
	expect_parse("64M$0x30000000,1M!2M", 0x30000000, 64 * MiB);
	expect_parse("64M$0x30000000\n", 0x30000000, 64 * MiB);
	expect_reject("64M$0x30000000x");
	expect_reject("64M$0x30000000$");
	expect_reject("64M$0x30000000;");
	expect_reject("64M$0x3000000Z");
}

static void test_parse_reservation_rejects(void **state)
{
	expect_reject("64M@0x1000");      /* usable RAM, not reserved */
	expect_reject("64M#0x1000");      /* ACPI data */
	expect_reject("64M!0x1000");      /* protected */
	expect_reject("64M");             /* no address */
	expect_reject("64M$");            /* empty address */
	expect_reject("$0x1000");         /* no size */
	expect_reject("M$0x1000");
	expect_reject("0$0x1000");        /* size 0 */
	expect_reject("0M$0x1000");
	expect_reject("0x0$0x30000000");
	expect_reject("");
	expect_reject("exactmap");
	expect_reject("nopentium");
	expect_reject("64 M$0x1000");
	expect_reject("64M $0x1000");
}

/*
 * Linux's memparse() takes neither a sign nor leading blanks: "memmap=-64M$..."
 * reserves nothing, and in "memmap=64M$ 0x30000000" the address is not part
 * of the value (the kernel reserves at 0). The agent must not read
 * a reservation at 0x30000000 out of either.
 */
static void test_parse_reservation_no_sign_or_blank(void **state)
{
	expect_reject("-64M$0x30000000");
	expect_reject("64M$-0x30000000");
	expect_reject("+64M$0x30000000");
	expect_reject("64M$ 0x30000000");
	expect_reject("64M$\t0x30000000");
	expect_none("quiet memmap=64M$ 0x30000000");
	expect_none("quiet memmap=-64M$0x30000000");
}

/* ---------------------------------------------------------------- find_reservation */

static void expect_find(const char *cmdline, uint64_t base, uint64_t size)
{
	struct reservation r = { 1, 2, false };
	bool ok = find_reservation(cmdline, &r);
	if (!ok)
		print_error("no reservation found in \"%s\"\n", cmdline);
	assert_true(ok);
	assert_true(r.found);
	assert_int_equal(r.base, base);
	assert_int_equal(r.size, size);
}

static void expect_none(const char *cmdline)
{
	struct reservation r = { 1, 2, true };
	bool ok = find_reservation(cmdline, &r);
	if (ok)
		print_error("found 0x%llx+0x%llx in \"%s\"\n", (unsigned long long)r.base,
			    (unsigned long long)r.size, cmdline);
	assert_false(ok);
	assert_false(r.found);
}

static void test_find_reservation_cmdline(void **state)
{
	expect_find("BOOT_IMAGE=/vmlinuz root=/dev/sda1 memmap=64M$0x30000000 quiet", 0x30000000, 64 * MiB);
	/* First and last word, with the trailing newline of /proc/cmdline. */
	expect_find("memmap=64M$0x30000000 ro quiet", 0x30000000, 64 * MiB);
	expect_find("ro quiet memmap=128M$0x10000000\n", 0x10000000, 128 * MiB);
	expect_find("memmap=1G$4G", 4 * GiB, 1 * GiB);
	/* Among other memmap= words of other kinds. */
	expect_find("memmap=1M!2M memmap=64M$0x30000000 memmap=4K#0x9000", 0x30000000, 64 * MiB);
}

static void test_find_reservation_comma_list(void **state)
{
	expect_find("quiet memmap=1M!2M,64M$0x30000000 ro", 0x30000000, 64 * MiB);
	expect_find("memmap=64M$0x30000000,1M!2M", 0x30000000, 64 * MiB);
	expect_find("memmap=exactmap,640K@0,64M$0x30000000,1M#0x9f000 x", 0x30000000, 64 * MiB);
	expect_none("memmap=1M!2M,4M@0x1000000");
}

static void test_find_reservation_absent(void **state)
{
	expect_none("");
	expect_none("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet");
	expect_none("xmemmap=64M$0x30000000");
	expect_none("root=/dev/sda1 xmemmap=64M$0x30000000 quiet");
	expect_none("foo.memmap=64M$0x30000000");
	expect_none("memmap=64M@0x30000000");
	expect_none("memmap=");
	expect_none("memmap= 64M$0x30000000");
	expect_none("memmap=64M$");
	expect_none("memmap=0$0x30000000");
	/* A lookalike word must not hide a real one after it. */
	expect_find("xmemmap=1M$0x1000 memmap=64M$0x30000000", 0x30000000, 64 * MiB);
	/* A "memmap=" inside another parameter's value is not a parameter. */
	expect_none("init=/bin/sh,memmap=64M$0x30000000");
}

/* ---------------------------------------------------------------- plan_free_runs */

static void expect_runs(const struct phys_run *got, int n, const struct phys_run *want, int wn)
{
	if (n != wn) {
		print_error("got %d runs, want %d:\n", n, wn);
		for (int i = 0; i < n; i++)
			print_error("  pfn 0x%llx pages 0x%llx\n", (unsigned long long)got[i].pfn,
				    (unsigned long long)got[i].pages);
	}
	assert_int_equal(n, wn);
	for (int i = 0; i < wn; i++) {
		assert_int_equal(got[i].pfn, want[i].pfn);
		assert_int_equal(got[i].pages, want[i].pages);
	}
}

static int by_pfn(const void *a, const void *b)
{
	const struct phys_run *x = a, *y = b;
	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

static void sort_runs(struct phys_run *r, int n)
{
	qsort(r, (size_t)n, sizeof(*r), by_pfn);
}

static void test_free_runs_simple(void **state)
{
	const struct odv_handoff_mem ram[] = { { 0, 128 * MiB, ODV_MEM_RAM, 0 } };
	struct phys_run out[8];
	int n = plan_free_runs(ram, 1, NULL, 0, 0x3000000, 16 * MiB, out, 8);
	const struct phys_run want[] = {
		{ 256, 0x3000 - 256 }, { 0x4000, 0x4000 },
	};
	sort_runs(out, n);
	expect_runs(out, n, want, 2);
}

/* Below 1 MiB is never handed out, whatever the map says. */
static void test_free_runs_low_mib(void **state)
{
	const struct odv_handoff_mem ram[] = {
		{ 0, 0x9f000, ODV_MEM_RAM, 0 },
		{ 0x9f000, 0x61000, ODV_MEM_RESERVED, 0 },
		{ 0x100000, 0x100000, ODV_MEM_RAM, 0 },
	};
	struct phys_run out[8];
	int n = plan_free_runs(ram, 3, NULL, 0, 0x40000000, 64 * MiB, out, 8);
	const struct phys_run want[] = { { 256, 256 } };
	expect_runs(out, n, want, 1);

	/* A range straddling 1 MiB starts at 1 MiB. */
	const struct odv_handoff_mem straddle[] = { { 0x80000, 0x100000, ODV_MEM_RAM, 0 } };
	n = plan_free_runs(straddle, 1, NULL, 0, 0x40000000, 64 * MiB, out, 8);
	const struct phys_run want2[] = { { 256, 0x80 } };
	expect_runs(out, n, want2, 1);

	/* Only low memory: nothing at all. */
	n = plan_free_runs(ram, 1, NULL, 0, 0x40000000, 64 * MiB, out, 8);
	assert_int_equal(n, 0);
}

static void test_free_runs_types(void **state)
{
	const struct odv_handoff_mem ram[] = {
		{ 1 * MiB, 1 * MiB, ODV_MEM_RAM, 0 },
		{ 2 * MiB, 1 * MiB, ODV_MEM_RESERVED, 0 },
		{ 3 * MiB, 1 * MiB, ODV_MEM_ACPI, 0 },
		{ 4 * MiB, 1 * MiB, ODV_MEM_NVS, 0 },
		{ 5 * MiB, 2 * MiB, ODV_MEM_RAM, 0 },
		{ 7 * MiB, 1 * MiB, 99, 0 },
		{ 8 * MiB, 1 * MiB, 0, 0 },
	};
	struct phys_run out[8];
	int n = plan_free_runs(ram, 7, NULL, 0, 0x40000000, 64 * MiB, out, 8);
	sort_runs(out, n);
	const struct phys_run want[] = { { 0x100, 0x100 }, { 0x500, 0x200 } };
	expect_runs(out, n, want, 2);
}

/* Unaligned range ends: only whole pages inside the range count. */
static void test_free_runs_unaligned_ram(void **state)
{
	const struct odv_handoff_mem ram[] = { { 0x200800, 0x10000, ODV_MEM_RAM, 0 } };
	struct phys_run out[4];
	int n = plan_free_runs(ram, 1, NULL, 0, 0x40000000, 64 * MiB, out, 4);
	/* [0x200800, 0x210800): pages 0x201 .. 0x20f */
	const struct phys_run want[] = { { 0x201, 0xf } };
	expect_runs(out, n, want, 1);
	/* Less than one whole page: nothing. */
	const struct odv_handoff_mem tiny[] = { { 0x200800, 0x1000, ODV_MEM_RAM, 0 } };
	n = plan_free_runs(tiny, 1, NULL, 0, 0x40000000, 64 * MiB, out, 4);
	assert_int_equal(n, 0);
}

static void test_free_runs_used(void **state)
{
	const struct odv_handoff_mem ram[] = {
		{ 0, 0x9f000, ODV_MEM_RAM, 0 },
		{ 1 * MiB, 1 * MiB, ODV_MEM_RAM, 0 },        /* pages 0x100 .. 0x1ff */
		{ 4 * MiB, 1 * MiB, ODV_MEM_RAM, 0 },        /* pages 0x400 .. 0x4ff */
	};
	const uint64_t used[] = {
		0x10, 0x50,                      /* low memory: irrelevant */
		0x100,                           /* first page of a range */
		0x140, 0x141, 0x142,             /* a block */
		0x180, 0x182,                    /* one free page between */
		0x1ff,                           /* last page of the range */
		0x300,                           /* not RAM */
		0x400, 0x401,
		0x4fe,
		0x800,                           /* past everything */
	};
	struct phys_run out[16];
	int n = plan_free_runs(ram, 3, used, sizeof(used) / 8, 0x40000000, 64 * MiB, out, 16);
	sort_runs(out, n);
	const struct phys_run want[] = {
		{ 0x101, 0x3f }, { 0x143, 0x3d }, { 0x181, 1 }, { 0x183, 0x7c },
		{ 0x402, 0xfc }, { 0x4ff, 1 },
	};
	expect_runs(out, n, want, 6);
}

static void test_free_runs_excluded(void **state)
{
	const struct odv_handoff_mem ram[] = { { 1 * MiB, 15 * MiB, ODV_MEM_RAM, 0 } };   /* 0x100 .. 0xfff */
	struct phys_run out[8];
	int n;
	/* In the middle, with used pages on both sides and inside it. */
	const uint64_t used[] = { 0x3ff, 0x400, 0x480, 0x500, 0x501 };
	n = plan_free_runs(ram, 1, used, 5, 0x400000, 1 * MiB, out, 8);
	sort_runs(out, n);
	const struct phys_run want[] = { { 0x100, 0x2ff }, { 0x502, 0xafe } };
	expect_runs(out, n, want, 2);
	/* Covering the start of the range. */
	n = plan_free_runs(ram, 1, NULL, 0, 0, 2 * MiB, out, 8);
	const struct phys_run want2[] = { { 0x200, 0xe00 } };
	expect_runs(out, n, want2, 1);
	/* Covering its end, and beyond. */
	n = plan_free_runs(ram, 1, NULL, 0, 8 * MiB, 64 * MiB, out, 8);
	const struct phys_run want3[] = { { 0x100, 0x700 } };
	expect_runs(out, n, want3, 1);
	/* Covering all of it. */
	n = plan_free_runs(ram, 1, NULL, 0, 0, 1 * GiB, out, 8);
	assert_int_equal(n, 0);
	/* Unaligned: every page it touches is excluded. */
	n = plan_free_runs(ram, 1, NULL, 0, 0x400800, 0x1000, out, 8);
	sort_runs(out, n);
	const struct phys_run want4[] = { { 0x100, 0x300 }, { 0x402, 0xbfe } };
	expect_runs(out, n, want4, 2);
	/* Elsewhere: no effect. */
	n = plan_free_runs(ram, 1, NULL, 0, 2 * GiB, 64 * MiB, out, 8);
	const struct phys_run want5[] = { { 0x100, 0xf00 } };
	expect_runs(out, n, want5, 1);
}

/* More runs than room: the largest are kept. */
static void test_free_runs_keeps_largest(void **state)
{
	/* Runs of 1..20 pages separated by single used pages, in a scrambled order of sizes. */
	static const unsigned sizes[20] = { 7, 19, 2, 13, 1, 20, 8, 15, 4, 11, 17, 3, 10, 6, 18, 5, 14, 9, 16, 12 };
	uint64_t used[20];
	uint64_t p = 0x100;
	for (int i = 0; i < 20; i++) {
		p += sizes[i];
		used[i] = p++;
	}
	const struct odv_handoff_mem ram[] = { { 1 * MiB, (used[19] - 0x100) * PG, ODV_MEM_RAM, 0 } };
	struct phys_run out[20];
	int n = plan_free_runs(ram, 1, used, 20, 0x40000000, 64 * MiB, out, 20);
	assert_int_equal(n, 20);
	n = plan_free_runs(ram, 1, used, 20, 0x40000000, 64 * MiB, out, 5);
	assert_int_equal(n, 5);
	uint64_t seen = 0;
	for (int i = 0; i < n; i++) {
		assert_true(out[i].pages >= 16 && out[i].pages <= 20);
		seen |= 1ull << out[i].pages;
		/* It is the real run of that size: ends just before a used page. */
		uint64_t end = out[i].pfn + out[i].pages;
		bool found = false;
		for (int k = 0; k < 20; k++)
			found |= used[k] == end && sizes[k] == out[i].pages;
		assert_true(found);
	}
	assert_true(seen == (0x1full << 16));
	n = plan_free_runs(ram, 1, used, 20, 0x40000000, 64 * MiB, out, 1);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].pages, 20);
	n = plan_free_runs(ram, 1, used, 20, 0x40000000, 64 * MiB, out, 0);
	assert_int_equal(n, 0);
}

/*
 * The interface only asks for `used` to be sorted. A firmware map given
 * high range first must give the same runs as the sorted one.
 */
static void test_free_runs_unsorted_ram_order(void **state)
{
	const struct odv_handoff_mem sorted[] = {
		{ 1 * MiB, 1 * MiB, ODV_MEM_RAM, 0 },
		{ 4 * GiB, 1 * MiB, ODV_MEM_RAM, 0 },
	};
	const struct odv_handoff_mem reversed[] = { sorted[1], sorted[0] };
	const uint64_t used[] = { 0x180, 4 * GiB / PG + 0x10 };
	struct phys_run a[8], b[8];
	int na = plan_free_runs(sorted, 2, used, 2, 0x40000000, 64 * MiB, a, 8);
	int nb = plan_free_runs(reversed, 2, used, 2, 0x40000000, 64 * MiB, b, 8);
	sort_runs(a, na);
	sort_runs(b, nb);
	const struct phys_run want[] = {
		{ 0x100, 0x80 }, { 0x181, 0x7f }, { 4 * GiB / PG, 0x10 }, { 4 * GiB / PG + 0x11, 0xef },
	};
	expect_runs(a, na, want, 4);
	expect_runs(b, nb, want, 4);
}

/* ---- property test: random layouts against a page-by-page reference ---- */

static uint64_t rng_state = 0x0dd5eed0c0ffee11ull;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

#define SPACE 24576u   /* pages in the random address space (96 MiB) */

struct layout {
	struct odv_handoff_mem ram[16];
	int nr_ram;
	uint64_t used[SPACE];
	uint64_t nr_used;
	uint64_t excl_base, excl_len;
	uint8_t free_page[SPACE];   /* the reference answer */
	struct phys_run ref[SPACE];
	int nr_ref;
};

static bool page_is_ram(const struct layout *L, uint64_t p)
{
	for (int i = 0; i < L->nr_ram; i++)
		if (L->ram[i].type == ODV_MEM_RAM && p * PG >= L->ram[i].base &&
		    (p + 1) * PG <= L->ram[i].base + L->ram[i].len)
			return true;
	return false;
}

static void random_layout(struct layout *L)
{
	static const uint32_t types[] = { ODV_MEM_RAM, ODV_MEM_RAM, ODV_MEM_RAM, ODV_MEM_RESERVED,
					  ODV_MEM_ACPI, ODV_MEM_NVS };
	memset(L->free_page, 0, sizeof(L->free_page));
	/* Ranges in ascending order, at least one page apart (so runs never merge across them). */
	L->nr_ram = 0;
	uint64_t cursor = rnd_below(400);
	int want = 1 + (int)rnd_below(12);
	while (L->nr_ram < want && cursor < SPACE - 2) {
		uint64_t len = 1 + rnd_below(rnd_below(2) ? 300 : 6000);
		if (cursor + len > SPACE)
			len = SPACE - cursor;
		uint64_t lo = rnd_below(4) ? 0 : rnd_below(PG);        /* unaligned start, sometimes */
		uint64_t hi = rnd_below(4) ? 0 : rnd_below(PG);        /* unaligned end, sometimes */
		uint64_t base = cursor * PG + lo, end = (cursor + len) * PG - hi;
		if (end <= base)
			end = base + 1;
		L->ram[L->nr_ram++] = (struct odv_handoff_mem){ base, end - base,
								types[rnd_below(sizeof(types) / sizeof(types[0]))], 0 };
		cursor += len + 1 + rnd_below(200);
	}
	/* Used PFNs: sorted, unique, some outside RAM and below 1 MiB. */
	uint64_t density = 1 + rnd_below(rnd_below(3) ? 50 : 1000);   /* per 1000 pages */
	L->nr_used = 0;
	for (uint64_t p = 0; p < SPACE; p++)
		if (rnd_below(1000) < density)
			L->used[L->nr_used++] = p;
	/* The reserved region: never empty, sometimes unaligned, sometimes outside everything. */
	L->excl_base = rnd_below(SPACE + 1000) * PG + (rnd_below(3) ? 0 : rnd_below(PG));
	L->excl_len = (1 + rnd_below(4000)) * PG - (rnd_below(3) ? 0 : rnd_below(PG));

	/* Reference: page by page. */
	uint64_t u = 0;
	for (uint64_t p = 0; p < SPACE; p++) {
		bool used = false;
		while (u < L->nr_used && L->used[u] < p)
			u++;
		used = u < L->nr_used && L->used[u] == p;
		bool excl = p * PG < L->excl_base + L->excl_len && (p + 1) * PG > L->excl_base;
		L->free_page[p] = p >= 256 && page_is_ram(L, p) && !used && !excl;
	}
	L->nr_ref = 0;
	for (uint64_t p = 0; p < SPACE;) {
		if (!L->free_page[p]) {
			p++;
			continue;
		}
		uint64_t q = p;
		while (q < SPACE && L->free_page[q])
			q++;
		L->ref[L->nr_ref++] = (struct phys_run){ p, q - p };
		p = q;
	}
}

static int by_pages_desc(const void *a, const void *b)
{
	const struct phys_run *x = a, *y = b;
	return x->pages > y->pages ? -1 : x->pages < y->pages;
}

static void check_against_reference(const struct layout *L, int iter, int max)
{
	static struct phys_run out[SPACE], sizes[SPACE];
	int n = plan_free_runs(L->ram, L->nr_ram, L->used, L->nr_used, L->excl_base, L->excl_len, out, max);
	int want_n = L->nr_ref < max ? L->nr_ref : max;
	if (n != want_n)
		print_error("iteration %d, max %d: %d runs, want %d\n", iter, max, n, want_n);
	assert_int_equal(n, want_n);
	/* Every page handed out is free RAM: RAM, >= 1 MiB, not used, not excluded. */
	for (int i = 0; i < n; i++) {
		assert_true(out[i].pages > 0);
		for (uint64_t p = out[i].pfn; p < out[i].pfn + out[i].pages; p++) {
			assert_true(p >= 256);
			assert_true(p < SPACE);
			if (!L->free_page[p])
				print_error("iteration %d: page 0x%llx in run 0x%llx+0x%llx is not free\n", iter,
					    (unsigned long long)p, (unsigned long long)out[i].pfn,
					    (unsigned long long)out[i].pages);
			assert_true(L->free_page[p]);
		}
	}
	/* Runs do not overlap, and each is a whole free run (maximal), not a piece of one. */
	sort_runs(out, n);
	for (int i = 0; i < n; i++) {
		if (i)
			assert_true(out[i - 1].pfn + out[i - 1].pages <= out[i].pfn);
		uint64_t s = out[i].pfn, e = s + out[i].pages;
		assert_true(s == 0 || !L->free_page[s - 1]);
		assert_true(e >= SPACE || !L->free_page[e]);
	}
	/* They are the largest ones. */
	memcpy(sizes, L->ref, sizeof(L->ref[0]) * (size_t)L->nr_ref);
	qsort(sizes, (size_t)L->nr_ref, sizeof(sizes[0]), by_pages_desc);
	qsort(out, (size_t)n, sizeof(out[0]), by_pages_desc);
	for (int i = 0; i < n; i++)
		assert_int_equal(out[i].pages, sizes[i].pages);
}

static void test_free_runs_random(void **state)
{
	static struct layout L;
	for (int iter = 0; iter < 300; iter++) {
		random_layout(&L);
		check_against_reference(&L, iter, SPACE);
		check_against_reference(&L, iter, 64);
		check_against_reference(&L, iter, 16);
		check_against_reference(&L, iter, 3);
		check_against_reference(&L, iter, 1);
	}
}

/* ---------------------------------------------------------------- plan_stream_segments */

static void check_segments(const struct odv_handoff_seg *segs, int n, uint64_t pages)
{
	uint64_t total = 0;
	for (int i = 0; i < n; i++) {
		assert_true(segs[i].pages > 0);
		assert_int_equal(segs[i].phys & 0xfff, 0);
		total += segs[i].pages;
	}
	assert_int_equal(total, pages);
}

static void test_segments_largest_first(void **state)
{
	struct phys_run runs[] = { { 0x1000, 10 }, { 0x2000, 50 }, { 0x100000, 30 } };
	struct odv_handoff_seg segs[16];
	int n = plan_stream_segments(runs, 3, 70, segs, 16);
	assert_int_equal(n, 2);
	assert_int_equal(segs[0].phys, 0x2000 * PG);
	assert_int_equal(segs[0].pages, 50);
	assert_int_equal(segs[1].phys, 0x100000 * PG);   /* 4 GiB: 64-bit */
	assert_int_equal(segs[1].pages, 20);
	check_segments(segs, n, 70);
}

static void test_segments_exact_and_small(void **state)
{
	struct phys_run runs[] = { { 0x1000, 10 }, { 0x2000, 50 }, { 0x3000, 30 } };
	struct odv_handoff_seg segs[16];
	/* Exactly everything. */
	int n = plan_stream_segments(runs, 3, 90, segs, 16);
	assert_int_equal(n, 3);
	assert_int_equal(segs[0].phys, 0x2000 * PG);
	assert_int_equal(segs[1].phys, 0x3000 * PG);
	assert_int_equal(segs[2].phys, 0x1000 * PG);
	assert_int_equal(segs[2].pages, 10);
	check_segments(segs, n, 90);
	/* Fits in the largest alone. */
	struct phys_run runs2[] = { { 0x1000, 10 }, { 0x2000, 50 }, { 0x3000, 30 } };
	n = plan_stream_segments(runs2, 3, 50, segs, 16);
	assert_int_equal(n, 1);
	assert_int_equal(segs[0].phys, 0x2000 * PG);
	assert_int_equal(segs[0].pages, 50);
	n = plan_stream_segments(runs2, 3, 1, segs, 16);
	assert_int_equal(n, 1);
	assert_int_equal(segs[0].pages, 1);
	/* Nothing to place. */
	n = plan_stream_segments(runs2, 3, 0, segs, 16);
	assert_int_equal(n, 0);
	n = plan_stream_segments(NULL, 0, 0, segs, 16);
	assert_int_equal(n, 0);
}

static void test_segments_too_small(void **state)
{
	struct phys_run runs[] = { { 0x1000, 10 }, { 0x2000, 50 }, { 0x3000, 30 } };
	struct odv_handoff_seg segs[16];
	assert_int_equal(plan_stream_segments(runs, 3, 91, segs, 16), -1);
	assert_int_equal(plan_stream_segments(runs, 3, 1000000, segs, 16), -1);
	assert_int_equal(plan_stream_segments(NULL, 0, 1, segs, 16), -1);
	/* Enough RAM, but not in few enough segments. */
	struct phys_run many[20];
	for (int i = 0; i < 20; i++)
		many[i] = (struct phys_run){ 0x1000 + 0x100 * (uint64_t)i, 4 };
	assert_int_equal(plan_stream_segments(many, 20, 65, segs, 16), -1);
	assert_int_equal(plan_stream_segments(many, 20, 64, segs, 16), 16);
	check_segments(segs, 16, 64);
	assert_int_equal(plan_stream_segments(many, 20, 9, segs, 2), -1);
	assert_int_equal(plan_stream_segments(many, 20, 8, segs, 2), 2);
	assert_int_equal(plan_stream_segments(many, 20, 1, segs, 0), -1);
	/* Never writes more than max_segs entries. */
	struct odv_handoff_seg guard[4];
	memset(guard, 0x5a, sizeof(guard));
	assert_int_equal(plan_stream_segments(many, 20, 80, guard, 2), -1);
	assert_true(guard[2].phys == 0x5a5a5a5a5a5a5a5aull);
	assert_true(guard[3].pages == 0x5a5a5a5a5a5a5a5aull);
}

/* Free runs straight into segments, on random layouts: the stream fits or -1, never a bad plan. */
static void test_segments_random(void **state)
{
	static struct layout L;
	static struct phys_run runs[64];
	struct odv_handoff_seg segs[ODV_HANDOFF_MAX_SEGS];
	rng_state = 0x5eed0000abcdull;
	for (int iter = 0; iter < 200; iter++) {
		random_layout(&L);
		int nr = plan_free_runs(L.ram, L.nr_ram, L.used, L.nr_used, L.excl_base, L.excl_len, runs, 64);
		uint64_t cap = 0;   /* what the 14 largest runs hold */
		qsort(L.ref, (size_t)L.nr_ref, sizeof(L.ref[0]), by_pages_desc);
		for (int i = 0; i < L.nr_ref && i < 14; i++)
			cap += L.ref[i].pages;
		uint64_t pages = rnd_below(cap + 50);
		int n = plan_stream_segments(runs, nr, pages, segs, 14);
		if (pages > cap) {
			assert_int_equal(n, -1);
			continue;
		}
		assert_true(n >= 0 && n <= 14);
		check_segments(segs, n, pages);
		for (int i = 0; i < n; i++) {
			uint64_t p0 = segs[i].phys / PG;
			for (uint64_t p = p0; p < p0 + segs[i].pages; p++)
				assert_true(L.free_page[p]);
			if (i)
				assert_true(segs[i - 1].pages >= segs[i].pages);
		}
	}
}


/* ---------------------------------------------------------------- plan_region_is_ram */

static void test_region_is_ram(void **state)
{
	(void)state;
	/* Unsorted, with an adjacent pair that together covers 1..3 GiB, a hole at
	 * 3 GiB and a reserved range above 4 GiB. */
	const struct odv_handoff_mem mem[] = {
		{ 2 * GiB, 1 * GiB, ODV_MEM_RAM, 0 },
		{ 1 * MiB, 1 * GiB - 1 * MiB, ODV_MEM_RAM, 0 },
		{ 1 * GiB, 1 * GiB, ODV_MEM_RAM, 0 },
		{ 4 * GiB, 1 * GiB, ODV_MEM_RESERVED, 0 },
	};
	assert_true(plan_region_is_ram(mem, 4, 768 * MiB, 64 * MiB));
	assert_true(plan_region_is_ram(mem, 4, 1 * GiB - 32 * MiB, 64 * MiB));   /* across two entries */
	assert_true(plan_region_is_ram(mem, 4, 1 * MiB, 3 * GiB - 1 * MiB));     /* all of them */
	assert_false(plan_region_is_ram(mem, 4, 3 * GiB - 32 * MiB, 64 * MiB));  /* runs into the hole */
	assert_false(plan_region_is_ram(mem, 4, 3 * GiB, 64 * MiB));             /* beyond RAM */
	assert_false(plan_region_is_ram(mem, 4, 4 * GiB, 64 * MiB));             /* reserved, not RAM */
	assert_false(plan_region_is_ram(mem, 4, 0, 64 * MiB));                   /* the first MiB is not listed */
	assert_false(plan_region_is_ram(mem, 4, 768 * MiB, 0));
	assert_false(plan_region_is_ram(mem, 4, ~0ull - 4095, 8192));            /* wraps */
	assert_false(plan_region_is_ram(mem, 0, 768 * MiB, 64 * MiB));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_reservation_forms),
		cmocka_unit_test(test_parse_reservation_terminators),
		cmocka_unit_test(test_parse_reservation_rejects),
		cmocka_unit_test(test_parse_reservation_no_sign_or_blank),
		cmocka_unit_test(test_find_reservation_cmdline),
		cmocka_unit_test(test_find_reservation_comma_list),
		cmocka_unit_test(test_find_reservation_absent),
		cmocka_unit_test(test_free_runs_simple),
		cmocka_unit_test(test_free_runs_low_mib),
		cmocka_unit_test(test_free_runs_types),
		cmocka_unit_test(test_free_runs_unaligned_ram),
		cmocka_unit_test(test_free_runs_used),
		cmocka_unit_test(test_free_runs_excluded),
		cmocka_unit_test(test_free_runs_keeps_largest),
		cmocka_unit_test(test_free_runs_unsorted_ram_order),
		cmocka_unit_test(test_free_runs_random),
		cmocka_unit_test(test_segments_largest_first),
		cmocka_unit_test(test_segments_exact_and_small),
		cmocka_unit_test(test_segments_too_small),
		cmocka_unit_test(test_segments_random),
		cmocka_unit_test(test_region_is_ram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
