/* Host unit tests for hypervisor/entry/frame_set.c: the restore's set of stream frames, anywhere in memory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "frame_set.h"

static unsigned budget, used;
static void *pages[256];
static void *page(void *ctx)
{
	if (!budget || used == 256)
		return NULL;
	budget--;
	void *p = aligned_alloc(4096, 4096);
	memset(p, 0, 4096);
	return pages[used++] = p;
}

static int free_pages(void **state)
{
	while (used)
		free(pages[--used]);
	return 0;
}

#define GIB_FRAMES (1ull << 18)

/* Frames below and above 4 GiB, a run across a leaf boundary, single frames near 1 TiB. */
static void test_add_has(void **s)
{
	struct frame_set fs = { .alloc = page };
	budget = 100;
	assert_int_equal(frame_set_add(&fs, 0x100, 3), 0);
	assert_int_equal(frame_set_add(&fs, 4 * GIB_FRAMES + 32768 - 70, 200), 0);    /* over a leaf edge */
	assert_int_equal(frame_set_add(&fs, 1024 * GIB_FRAMES - 1, 1), 0);
	assert_false(frame_set_has(&fs, 0xff));
	assert_true(frame_set_has(&fs, 0x100));
	assert_true(frame_set_has(&fs, 0x102));
	assert_false(frame_set_has(&fs, 0x103));
	assert_false(frame_set_has(&fs, 4 * GIB_FRAMES + 32768 - 71));
	for (uint64_t f = 4 * GIB_FRAMES + 32768 - 70; f < 4 * GIB_FRAMES + 32768 + 130; f++)
		assert_true(frame_set_has(&fs, f));
	assert_false(frame_set_has(&fs, 4 * GIB_FRAMES + 32768 + 130));
	assert_true(frame_set_has(&fs, 1024 * GIB_FRAMES - 1));
	assert_false(frame_set_has(&fs, 1024 * GIB_FRAMES));
	assert_false(frame_set_has(&fs, 2048 * GIB_FRAMES));          /* no leaf there */
	/* Pages: dir 0 + leaf at 0, the two leaves at 4 GiB, dir + leaf near 1 TiB. */
	assert_int_equal(fs.pages, 1 + 1 + 2 + 1 + 1);
}

/* A large run is set a word at a time and costs one leaf per 128 MiB. */
static void test_large_run(void **s)
{
	struct frame_set fs = { .alloc = page };
	budget = 100;
	assert_int_equal(frame_set_add(&fs, 5 * GIB_FRAMES + 7, GIB_FRAMES), 0);
	assert_int_equal(fs.pages, 1 + 9);
	assert_false(frame_set_has(&fs, 5 * GIB_FRAMES + 6));
	assert_true(frame_set_has(&fs, 5 * GIB_FRAMES + 7));
	assert_true(frame_set_has(&fs, 6 * GIB_FRAMES + 6));
	assert_false(frame_set_has(&fs, 6 * GIB_FRAMES + 7));
}

/* Out of pages, or beyond the set's reach: -1. */
static void test_limits(void **s)
{
	struct frame_set fs = { .alloc = page };
	budget = 2;
	assert_int_equal(frame_set_add(&fs, 0, 32768), 0);
	assert_int_equal(frame_set_add(&fs, 32768, 1), -1);
	budget = 10;
	assert_int_equal(frame_set_add(&fs, FRAME_SET_LIMIT_PFN - 1, 2), -1);
	assert_int_equal(frame_set_add(&fs, ~0ull, 1), -1);
	assert_false(frame_set_has(&fs, ~0ull));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_add_has, free_pages),
		cmocka_unit_test_teardown(test_large_run, free_pages),
		cmocka_unit_test_teardown(test_limits, free_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
