/* Host unit tests for hypervisor/core/fmt.c (fmt_vsnprintf / fmt_snprintf). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "fmt.h"

/*
 * Format the same arguments with fmt_snprintf and the host snprintf and
 * require identical output and return value. Only used for cases where
 * the two have the same semantics.
 */
#define SAME_AS_HOST(...) do { \
	char got_[256], want_[256]; \
	memset(got_, 0x5a, sizeof(got_)); \
	int rg_ = fmt_snprintf(got_, sizeof(got_), __VA_ARGS__); \
	int rw_ = snprintf(want_, sizeof(want_), __VA_ARGS__); \
	assert_string_equal(got_, want_); \
	assert_int_equal(rg_, rw_); \
} while (0)

static void test_fmt_plain_text(void **state)
{
	SAME_AS_HOST("hello, world");
	SAME_AS_HOST("100%% sure");
	SAME_AS_HOST("%%");
	SAME_AS_HOST("a%%b%%c");
}

static void test_fmt_strings(void **state)
{
	SAME_AS_HOST("%s", "abc");
	SAME_AS_HOST("[%s]", "");
	SAME_AS_HOST("[%8s]", "abc");
	SAME_AS_HOST("[%-8s]", "abc");
	SAME_AS_HOST("[%2s]", "abcdef");
	SAME_AS_HOST("[%-2s]", "abcdef");
	SAME_AS_HOST("[%3s]", "abc");
	SAME_AS_HOST("%s=%s", "key", "value");
}

static void test_fmt_null_string(void **state)
{
	const char *volatile nothing = NULL;
	char buf[64];
	int n = fmt_snprintf(buf, sizeof(buf), "<%s>", nothing);
	assert_string_equal(buf, "<(null)>");
	assert_int_equal(n, 8);
	n = fmt_snprintf(buf, sizeof(buf), "<%8s>", nothing);
	assert_string_equal(buf, "<  (null)>");
	assert_int_equal(n, 10);
}

static void test_fmt_chars(void **state)
{
	SAME_AS_HOST("%c", 'x');
	SAME_AS_HOST("%c%c%c", 'a', 'b', 'c');
	SAME_AS_HOST("[%c]", ' ');
	SAME_AS_HOST("%c", 0xff);
	/* A NUL character is emitted and counted. */
	char buf[8];
	memset(buf, 0x5a, sizeof(buf));
	int n = fmt_snprintf(buf, sizeof(buf), "a%cb", 0);
	assert_int_equal(n, 3);
	assert_int_equal(buf[0], 'a');
	assert_int_equal(buf[1], '\0');
	assert_int_equal(buf[2], 'b');
	assert_int_equal(buf[3], '\0');
}

static void test_fmt_signed(void **state)
{
	SAME_AS_HOST("%d", 0);
	SAME_AS_HOST("%d", 1);
	SAME_AS_HOST("%d", -1);
	SAME_AS_HOST("%d", 123456789);
	SAME_AS_HOST("%d", -123456789);
	SAME_AS_HOST("%d", INT_MAX);
	SAME_AS_HOST("%d", INT_MIN);
	SAME_AS_HOST("%i", 42);
	SAME_AS_HOST("%i", -42);
	SAME_AS_HOST("%i", INT_MIN);
	SAME_AS_HOST("%d %i %d", 1, -2, 3);
}

static void test_fmt_signed_64(void **state)
{
	SAME_AS_HOST("%ld", 0L);
	SAME_AS_HOST("%ld", -1L);
	SAME_AS_HOST("%ld", (long)INT64_MAX);
	SAME_AS_HOST("%ld", (long)INT64_MIN);
	SAME_AS_HOST("%li", (long)INT64_MIN);
	SAME_AS_HOST("%lld", LLONG_MIN);
	SAME_AS_HOST("%lld", LLONG_MAX);
	SAME_AS_HOST("%lld", -1234567890123LL);
	SAME_AS_HOST("%zd", (ssize_t)-5);
	SAME_AS_HOST("%ld", 0x100000000L);
	SAME_AS_HOST("%ld", -0x100000000L);
	/* INT64_MIN by itself: the magnitude does not fit a signed 64-bit value. */
	char buf[32];
	int n = fmt_snprintf(buf, sizeof(buf), "%ld", (long)INT64_MIN);
	assert_string_equal(buf, "-9223372036854775808");
	assert_int_equal(n, 20);
	n = fmt_snprintf(buf, sizeof(buf), "%25ld", (long)INT64_MIN);
	assert_string_equal(buf, "     -9223372036854775808");
	assert_int_equal(n, 25);
	n = fmt_snprintf(buf, sizeof(buf), "%025ld", (long)INT64_MIN);
	assert_string_equal(buf, "-000009223372036854775808");
}

static void test_fmt_unsigned(void **state)
{
	SAME_AS_HOST("%u", 0u);
	SAME_AS_HOST("%u", 4000000000u);
	SAME_AS_HOST("%u", UINT_MAX);
	SAME_AS_HOST("%lu", ULONG_MAX);
	SAME_AS_HOST("%llu", ULLONG_MAX);
	SAME_AS_HOST("%zu", SIZE_MAX);
	SAME_AS_HOST("%zu", (size_t)4096);
	/* %u of a negative int reinterprets the bits as unsigned int (32 bits). */
	SAME_AS_HOST("%u", (unsigned)-1);
}

static void test_fmt_hex(void **state)
{
	SAME_AS_HOST("%x", 0u);
	SAME_AS_HOST("%x", 0xdeadbeefu);
	SAME_AS_HOST("%X", 0xdeadbeefu);
	SAME_AS_HOST("%x", 0xau);
	SAME_AS_HOST("%X", 0xabcdefu);
	SAME_AS_HOST("%lx", 0xffffffffffffffffUL);
	SAME_AS_HOST("%lX", 0x0123456789abcdefUL);
	SAME_AS_HOST("%llx", 0xfedcba9876543210ULL);
	SAME_AS_HOST("%zx", (size_t)0x1000);
	SAME_AS_HOST("%lx", 0x100000000UL);
	/* Without a length modifier only 32 bits are taken. */
	SAME_AS_HOST("%x", (unsigned)0xffffffffu);
}

static void test_fmt_width_and_flags(void **state)
{
	SAME_AS_HOST("[%5d]", 42);
	SAME_AS_HOST("[%-5d]", 42);
	SAME_AS_HOST("[%05d]", 42);
	SAME_AS_HOST("[%5d]", -42);
	SAME_AS_HOST("[%-5d]", -42);
	SAME_AS_HOST("[%05d]", -42);
	SAME_AS_HOST("[%2d]", 12345);
	SAME_AS_HOST("[%02d]", -12345);
	SAME_AS_HOST("[%0d]", 7);
	SAME_AS_HOST("[%1d]", 0);
	SAME_AS_HOST("[%08x]", 0xbeefu);
	SAME_AS_HOST("[%-8x]", 0xbeefu);
	SAME_AS_HOST("[%8X]", 0xbeefu);
	SAME_AS_HOST("[%016lx]", 0x1234UL);
	SAME_AS_HOST("[%016lx]", 0xffffffff00000000UL);
	SAME_AS_HOST("[%-16lx]", 0x1234UL);
	SAME_AS_HOST("[%20lu]", ULONG_MAX);
	SAME_AS_HOST("[%-22ld]", (long)INT64_MIN);
	SAME_AS_HOST("[%010u]", 123u);
	SAME_AS_HOST("[%12lld]", -1LL);
	/* '-' wins over '0': padding on the right with spaces. */
	/* (Formats in variables: the compiler warns about the redundant flag.) */
	const char *both1 = "[%-08d]", *both2 = "[%0-8d]", *both3 = "[%-08x]";
	SAME_AS_HOST(both1, 42);
	SAME_AS_HOST(both2, -42);
	SAME_AS_HOST(both3, 0xabu);
	SAME_AS_HOST("[%40d]", 1);
}

static void test_fmt_mixed(void **state)
{
	SAME_AS_HOST("exit %s (%u) at rip=0x%016lx qual=%lx cpl=%d", "cpuid", 10u,
		     0xffffffff81000000UL, 0UL, 0);
	SAME_AS_HOST("%s:%d: %c%c %5s|%-5s|%x", "file.c", 123, 'o', 'k', "ab", "cd", 255u);
	SAME_AS_HOST("%d%%", 50);
	SAME_AS_HOST("%zu bytes at %lx", (size_t)65536, 0x7000UL);
}

static void test_fmt_pointer(void **state)
{
	char buf[64];
	int x;
	void *p = &x;
	int n = fmt_snprintf(buf, sizeof(buf), "%p", p);
	assert_int_equal(n, (int)strlen(buf));
	assert_true(strncmp(buf, "0x", 2) == 0);
	assert_int_equal(strtoull(buf + 2, NULL, 16), (uintptr_t)p);
	/* Pointers print as hex; NULL is a hex zero, not "(nil)". */
	n = fmt_snprintf(buf, sizeof(buf), "%p", (void *)0);
	assert_true(strncmp(buf, "0x", 2) == 0);
	assert_int_equal(strtoull(buf + 2, NULL, 16), 0);
	assert_true(strspn(buf + 2, "0") == strlen(buf + 2));
	n = fmt_snprintf(buf, sizeof(buf), "%p", (void *)0xffff888012345000UL);
	assert_string_equal(buf, "0xffff888012345000");
	assert_int_equal(n, 18);
}

/* Truncation at every buffer size: same content and return value as the host. */
static void check_truncation(const char *expect_full, int (*fn)(char *, size_t))
{
	size_t full = strlen(expect_full);
	for (size_t size = 1; size <= full + 3; size++) {
		char buf[300];
		memset(buf, 0x5a, sizeof(buf));
		int n = fn(buf, size);
		assert_int_equal(n, (int)full);
		size_t kept = size - 1 < full ? size - 1 : full;
		assert_int_equal(strlen(buf), kept);
		assert_memory_equal(buf, expect_full, kept);
		/* Nothing written past the given size. */
		for (size_t i = size; i < sizeof(buf); i++)
			assert_int_equal((unsigned char)buf[i], 0x5a);
	}
	/* Size 0: nothing written at all, even a NUL; NULL buffer allowed. */
	char one = 0x5a;
	assert_int_equal(fn(&one, 0), (int)full);
	assert_int_equal((unsigned char)one, 0x5a);
	assert_int_equal(fn(NULL, 0), (int)full);
}

static int trunc_case1(char *b, size_t s) { return fmt_snprintf(b, s, "value=%d hex=%08x %s!", -12345, 0xabcu, "tail"); }
static int trunc_case2(char *b, size_t s) { return fmt_snprintf(b, s, "%-10s|%10s|", "left", "right"); }
static int trunc_case3(char *b, size_t s) { return fmt_snprintf(b, s, "%ld %lu %%", (long)INT64_MIN, ULONG_MAX); }
static int trunc_case4(char *b, size_t s) { return fmt_snprintf(b, s, "%c%c%c%c", 'w', 'x', 'y', 'z'); }

static void test_fmt_truncation(void **state)
{
	check_truncation("value=-12345 hex=00000abc tail!", trunc_case1);
	check_truncation("left      |     right|", trunc_case2);
	check_truncation("-9223372036854775808 18446744073709551615 %", trunc_case3);
	check_truncation("wxyz", trunc_case4);
}

static void test_fmt_truncation_size_one(void **state)
{
	char buf[4] = { 'a', 'b', 'c', 'd' };
	int n = fmt_snprintf(buf, 1, "%s %d", "hello", 42);
	assert_int_equal(n, 8);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'b');
}

static void test_fmt_truncation_matches_host(void **state)
{
	/* Compare with the host at every size for a mixed format. */
	for (size_t size = 0; size < 60; size++) {
		char a[64], b[64];
		memset(a, 0x11, sizeof(a));
		memset(b, 0x11, sizeof(b));
		int ra = fmt_snprintf(size ? a : NULL, size, "[%-6d|%06x|%s|%lu]", -7, 0x1fu, "str", 18446744073709551615UL);
		int rb = snprintf(size ? b : NULL, size, "[%-6d|%06x|%s|%lu]", -7, 0x1fu, "str", 18446744073709551615UL);
		assert_int_equal(ra, rb);
		assert_memory_equal(a, b, sizeof(a));
	}
}

static int via_va(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void test_fmt_vsnprintf(void **state)
{
	char buf[64];
	int n = via_va(buf, sizeof(buf), "%s-%d-%lx", "v", -3, 0xabcUL);
	assert_string_equal(buf, "v--3-abc");
	assert_int_equal(n, 8);
	n = via_va(buf, 4, "%s", "truncated");
	assert_string_equal(buf, "tru");
	assert_int_equal(n, 9);
}

/* Random integers with a fixed-seed PRNG against the host. */
#define RNG_SEED 0x9e3779b97f4a7c15ull
#include "prng.h"

static void test_fmt_random_numbers(void **state)
{
	static const char *const convs[] = { "ld", "lu", "lx", "lX", "d", "u", "x", "X", "i", "lli", "llu", "zu", "zx" };
	static const char *const flags[] = { "", "0", "-", "-0" };
	for (int i = 0; i < 20000; i++) {
		uint64_t v = rng() >> (rng() % 64);
		if (rng() & 1)
			v = (uint64_t)-(int64_t)v;
		unsigned c = (unsigned)(rng() % ARRAY_SIZE(convs));
		char spec[32];
		snprintf(spec, sizeof(spec), "<%%%s%u%s>", flags[rng() % 4], (unsigned)(rng() % 26), convs[c]);
		char got[128], want[128];
		int rg, rw;
		if (convs[c][0] == 'l' || convs[c][0] == 'z') {
			rg = fmt_snprintf(got, sizeof(got), spec, v);
			rw = snprintf(want, sizeof(want), spec, v);
		} else {
			rg = fmt_snprintf(got, sizeof(got), spec, (unsigned)v);
			rw = snprintf(want, sizeof(want), spec, (unsigned)v);
		}
		if (strcmp(got, want) != 0 || rg != rw)
			print_error("format \"%s\" value 0x%llx: got \"%s\" (%d), host \"%s\" (%d)\n",
				    spec, (unsigned long long)v, got, rg, want, rw);
		assert_string_equal(got, want);
		assert_int_equal(rg, rw);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_plain_text),
		cmocka_unit_test(test_fmt_strings),
		cmocka_unit_test(test_fmt_null_string),
		cmocka_unit_test(test_fmt_chars),
		cmocka_unit_test(test_fmt_signed),
		cmocka_unit_test(test_fmt_signed_64),
		cmocka_unit_test(test_fmt_unsigned),
		cmocka_unit_test(test_fmt_hex),
		cmocka_unit_test(test_fmt_width_and_flags),
		cmocka_unit_test(test_fmt_mixed),
		cmocka_unit_test(test_fmt_pointer),
		cmocka_unit_test(test_fmt_truncation),
		cmocka_unit_test(test_fmt_truncation_size_one),
		cmocka_unit_test(test_fmt_truncation_matches_host),
		cmocka_unit_test(test_fmt_vsnprintf),
		cmocka_unit_test(test_fmt_random_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
