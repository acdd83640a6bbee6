/*
 * Host unit tests for large maps (issue #14, "All of RAM"): odv-hv's direct
 * map built by pt_map_identity (paging.c) and the guest's EPT built by
 * ept_build_identity (ept.c), at 64 GiB and 1 TiB, with 1 GiB pages allowed
 * and not: how many tables and leaves, and what sample addresses translate to.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ept.h"
#include "paging.h"

#define MiB 0x100000ull
#define GiB 0x40000000ull
#define TiB (1024 * GiB)

/* Fake physical memory: a table's "physical" address is its pointer. */
#define MAX_TABLES 4096
static void *tables[MAX_TABLES];
static unsigned allocated;
static void *fake_alloc(void *ctx, uint64_t *phys)
{
	assert_true(allocated < MAX_TABLES);
	void *p = aligned_alloc(4096, 4096);
	assert_non_null(p);
	memset(p, 0, 4096);
	tables[allocated++] = p;
	*phys = (uint64_t)(uintptr_t)p;
	return p;
}
static void *fake_ptr(void *ctx, uint64_t phys) { return (void *)(uintptr_t)phys; }

static int free_tables(void **state)
{
	while (allocated)
		free(tables[--allocated]);
	return 0;
}

static const struct pt_env env = { fake_alloc, fake_ptr, NULL };

/* As odv-hv starts: the boot stub's 0-4 GiB in 2 MiB pages under one root (4 PDs, 1 PDPT). */
static uint64_t boot_root(void)
{
	uint64_t root;
	fake_alloc(NULL, &root);
	struct pt_map_stats st;
	assert_int_equal(pt_map_identity(&pt_x86, &env, root, 4, 0, 4 * GiB, false, PTE_P | PTE_RW, &st), 0);
	assert_int_equal(st.tables, 1 + 4);
	assert_int_equal(st.leaves_2m, 2048);
	return root;
}

static void expect_identity(uint64_t root, uint64_t va, int level)
{
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt_x86, &env, root, 4, va, &l), 0);
	assert_int_equal(l.pa, va);
	assert_int_equal(l.level, level);
	assert_int_equal(l.entry & (PTE_P | PTE_RW), PTE_P | PTE_RW);
}

/* Extend the boot map to top; check counts, the bound, and translations at the edges. */
static void extend_and_check(uint64_t top, bool g1, unsigned tables, unsigned l1g, unsigned l2m)
{
	uint64_t root = boot_root();
	struct pt_map_stats st;
	assert_int_equal(pt_map_identity(&pt_x86, &env, root, 4, 4 * GiB, top, g1, PTE_P | PTE_RW, &st), 0);
	assert_int_equal(st.tables, tables);
	assert_int_equal(st.leaves_1g, l1g);
	assert_int_equal(st.leaves_2m, l2m);
	assert_true(pt_identity_tables_max(4 * GiB, top, g1) >= st.tables);
	expect_identity(root, 0, 2);                                  /* first page: the boot map */
	expect_identity(root, 4 * GiB - 4096 + 0x123, 2);             /* last boot page */
	expect_identity(root, 4 * GiB, g1 ? 3 : 2);                   /* first new page */
	if (top > 513 * GiB)
		expect_identity(root, 512 * GiB + 0x5000, g1 ? 3 : 2);      /* the first page under PML4[1] */
	expect_identity(root, top - 8, (g1 && !(top & (GiB - 1))) ? 3 : 2);   /* the last byte's page */
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt_x86, &env, root, 4, top, &l), -1);   /* the top: not mapped */
	/* Mapping it all again changes nothing; a different page over it is refused. */
	assert_int_equal(pt_map_identity(&pt_x86, &env, root, 4, 4 * GiB, top, g1, PTE_P | PTE_RW, &st), 0);
	assert_int_equal(st.tables, 0);
	assert_int_equal(pt_map_large(&pt_x86, &env, root, 4, 4 * GiB, 8 * GiB, g1 ? 3 : 2, PTE_P | PTE_RW), -1);
}

static void test_direct_64g_1g(void **s)  { extend_and_check(64 * GiB, true, 0, 60, 0); }
static void test_direct_64g_2m(void **s)  { extend_and_check(64 * GiB, false, 60, 0, 60 * 512); }
/* 1 TiB: PML4[1] needs a second PDPT; without 1 GiB pages one PD per GiB. */
static void test_direct_1t_1g(void **s)   { extend_and_check(TiB, true, 1, 1020, 0); }
static void test_direct_1t_2m(void **s)   { extend_and_check(TiB, false, 1 + 1020, 0, 1020 * 512); }
/* A top that is not a whole GiB: 2 MiB pages in one more PD for the rest. */
static void test_direct_ragged_top(void **s) { extend_and_check(64 * GiB + 6 * MiB, true, 1, 60, 3); }

static void test_direct_bad_args(void **s)
{
	uint64_t root = boot_root();
	struct pt_map_stats st;
	assert_int_equal(pt_map_identity(&pt_x86, &env, root, 4, 4 * GiB, 4 * GiB + 4096, true, PTE_P, &st), -1);
	assert_int_equal(pt_map_large(&pt_x86, &env, root, 4, 5 * GiB + 2 * MiB, 5 * GiB + 2 * MiB, 3, PTE_P), -1);
	assert_int_equal(pt_map_large(&pt_x86, &env, root, 4, 5 * GiB, 5 * GiB, 1, PTE_P), -1);
	/* A 1 GiB page where the boot map has a PD of 2 MiB pages: refused, nothing clobbered. */
	assert_int_equal(pt_map_large(&pt_x86, &env, root, 4, 0, 0, 3, PTE_P | PTE_RW), -1);
	expect_identity(root, 0x200000, 2);
}

/*
 * The guest's EPT over [0, top): low RAM, the legacy hole at 640 KiB-1 MiB,
 * RAM to 3 GiB, the PCI hole 3-4 GiB present uncached, RAM above 4 GiB
 * but for a 2 MiB hole (odv-hv's region, say) at 32 GiB + 2 MiB.
 */
#define HOLE (32 * GiB + 2 * MiB)
static unsigned layout(struct ept_range *r, uint64_t top)
{
	unsigned n = 0;
	r[n++] = (struct ept_range){ 0, 0xa0000, EPT_MT_WB };
	r[n++] = (struct ept_range){ MiB, 3 * GiB, EPT_MT_WB };
	r[n++] = (struct ept_range){ 3 * GiB, 4 * GiB, EPT_MT_UC };
	r[n++] = (struct ept_range){ 4 * GiB, HOLE, EPT_MT_WB };
	r[n++] = (struct ept_range){ HOLE + 2 * MiB, top, EPT_MT_WB };
	return n;
}

static void expect_ept(const struct ept_env *e, uint64_t root, uint64_t gpa, int present, uint8_t type)
{
	uint64_t hpa, perms;
	uint8_t mt;
	int rc = ept_translate(e, root, gpa, &hpa, &mt, &perms);
	assert_int_equal(rc, present ? 0 : -1);
	if (present) {
		assert_int_equal(hpa, gpa);
		assert_int_equal(mt, type);
		assert_int_equal(perms, EPT_RWX);
	}
}

static void ept_check(uint64_t top, bool g1, unsigned tables, unsigned l1g, unsigned l2m)
{
	struct ept_env e = { fake_alloc, fake_ptr, NULL, g1, true, 4, false };
	struct ept_range r[8];
	unsigned n = layout(r, top);
	uint64_t root;
	struct ept_stats st;
	assert_int_equal(ept_build_identity(&e, r, n, top, &root, &st), 0);
	assert_int_equal(st.tables, tables);
	assert_int_equal(st.leaves_1g, l1g);
	assert_int_equal(st.leaves_2m, l2m);
	assert_int_equal(st.leaves_4k, 160 + 256);        /* the first 2 MiB around the legacy hole */
	expect_ept(&e, root, 0, 1, EPT_MT_WB);              /* first page */
	expect_ept(&e, root, 0xa0000, 0, 0);                /* the legacy hole */
	expect_ept(&e, root, MiB, 1, EPT_MT_WB);            /* just past it */
	expect_ept(&e, root, 3 * GiB + 0x1000, 1, EPT_MT_UC);
	expect_ept(&e, root, HOLE + 0x3000, 0, 0);          /* the hole above 4 GiB */
	expect_ept(&e, root, HOLE + 2 * MiB, 1, EPT_MT_WB); /* just past it */
	expect_ept(&e, root, top - 4096, 1, EPT_MT_WB);     /* last page */
	expect_ept(&e, root, top, 0, 0);                    /* the top */
}

/* 1 GiB pages: PML4 + PDPT(s) + the PD and PT of the first GiB + the PD around the hole. */
static void test_ept_64g_1g(void **s) { ept_check(64 * GiB, true, 1 + 1 + 2 + 1, 3 + 59, 511 + 511); }
static void test_ept_1t_1g(void **s)  { ept_check(TiB, true, 1 + 2 + 2 + 1, 3 + 1019, 511 + 511); }
/* 2 MiB pages only: a PD for every GiB. */
static void test_ept_64g_2m(void **s) { ept_check(64 * GiB, false, 1 + 1 + 64 + 1, 0, 511 + 63 * 512 - 1); }
static void test_ept_1t_2m(void **s)  { ept_check(TiB, false, 1 + 2 + 1024 + 1, 0, 511 + 1023 * 512 - 1); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_direct_64g_1g, free_tables),
		cmocka_unit_test_teardown(test_direct_64g_2m, free_tables),
		cmocka_unit_test_teardown(test_direct_1t_1g, free_tables),
		cmocka_unit_test_teardown(test_direct_1t_2m, free_tables),
		cmocka_unit_test_teardown(test_direct_ragged_top, free_tables),
		cmocka_unit_test_teardown(test_direct_bad_args, free_tables),
		cmocka_unit_test_teardown(test_ept_64g_1g, free_tables),
		cmocka_unit_test_teardown(test_ept_1t_1g, free_tables),
		cmocka_unit_test_teardown(test_ept_64g_2m, free_tables),
		cmocka_unit_test_teardown(test_ept_1t_2m, free_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
