/* Host unit tests for hypervisor/mm/memmap.c: sorting, carving, lookups. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "memmap.h"

#define MiB 0x100000ull
#define GiB 0x40000000ull

static void expect_ranges(const struct mem_range *got, int n, const struct mem_range *want, unsigned wn)
{
	if (n != (int)wn) {
		print_error("got %d ranges, want %u:\n", n, wn);
		for (int i = 0; i < n; i++)
			print_error("  0x%llx+0x%llx type %u\n", (unsigned long long)got[i].base,
				    (unsigned long long)got[i].len, got[i].type);
	}
	assert_int_equal(n, wn);
	for (unsigned i = 0; i < wn; i++) {
		assert_int_equal(got[i].base, want[i].base);
		assert_int_equal(got[i].len, want[i].len);
		assert_int_equal(got[i].type, want[i].type);
	}
}

static void test_memmap_sort(void **state)
{
	struct mem_range r[] = {
		{ 0x100000, 0x1000, MEM_RAM },
		{ 0x0, 0x9f000, MEM_RAM },
		{ 0xfffc0000, 0x40000, MEM_RESERVED },
		{ 0x9f000, 0x1000, MEM_RESERVED },
		{ 0x100000000ull, GiB, MEM_RAM },
		{ 0xe8000, 0x18000, MEM_RESERVED },
	};
	memmap_sort(r, ARRAY_SIZE(r));
	const struct mem_range want[] = {
		{ 0x0, 0x9f000, MEM_RAM },
		{ 0x9f000, 0x1000, MEM_RESERVED },
		{ 0xe8000, 0x18000, MEM_RESERVED },
		{ 0x100000, 0x1000, MEM_RAM },
		{ 0xfffc0000, 0x40000, MEM_RESERVED },
		{ 0x100000000ull, GiB, MEM_RAM },
	};
	expect_ranges(r, ARRAY_SIZE(r), want, ARRAY_SIZE(want));
}

static void test_memmap_sort_edge_cases(void **state)
{
	struct mem_range one = { 5, 1, MEM_RAM };
	memmap_sort(&one, 1);
	assert_int_equal(one.base, 5);
	memmap_sort(NULL, 0);
	/* Already sorted and reverse sorted, equal bases keep their order. */
	struct mem_range r[] = {
		{ 0x3000, 1, 1 }, { 0x2000, 1, 2 }, { 0x2000, 2, 3 }, { 0x1000, 1, 4 },
	};
	memmap_sort(r, ARRAY_SIZE(r));
	assert_int_equal(r[0].base, 0x1000);
	assert_int_equal(r[1].base, 0x2000);
	assert_int_equal(r[1].type, 2);
	assert_int_equal(r[2].base, 0x2000);
	assert_int_equal(r[2].type, 3);
	assert_int_equal(r[3].base, 0x3000);
	memmap_sort(r, ARRAY_SIZE(r));
	assert_int_equal(r[1].type, 2);
}

static void test_memmap_set_middle(void **state)
{
	struct mem_range r[8] = { { 0, 16 * MiB, MEM_RAM } };
	int n = memmap_set(r, 1, 8, 1 * MiB, 1 * MiB, MEM_RESERVED);
	const struct mem_range want[] = {
		{ 0, MiB, MEM_RAM }, { MiB, MiB, MEM_RESERVED }, { 2 * MiB, 14 * MiB, MEM_RAM },
	};
	expect_ranges(r, n, want, ARRAY_SIZE(want));
}

static void test_memmap_set_edges(void **state)
{
	struct mem_range r[8] = { { 0x100000, 0x300000, MEM_RAM } };
	/* At the start. */
	int n = memmap_set(r, 1, 8, 0x100000, 0x10000, MEM_RESERVED);
	const struct mem_range w1[] = { { 0x100000, 0x10000, MEM_RESERVED }, { 0x110000, 0x2f0000, MEM_RAM } };
	expect_ranges(r, n, w1, ARRAY_SIZE(w1));
	/* At the end. */
	n = memmap_set(r, (unsigned)n, 8, 0x3f0000, 0x10000, MEM_NVS);
	const struct mem_range w2[] = {
		{ 0x100000, 0x10000, MEM_RESERVED }, { 0x110000, 0x2e0000, MEM_RAM }, { 0x3f0000, 0x10000, MEM_NVS },
	};
	expect_ranges(r, n, w2, ARRAY_SIZE(w2));
	/* Exactly one whole range: replaced. */
	n = memmap_set(r, (unsigned)n, 8, 0x110000, 0x2e0000, MEM_ACPI);
	const struct mem_range w3[] = {
		{ 0x100000, 0x10000, MEM_RESERVED }, { 0x110000, 0x2e0000, MEM_ACPI }, { 0x3f0000, 0x10000, MEM_NVS },
	};
	expect_ranges(r, n, w3, ARRAY_SIZE(w3));
}

static void test_memmap_set_spanning(void **state)
{
	struct mem_range r[8] = {
		{ 0, MiB, MEM_RAM }, { MiB, MiB, MEM_RESERVED }, { 2 * MiB, 6 * MiB, MEM_RAM },
	};
	int n = memmap_set(r, 3, 8, 0x80000, 0x280000, MEM_NVS);
	const struct mem_range want[] = {
		{ 0, 0x80000, MEM_RAM }, { 0x80000, 0x280000, MEM_NVS }, { 0x300000, 0x500000, MEM_RAM },
	};
	expect_ranges(r, n, want, ARRAY_SIZE(want));
	/* Covering everything and more. */
	n = memmap_set(r, (unsigned)n, 8, 0, 16 * MiB, MEM_BAD);
	const struct mem_range all[] = { { 0, 16 * MiB, MEM_BAD } };
	expect_ranges(r, n, all, ARRAY_SIZE(all));
}

static void test_memmap_set_empty_and_gap(void **state)
{
	struct mem_range r[8];
	int n = memmap_set(r, 0, 8, 0, 4 * GiB, MEM_RESERVED);
	const struct mem_range w1[] = { { 0, 4 * GiB, MEM_RESERVED } };
	expect_ranges(r, n, w1, ARRAY_SIZE(w1));
	/* Into a gap between ranges: inserted in order, neighbours untouched. */
	struct mem_range g[8] = { { 0, MiB, MEM_RAM }, { 4 * MiB, MiB, MEM_RAM } };
	n = memmap_set(g, 2, 8, 2 * MiB, MiB, MEM_ACPI);
	const struct mem_range w2[] = { { 0, MiB, MEM_RAM }, { 2 * MiB, MiB, MEM_ACPI }, { 4 * MiB, MiB, MEM_RAM } };
	expect_ranges(g, n, w2, ARRAY_SIZE(w2));
	/* Touching but not overlapping: neighbours keep their extent. */
	n = memmap_set(g, (unsigned)n, 8, MiB, MiB, MEM_NVS);
	const struct mem_range w3[] = {
		{ 0, MiB, MEM_RAM }, { MiB, MiB, MEM_NVS }, { 2 * MiB, MiB, MEM_ACPI }, { 4 * MiB, MiB, MEM_RAM },
	};
	expect_ranges(g, n, w3, ARRAY_SIZE(w3));
}

static void test_memmap_set_unsorted_input(void **state)
{
	/* The result is sorted even when the input list is not. */
	struct mem_range r[8] = { { 8 * MiB, 8 * MiB, MEM_RAM }, { 0, 4 * MiB, MEM_RAM } };
	int n = memmap_set(r, 2, 8, 2 * MiB, 8 * MiB, MEM_RESERVED);
	const struct mem_range want[] = {
		{ 0, 2 * MiB, MEM_RAM }, { 2 * MiB, 8 * MiB, MEM_RESERVED }, { 10 * MiB, 6 * MiB, MEM_RAM },
	};
	expect_ranges(r, n, want, ARRAY_SIZE(want));
}

static void test_memmap_set_capacity(void **state)
{
	struct mem_range r[4] = { { 0, 16 * MiB, MEM_RAM }, { 32 * MiB, 16 * MiB, MEM_RAM } };
	struct mem_range saved[4];
	memcpy(saved, r, sizeof(r));
	/* Carving the middle of one range needs 4 entries; only 3 allowed. */
	assert_int_equal(memmap_set(r, 2, 3, MiB, MiB, MEM_RESERVED), -1);
	assert_memory_equal(r, saved, sizeof(r));           /* untouched on failure */
	/* Adding a range to a full list. */
	assert_int_equal(memmap_set(r, 2, 2, 20 * MiB, MiB, MEM_RESERVED), -1);
	assert_memory_equal(r, saved, sizeof(r));
	/* Exactly at capacity is fine. */
	assert_int_equal(memmap_set(r, 2, 4, MiB, MiB, MEM_RESERVED), 4);
	/* Replacing a whole range needs no extra room. */
	struct mem_range s[2] = { { 0, MiB, MEM_RAM }, { MiB, MiB, MEM_RAM } };
	assert_int_equal(memmap_set(s, 2, 2, MiB, MiB, MEM_NVS), 2);
	assert_int_equal(s[1].type, MEM_NVS);
}

static void test_memmap_set_many(void **state)
{
	/* Up to MB2_MAX_MMAP entries, as the boot map can have. */
	struct mem_range r[MB2_MAX_MMAP];
	int n = memmap_set(r, 0, MB2_MAX_MMAP, 0, 64 * MiB, MEM_RAM);
	for (unsigned i = 0; i < (MB2_MAX_MMAP - 1) / 2; i++)
		n = memmap_set(r, (unsigned)n, MB2_MAX_MMAP, (2 * i + 1) * MiB / 2, MiB / 4, MEM_RESERVED);
	assert_int_equal(n, 1 + 2 * ((MB2_MAX_MMAP - 1) / 2));
	for (int i = 1; i < n; i++)
		assert_int_equal(r[i - 1].base + r[i - 1].len, r[i].base);  /* sorted, contiguous */
	assert_int_equal(memmap_set(r, (unsigned)n, MB2_MAX_MMAP, 60 * MiB, MiB / 4, MEM_RESERVED), -1);
}

static void test_memmap_top(void **state)
{
	const struct mem_range r[] = {
		{ 0x100000000ull, 4 * GiB, MEM_RAM },
		{ 0, 0x9f000, MEM_RAM },
		{ 0xfffc0000, 0x40000, MEM_RESERVED },
		{ 0x100000, 0xfef0000, MEM_RAM },
		{ 0xfff0000, 0x10000, MEM_ACPI },
	};
	assert_int_equal(memmap_top(r, ARRAY_SIZE(r), MEM_RAM), 8 * GiB);
	assert_int_equal(memmap_top(r, ARRAY_SIZE(r), MEM_RESERVED), 4 * GiB);
	assert_int_equal(memmap_top(r, ARRAY_SIZE(r), MEM_ACPI), 0x10000000);
	assert_int_equal(memmap_top(r, ARRAY_SIZE(r), MEM_NVS), 0);
	assert_int_equal(memmap_top(r, 0, MEM_RAM), 0);
	assert_int_equal(memmap_top(r + 1, 1, MEM_RAM), 0x9f000);
}

static const struct mem_range cov[] = {
	{ 0, 0x9f000, MEM_RAM },
	{ 0x9f000, 0x61000, MEM_RESERVED },
	{ 0x100000, 0x100000, MEM_RAM },
	{ 0x200000, 0x200000, MEM_RAM },         /* adjacent, same type */
	{ 0x400000, 0x400000, MEM_RAM },         /* adjacent again */
	{ 0x900000, 0x100000, MEM_RAM },         /* after a 1 MiB gap */
};

static void test_memmap_covers_single(void **state)
{
	assert_true(memmap_covers(cov, ARRAY_SIZE(cov), 0, 0x9f000, MEM_RAM));
	assert_true(memmap_covers(cov, ARRAY_SIZE(cov), 0x1000, 0x1000, MEM_RAM));
	assert_true(memmap_covers(cov, ARRAY_SIZE(cov), 0x9e000, 0x1000, MEM_RAM));
	assert_false(memmap_covers(cov, ARRAY_SIZE(cov), 0x9e000, 0x1001, MEM_RAM));
	assert_true(memmap_covers(cov, ARRAY_SIZE(cov), 0x9f000, 0x61000, MEM_RESERVED));
	assert_true(memmap_covers(cov, ARRAY_SIZE(cov), 0x900000, 0x100000, MEM_RAM));
}

static void test_memmap_covers_adjacent(void **state)
{
	assert_true(memmap_covers(cov, ARRAY_SIZE(cov), 0x180000, 0x100000, MEM_RAM));
	assert_true(memmap_covers(cov, ARRAY_SIZE(cov), 0x100000, 0x700000, MEM_RAM));
	assert_true(memmap_covers(cov, ARRAY_SIZE(cov), 0x1ff000, 0x202000, MEM_RAM));
	/* Unsorted order of the same ranges. */
	const struct mem_range rev[] = {
		{ 0x400000, 0x400000, MEM_RAM }, { 0x200000, 0x200000, MEM_RAM }, { 0x100000, 0x100000, MEM_RAM },
	};
	assert_true(memmap_covers(rev, ARRAY_SIZE(rev), 0x100000, 0x700000, MEM_RAM));
}

static void test_memmap_covers_gaps_and_types(void **state)
{
	/* Running into the gap at 8-9 MiB. */
	assert_false(memmap_covers(cov, ARRAY_SIZE(cov), 0x700000, 0x200000, MEM_RAM));
	assert_false(memmap_covers(cov, ARRAY_SIZE(cov), 0x800000, 0x1000, MEM_RAM));
	assert_false(memmap_covers(cov, ARRAY_SIZE(cov), 0x7ff000, 0x102000, MEM_RAM));
	/* Past the end of everything. */
	assert_false(memmap_covers(cov, ARRAY_SIZE(cov), 0x900000, 0x101000, MEM_RAM));
	assert_false(memmap_covers(cov, ARRAY_SIZE(cov), 4 * GiB, 0x1000, MEM_RAM));
	/* Across a range of another type. */
	assert_false(memmap_covers(cov, ARRAY_SIZE(cov), 0x9e000, 0x70000, MEM_RAM));
	assert_false(memmap_covers(cov, ARRAY_SIZE(cov), 0xa0000, 0x1000, MEM_RAM));
	/* Wrong type entirely. */
	assert_false(memmap_covers(cov, ARRAY_SIZE(cov), 0x100000, 0x1000, MEM_RESERVED));
	assert_false(memmap_covers(cov, ARRAY_SIZE(cov), 0, 0x1000, MEM_ACPI));
	assert_false(memmap_covers(cov, 0, 0, 0x1000, MEM_RAM));
}

/* A range whose end wraps past 2^64 is not inside any list. */
static void test_memmap_covers_wraparound(void **state)
{
	const struct mem_range all[] = { { 0, 0x100000, MEM_RAM } };
	assert_false(memmap_covers(all, 1, 0x1000, UINT64_MAX, MEM_RAM));
	assert_false(memmap_covers(all, 1, 0x1000, 0 - 0x800ull, MEM_RAM));
	assert_false(memmap_covers(all, 1, 0x200000, 0 - 0x100000ull, MEM_RAM));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memmap_sort),
		cmocka_unit_test(test_memmap_sort_edge_cases),
		cmocka_unit_test(test_memmap_set_middle),
		cmocka_unit_test(test_memmap_set_edges),
		cmocka_unit_test(test_memmap_set_spanning),
		cmocka_unit_test(test_memmap_set_empty_and_gap),
		cmocka_unit_test(test_memmap_set_unsorted_input),
		cmocka_unit_test(test_memmap_set_capacity),
		cmocka_unit_test(test_memmap_set_many),
		cmocka_unit_test(test_memmap_top),
		cmocka_unit_test(test_memmap_covers_single),
		cmocka_unit_test(test_memmap_covers_adjacent),
		cmocka_unit_test(test_memmap_covers_gaps_and_types),
		cmocka_unit_test(test_memmap_covers_wraparound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
