/* Host unit tests for hypervisor/core/cmdline.c: options, words and PCI addresses on odv-hv's command line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cmdline.h"

static void test_opt(void **state)
{
	const char *c = "disk=ata0-slave nic=00:02.0";
	assert_string_equal(cmdline_opt(c, "disk="), "ata0-slave nic=00:02.0");
	assert_string_equal(cmdline_opt(c, "nic="), "00:02.0");
	assert_null(cmdline_opt(c, "isk="));               /* only at the start of a word */
	assert_null(cmdline_opt("xnic=1", "nic="));
	assert_null(cmdline_opt("", "disk="));
	assert_string_equal(cmdline_opt("disk=", "disk="), "");
}

static void test_word_is(void **state)
{
	assert_true(cmdline_word_is("ata0-slave nic=1", "ata0-slave"));
	assert_true(cmdline_word_is("ata0-slave", "ata0-slave"));
	assert_false(cmdline_word_is("ata0-slaves", "ata0-slave"));
	assert_false(cmdline_word_is("ata0-sla", "ata0-slave"));
	assert_false(cmdline_word_is("", "ata0-master"));
}

static void test_bdf(void **state)
{
	assert_int_equal(cmdline_bdf("00:02.0"), 0x10);
	assert_int_equal(cmdline_bdf("0000:00:02.0"), 0x10);
	assert_int_equal(cmdline_bdf("ab:1f.7 disk=x"), 0xab << 8 | 31 << 3 | 7);
	assert_int_equal(cmdline_bdf("00:20.0"), -1);       /* device 32 */
	assert_int_equal(cmdline_bdf("00:02.8"), -1);       /* function 8 */
	assert_int_equal(cmdline_bdf("00:02.0x"), -1);
	assert_int_equal(cmdline_bdf("0:2.0"), -1);
	assert_int_equal(cmdline_bdf(""), -1);              /* reads nothing past the NUL (ASan) */
	assert_int_equal(cmdline_bdf("00"), -1);
	assert_int_equal(cmdline_bdf("00:0"), -1);
}

/* Decimal option values: the word must be all digits, end at a space or the end, and fit max. */
static void test_uint(void **state)
{
	unsigned v = 7;
	assert_int_equal(cmdline_uint(cmdline_opt("disk=ata0-slave cpus=2", "cpus="), 64, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(cmdline_uint(cmdline_opt("cpus=12 nic=00:02.0", "cpus="), 64, &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(cmdline_uint(cmdline_opt("nic=00:02.0", "cpus="), 64, &v), -1);   /* absent */
	assert_int_equal(cmdline_uint("", 64, &v), -1);
	assert_int_equal(cmdline_uint("8x", 64, &v), -1);
	assert_int_equal(cmdline_uint("65", 64, &v), -1);
	assert_int_equal(cmdline_uint("99999999999999999999", 64, &v), -1);               /* no wrap */
	assert_int_equal(v, 12);                                                          /* untouched on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opt),
		cmocka_unit_test(test_word_is),
		cmocka_unit_test(test_bdf),
		cmocka_unit_test(test_uint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
