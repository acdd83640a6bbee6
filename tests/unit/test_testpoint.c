/* Host unit tests for guest-agent/testpoint.c: go-virtual's test points (--test-stall, --test-fail). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "testpoint.h"

#define ALL (TP_MASK(TP_AFTER_FREEZE) | TP_MASK(TP_AFTER_DETACH) | TP_MASK(TP_AFTER_SNAPSHOT) | \
	     TP_MASK(TP_KEXEC_LOAD) | TP_MASK(TP_HV_START))

/* Every point's name parses back to it, and only where it is allowed. */
static void test_parse(void **state)
{
	for (int p = TP_NONE + 1; p < TP_COUNT; p++) {
		assert_int_equal(test_point_parse(test_point_name(p), ALL), p);
		assert_int_equal(test_point_parse(test_point_name(p), ALL & ~TP_MASK(p)), TP_NONE);
	}
	assert_int_equal(test_point_parse("after-freeze", ALL), TP_AFTER_FREEZE);
	assert_int_equal(test_point_parse("hv-start", ALL), TP_HV_START);
	assert_int_equal(test_point_parse("kexec-load", TP_MASK(TP_KEXEC_LOAD)), TP_KEXEC_LOAD);
	assert_int_equal(test_point_parse("after-freez", ALL), TP_NONE);    /* whole names only */
	assert_int_equal(test_point_parse("after-freeze ", ALL), TP_NONE);
	assert_int_equal(test_point_parse("", ALL), TP_NONE);
	assert_int_equal(test_point_parse("none", ALL), TP_NONE);
}

/* The usage message lists exactly the allowed points, in go-virtual's order. */
static void test_list(void **state)
{
	char buf[160];
	test_point_list(TP_MASK(TP_AFTER_DETACH) | TP_MASK(TP_AFTER_SNAPSHOT), buf, sizeof(buf));
	assert_string_equal(buf, "POINT is one of after-detach, after-snapshot");
	test_point_list(ALL, buf, sizeof(buf));
	assert_string_equal(buf, "POINT is one of after-freeze, after-detach, after-snapshot, kexec-load, hv-start");
	char small[20];
	test_point_list(ALL, small, sizeof(small));          /* truncated, still a string (ASan) */
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

/* A failure fires at its own point only, and says where. */
static void test_fail_here_only(void **state)
{
	char why[80] = "untouched";
	assert_false(test_fail_here(TP_NONE, TP_AFTER_FREEZE, why, sizeof(why)));
	assert_false(test_fail_here(TP_AFTER_DETACH, TP_AFTER_FREEZE, why, sizeof(why)));
	assert_false(test_fail_here(TP_AFTER_FREEZE, TP_AFTER_SNAPSHOT, why, sizeof(why)));
	assert_string_equal(why, "untouched");
	assert_true(test_fail_here(TP_AFTER_FREEZE, TP_AFTER_FREEZE, why, sizeof(why)));
	assert_string_equal(why, "test: failing on purpose after the freeze");
	assert_true(test_fail_here(TP_AFTER_DETACH, TP_AFTER_DETACH, why, sizeof(why)));
	assert_string_equal(why, "test: failing on purpose after the device detach");
	assert_true(test_fail_here(TP_AFTER_SNAPSHOT, TP_AFTER_SNAPSHOT, why, sizeof(why)));
	assert_string_equal(why, "test: failing on purpose after the snapshot");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_fail_here_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
