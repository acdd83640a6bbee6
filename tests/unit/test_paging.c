/* Host unit tests for hypervisor/mm/paging.c: walks and 4 KiB mappings on fake physical memory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "paging.h"

#define NPAGES 64
#define BASE   0x100000ull            /* fake physical address of page 0 */
static uint64_t mem[NPAGES][512];
static unsigned used, alloc_limit;

static void *fake_alloc(void *ctx, uint64_t *phys)
{
	if (used >= alloc_limit)
		return NULL;
	memset(mem[used], 0, sizeof(mem[used]));
	*phys = BASE + (uint64_t)used * 4096;
	return mem[used++];
}

/* Only the fake pages are reachable; anything else is "not the guest's RAM". */
static void *fake_ptr(void *ctx, uint64_t phys)
{
	if (phys < BASE || phys >= BASE + NPAGES * 4096ull || (phys & 0xfff))
		return NULL;
	return mem[(phys - BASE) / 4096];
}

static const struct pt_env env = { fake_alloc, fake_ptr, NULL };

static uint64_t new_root(void)
{
	uint64_t phys;
	assert_non_null(fake_alloc(NULL, &phys));
	return phys;
}

static int setup(void **state)
{
	used = 0;
	alloc_limit = NPAGES;
	return 0;
}

static void test_map_then_lookup(void **state)
{
	uint64_t root = new_root();
	uint64_t va = 0xffffffff80123000ull;
	assert_int_equal(pt_map_4k(&pt_x86, &env, root, 4, va, 0x7654000, PTE_P | PTE_RW, false), 0);
	assert_int_equal(used, 4);                       /* root + PDPT + PD + PT */
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt_x86, &env, root, 4, va + 0x123, &l), 0);
	assert_int_equal(l.pa, 0x7654123);
	assert_int_equal(l.level, 1);
	assert_int_equal(l.entry, 0x7654000 | PTE_P | PTE_RW);
	/* A neighbour in the same table needs no new table. */
	assert_int_equal(pt_map_4k(&pt_x86, &env, root, 4, va + 0x1000, 0x1000, PTE_P, false), 0);
	assert_int_equal(used, 4);
	assert_int_equal(pt_lookup(&pt_x86, &env, root, 4, va + 0x2000, &l), -1);
}

/* Without replace, another page at va is refused; the same page is fine. With replace it is overwritten. */
static void test_replace(void **state)
{
	uint64_t root = new_root();
	assert_int_equal(pt_map_4k(&pt_x86, &env, root, 4, 0x5000, 0xa000, PTE_P, false), 0);
	assert_int_equal(pt_map_4k(&pt_x86, &env, root, 4, 0x5000, 0xa000, PTE_P | PTE_RW, false), 0);
	assert_int_equal(pt_map_4k(&pt_x86, &env, root, 4, 0x5000, 0xb000, PTE_P, false), -1);
	assert_int_equal(pt_map_4k(&pt_x86, &env, root, 4, 0x5000, 0xb000, PTE_P, true), 0);
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt_x86, &env, root, 4, 0x5008, &l), 0);
	assert_int_equal(l.pa, 0xb008);
}

/* 2 MiB and 1 GiB leaves translate with their offsets, and refuse a 4 KiB mapping inside. */
static void test_large_pages(void **state)
{
	uint64_t root = new_root(), pdpt, pd;
	uint64_t *r = mem[0], *p3 = fake_alloc(NULL, &pdpt), *p2 = fake_alloc(NULL, &pd);
	assert_non_null(p3);
	assert_non_null(p2);
	r[0] = pdpt | PTE_P | PTE_RW;
	p3[1] = 0x80000000ull | PTE_P | PTE_PS;              /* 1 GiB at va 1 GiB */
	p3[0] = pd | PTE_P | PTE_RW;
	p2[3] = 0x40600000ull | PTE_P | PTE_PS;              /* 2 MiB at va 6 MiB */
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt_x86, &env, root, 4, 0x40001234ull, &l), 0);
	assert_int_equal(l.pa, 0x80001234ull);
	assert_int_equal(l.level, 3);
	assert_int_equal(pt_lookup(&pt_x86, &env, root, 4, 0x6abcdeull, &l), 0);
	assert_int_equal(l.pa, 0x406abcdeull);
	assert_int_equal(l.level, 2);
	assert_int_equal(pt_map_4k(&pt_x86, &env, root, 4, 0x601000, 0x1000, PTE_P, true), -1);
	assert_int_equal(pt_map_4k(&pt_x86, &env, root, 4, 0x40002000ull, 0x1000, PTE_P, true), -1);
}

static void test_five_levels(void **state)
{
	uint64_t root = new_root();
	uint64_t va = 0x00ff800000000000ull;       /* needs the 5th level's index */
	assert_int_equal(pt_map_4k(&pt_x86, &env, root, 5, va, 0x3000, PTE_P, false), 0);
	assert_int_equal(used, 5);
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt_x86, &env, root, 5, va, &l), 0);
	assert_int_equal(l.pa, 0x3000);
	assert_int_equal(pt_lookup(&pt_x86, &env, root, 4, va, &l), -1);   /* a 4-level walk reads other entries */
}

/* Out of tables, or a table outside reachable memory: -1, nothing mapped. */
static void test_failures(void **state)
{
	uint64_t root = new_root();
	alloc_limit = 2;
	assert_int_equal(pt_map_4k(&pt_x86, &env, root, 4, 0x1000, 0x1000, PTE_P, false), -1);
	mem[0][0] = 0xdead000 | PTE_P;              /* points outside the fake memory */
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt_x86, &env, root, 4, 0x1000, &l), -1);
	assert_int_equal(pt_map_4k(&pt_x86, &env, root, 4, 0x1000, 0x1000, PTE_P, true), -1);
	assert_int_equal(pt_lookup(&pt_x86, &env, 0x42000, 4, 0, &l), -1);    /* root unreachable */
}

/* EPT: an entry with only X set is present; table entries grant R/W/X. */
static void test_ept_format(void **state)
{
	uint64_t root = new_root();
	assert_int_equal(pt_map_4k(&pt_ept, &env, root, 4, 0xfee00000ull, 0xfee00000ull, 0x4, false), 0);
	assert_int_equal(mem[0][(0xfee00000ull >> 39) & 511] & 7, 7);
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt_ept, &env, root, 4, 0xfee00300ull, &l), 0);
	assert_int_equal(l.pa, 0xfee00300ull);
	assert_int_equal(l.entry & 7, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_map_then_lookup, setup),
		cmocka_unit_test_setup(test_replace, setup),
		cmocka_unit_test_setup(test_large_pages, setup),
		cmocka_unit_test_setup(test_five_levels, setup),
		cmocka_unit_test_setup(test_failures, setup),
		cmocka_unit_test_setup(test_ept_format, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
