/* Host unit tests for guest-agent/hvlog_ring.c: reading odv-hv's log ring from outside. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hvlog.h"

/* A ring of 8 bytes that has been written the stream "abcdefghijklmnopqrstuvwxyz"[0..head). */
static void fill(char ring[8], uint64_t head)
{
	for (uint64_t i = 0; i < head; i++)
		ring[i & 7] = (char)('a' + i);
}

static void test_no_wrap(void **state)
{
	(void)state;
	char ring[8], out[16] = { 0 };
	fill(ring, 6);
	assert_int_equal(hvlog_ring_copy(ring, 8, 6, 2, out, sizeof(out)), 4);
	assert_string_equal(out, "cdef");
}

static void test_wraps_around_the_end(void **state)
{
	(void)state;
	char ring[8], out[16] = { 0 };
	fill(ring, 13);   /* keeps "fghijklm", with "fgh" at the ring's end */
	assert_int_equal(hvlog_ring_copy(ring, 8, 13, 7, out, sizeof(out)), 6);
	assert_string_equal(out, "hijklm");
}

static void test_overwritten_bytes_are_dropped(void **state)
{
	(void)state;
	char ring[8], out[16] = { 0 };
	fill(ring, 20);   /* from 2 on asked, but only the newest 8 are kept */
	assert_int_equal(hvlog_ring_copy(ring, 8, 20, 2, out, sizeof(out)), 8);
	assert_string_equal(out, "mnopqrst");
}

static void test_only_the_newest_fit(void **state)
{
	(void)state;
	char ring[8], out[4] = { 0 };
	fill(ring, 10);
	assert_int_equal(hvlog_ring_copy(ring, 8, 10, 4, out, 3), 3);
	assert_memory_equal(out, "hij", 3);
}

static void test_nothing_new_or_bad_size(void **state)
{
	(void)state;
	char ring[8], out[16];
	fill(ring, 5);
	assert_int_equal(hvlog_ring_copy(ring, 8, 5, 5, out, sizeof(out)), 0);
	assert_int_equal(hvlog_ring_copy(ring, 8, 5, 9, out, sizeof(out)), 0);   /* mark past the head */
	assert_int_equal(hvlog_ring_copy(ring, 6, 5, 0, out, sizeof(out)), 0);   /* not a power of two */
	assert_int_equal(hvlog_ring_copy(ring, 0, 5, 0, out, sizeof(out)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_wrap),
		cmocka_unit_test(test_wraps_around_the_end),
		cmocka_unit_test(test_overwritten_bytes_are_dropped),
		cmocka_unit_test(test_only_the_newest_fit),
		cmocka_unit_test(test_nothing_new_or_bad_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
