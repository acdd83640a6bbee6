/* Host unit tests for hypervisor/platform/region.c: registering, finding, moving device regions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "region.h"

struct region_table hv_regions;     /* the live table region.h names; unused here */

static enum access_result h_a(void *arg, struct mmio_request *rq) { return ACCESS_DONE; }
static enum access_result h_b(void *arg, struct mmio_request *rq) { return ACCESS_ERROR; }
static enum access_result p_a(void *arg, struct pio_request *rq) { return ACCESS_DONE; }

static struct mmio_region mr(uint64_t base, uint64_t size, mmio_handler h)
{
	return (struct mmio_region){ base, size, h, NULL, "test", REGION_EPT_HOLE, REGION_ANY_MOV, false, false };
}

static void test_mmio_find_bounds(void **state)
{
	struct region_table t = { 0 };
	struct mmio_region r = mr(0xe0000000, 0x8000, h_a);
	assert_int_equal(region_add_mmio(&t, &r), 0);
	assert_null(region_find_mmio(&t, 0xdfffffff));
	assert_non_null(region_find_mmio(&t, 0xe0000000));
	assert_non_null(region_find_mmio(&t, 0xe0007fff));
	assert_null(region_find_mmio(&t, 0xe0008000));
}

/*
 * A device's region wins over a fallback one whatever the order: the window
 * registered after the BAR in it, and a hidden BAR registered before the BAR
 * the guest later moves onto it (the case a first-registered-wins rule got wrong).
 */
static void test_mmio_device_beats_fallback(void **state)
{
	struct region_table t = { 0 };
	struct mmio_region hidden = mr(0xfebc0000, 0x20000, h_b), bar = mr(0xe0008000, 0x8000, h_a);
	struct mmio_region win = mr(0xe0000000, 0x20000, h_b);
	hidden.fallback = win.fallback = true;
	assert_int_equal(region_add_mmio(&t, &hidden), 0);
	int h = region_add_mmio(&t, &bar);
	assert_int_equal(h, 1);
	assert_int_equal(region_add_mmio(&t, &win), 2);
	assert_ptr_equal(region_find_mmio(&t, 0xe0008010)->handler, h_a);
	assert_ptr_equal(region_find_mmio(&t, 0xe0000010)->handler, h_b);
	assert_ptr_equal(region_find_mmio(&t, 0xe0010000)->handler, h_b);
	region_mmio_move(&t, h, 0xfebc0000);
	assert_ptr_equal(region_find_mmio(&t, 0xfebc0004)->handler, h_a);
	assert_ptr_equal(region_find_mmio(&t, 0xfebd0000)->handler, h_b);      /* rest of the hidden BAR */
	assert_ptr_equal(region_find_mmio(&t, 0xe0008010)->handler, h_b);      /* the old place: the window */
}

/* A moved BAR answers at its new place only; switched off, nowhere; moved again, on again. */
static void test_mmio_move_and_off(void **state)
{
	struct region_table t = { 0 };
	struct mmio_region bar = mr(0xe0000000, 0x8000, h_a);
	int h = region_add_mmio(&t, &bar);
	region_mmio_move(&t, h, 0xf0000000);
	assert_null(region_find_mmio(&t, 0xe0000000));
	assert_non_null(region_find_mmio(&t, 0xf0000004));
	region_mmio_off(&t, h);
	assert_null(region_find_mmio(&t, 0xf0000004));
	region_mmio_move(&t, h, 0xe0000000);
	assert_non_null(region_find_mmio(&t, 0xe0000004));
	region_mmio_move(&t, 99, 0x1000);       /* a bad handle changes nothing */
	region_mmio_off(&t, -1);
	assert_non_null(region_find_mmio(&t, 0xe0000004));
}

static void test_mmio_refused(void **state)
{
	struct region_table t = { 0 };
	struct mmio_region empty = mr(0x1000, 0, h_a), wrap = mr(~0xfffull, 0x2000, h_a), ok = mr(0x1000, 0x1000, h_a);
	assert_int_equal(region_add_mmio(&t, &empty), -1);
	assert_int_equal(region_add_mmio(&t, &wrap), -1);
	for (unsigned i = 0; i < MAX_MMIO_REGIONS; i++)
		assert_int_equal(region_add_mmio(&t, &ok), (int)i);
	assert_int_equal(region_add_mmio(&t, &ok), -1);
	assert_int_equal(t.nr_mmio, MAX_MMIO_REGIONS);
}

/* Any byte of the access counts: a word at 0x3f5 reaches 0x3f6. */
static void test_pio_overlap(void **state)
{
	struct region_table t = { 0 };
	struct pio_region ctl = { 0x3f6, 1, p_a, NULL }, cfg = { 0xcf8, 8, p_a, NULL };
	assert_int_equal(region_add_pio(&t, &ctl), 0);
	assert_int_equal(region_add_pio(&t, &cfg), 1);
	assert_null(region_find_pio(&t, 0x3f4, 2));
	assert_ptr_equal(region_find_pio(&t, 0x3f5, 2), &t.pio[0]);
	assert_ptr_equal(region_find_pio(&t, 0x3f6, 1), &t.pio[0]);
	assert_null(region_find_pio(&t, 0x3f7, 4));
	assert_ptr_equal(region_find_pio(&t, 0xcfe, 4), &t.pio[1]);
	assert_ptr_equal(region_find_pio(&t, 0xcf5, 4), &t.pio[1]);
	assert_null(region_find_pio(&t, 0xd00, 4));
}

static void test_pio_refused_and_truncate(void **state)
{
	struct region_table t = { 0 };
	struct pio_region past_end = { 0xfffe, 4, p_a, NULL }, none = { 0x80, 0, p_a, NULL };
	struct pio_region a = { 0x1f0, 8, p_a, NULL };
	struct mmio_region m = mr(0x1000, 0x1000, h_a);
	assert_int_equal(region_add_pio(&t, &past_end), -1);
	assert_int_equal(region_add_pio(&t, &none), -1);
	region_add_pio(&t, &a);
	region_add_mmio(&t, &m);
	region_truncate(&t, 0, 0);
	assert_null(region_find_pio(&t, 0x1f0, 1));
	assert_null(region_find_mmio(&t, 0x1000));
	region_truncate(&t, 5, 5);               /* never grows */
	assert_int_equal(t.nr_mmio, 0);
	assert_int_equal(t.nr_pio, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmio_find_bounds),
		cmocka_unit_test(test_mmio_device_beats_fallback),
		cmocka_unit_test(test_mmio_move_and_off),
		cmocka_unit_test(test_mmio_refused),
		cmocka_unit_test(test_pio_overlap),
		cmocka_unit_test(test_pio_refused_and_truncate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
