/* Host unit tests for hypervisor/core/log_format.c: line formatting and the byte ring. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static size_t line(char *buf, size_t size, enum log_level l, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t line(char *buf, size_t size, enum log_level l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = log_format_line(buf, size, l, fmt, ap);
	va_end(ap);
	return n;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static void test_log_level_names(void **state)
{
	assert_string_equal(log_level_name(LOG_ERROR), "error");
	assert_string_equal(log_level_name(LOG_WARN), "warn");
	assert_string_equal(log_level_name(LOG_INFO), "info");
	assert_string_equal(log_level_name(LOG_DEBUG), "debug");
	assert_string_equal(log_level_name((enum log_level)4), "?");
	assert_string_equal(log_level_name((enum log_level)-1), "?");
	assert_string_equal(log_level_name((enum log_level)1000), "?");
}

static void test_log_line_basic(void **state)
{
	char buf[128];
	size_t n = line(buf, sizeof(buf), LOG_INFO, "hello %d %s", 42, "world");
	assert_string_equal(buf, "odv-hv[info] hello 42 world\n");
	assert_int_equal(n, strlen(buf));
}

static void test_log_line_prefix_per_level(void **state)
{
	char buf[128];
	line(buf, sizeof(buf), LOG_ERROR, "x");
	assert_string_equal(buf, "odv-hv[error] x\n");
	line(buf, sizeof(buf), LOG_WARN, "x");
	assert_string_equal(buf, "odv-hv[warn] x\n");
	line(buf, sizeof(buf), LOG_DEBUG, "x");
	assert_string_equal(buf, "odv-hv[debug] x\n");
	line(buf, sizeof(buf), (enum log_level)9, "x");
	assert_string_equal(buf, "odv-hv[?] x\n");
}

static void test_log_line_exactly_one_newline(void **state)
{
	char buf[128];
	size_t n;
	n = line(buf, sizeof(buf), LOG_INFO, "no newline");
	assert_string_equal(buf, "odv-hv[info] no newline\n");
	assert_int_equal(n, strlen(buf));
	n = line(buf, sizeof(buf), LOG_INFO, "one newline\n");
	assert_string_equal(buf, "odv-hv[info] one newline\n");
	assert_int_equal(n, strlen(buf));
	n = line(buf, sizeof(buf), LOG_INFO, "three newlines\n\n\n");
	assert_string_equal(buf, "odv-hv[info] three newlines\n");
	assert_int_equal(n, strlen(buf));
	n = line(buf, sizeof(buf), LOG_INFO, "%s", "from argument\n\n");
	assert_string_equal(buf, "odv-hv[info] from argument\n");
	assert_int_equal(n, strlen(buf));
	/* Inner newlines are kept, only trailing ones collapse. */
	n = line(buf, sizeof(buf), LOG_INFO, "a\nb\n");
	assert_string_equal(buf, "odv-hv[info] a\nb\n");
	assert_int_equal(n, strlen(buf));
}

static void test_log_line_empty_message(void **state)
{
	char buf[64];
	const char *empty = "";
	size_t n = line(buf, sizeof(buf), LOG_WARN, "%s", empty);
	assert_string_equal(buf, "odv-hv[warn] \n");
	assert_int_equal(n, strlen(buf));
	n = line(buf, sizeof(buf), LOG_WARN, "\n\n");
	assert_string_equal(buf, "odv-hv[warn] \n");
	assert_int_equal(n, strlen(buf));
}

static void test_log_line_truncated(void **state)
{
	char big[300];
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	char buf[80];
	memset(buf, 0x5a, sizeof(buf));
	size_t n = line(buf, 64, LOG_INFO, "%s", big);
	assert_int_equal(n, 63);
	assert_int_equal(strlen(buf), 63);
	assert_true(strncmp(buf, "odv-hv[info] mmm", 16) == 0);
	assert_true(ends_with(buf, "m...\n"));
	for (size_t i = 64; i < sizeof(buf); i++)
		assert_int_equal((unsigned char)buf[i], 0x5a);
}

/* Every buffer size: output stays inside, always one newline, truncation is marked. */
static void test_log_line_all_sizes(void **state)
{
	const char *msg = "the quick brown fox jumps over the lazy dog %d";
	char full[256];
	snprintf(full, sizeof(full), "odv-hv[debug] the quick brown fox jumps over the lazy dog %d\n", 12345);
	size_t flen = strlen(full);
	/* Below 32 bytes (prefix + "...\n" could not both fit) nothing is written. */
	char small[31];
	memset(small, 0x5a, sizeof(small));
	assert_int_equal(line(small, sizeof(small), LOG_DEBUG, msg, 12345), 0);
	assert_int_equal((unsigned char)small[0], 0x5a);
	for (size_t size = 32; size < flen + 10; size++) {
		char buf[300];
		memset(buf, 0x5a, sizeof(buf));
		size_t n = line(buf, size, LOG_DEBUG, msg, 12345);
		assert_true(n < size);
		assert_int_equal(strlen(buf), n);
		assert_int_equal(buf[n - 1], '\n');
		for (size_t i = size; i < sizeof(buf); i++)
			assert_int_equal((unsigned char)buf[i], 0x5a);
		if (flen < size) {
			assert_string_equal(buf, full);
		} else {
			assert_true(ends_with(buf, "...\n"));
			assert_int_equal(n, size - 1);
			/* What is kept before the marker is a prefix of the full line. */
			assert_memory_equal(buf, full, n - 4);
		}
	}
}

/* A line that fits exactly (its own trailing newline included) is not cut. */
static void test_log_line_exact_fit_with_newline(void **state)
{
	const char *want = "odv-hv[info] exactly fits in this buffer\n";
	size_t size = strlen(want) + 1;           /* room for the line and its NUL */
	char buf[64];
	size_t n = line(buf, size, LOG_INFO, "exactly fits in this buffer\n");
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

/* Trailing newlines beyond the buffer do not make a line that fits look cut. */
static void test_log_line_fits_after_collapsing_newlines(void **state)
{
	const char *want = "odv-hv[info] a short line of text\n";
	char buf[64];
	size_t n = line(buf, strlen(want) + 1, LOG_INFO, "a short line of text\n\n\n\n\n\n");
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

/* ---- the ring ---- */

static void test_log_ring_simple(void **state)
{
	char store[16];
	struct log_ring r = { store, sizeof(store), 0 };
	char out[64];
	assert_int_equal(log_ring_read(&r, 0, out, sizeof(out)), 0);
	log_ring_write(&r, "hello", 5);
	assert_int_equal(r.head, 5);
	size_t k = log_ring_read(&r, 0, out, sizeof(out));
	assert_int_equal(k, 5);
	assert_memory_equal(out, "hello", 5);
	k = log_ring_read(&r, 2, out, sizeof(out));
	assert_int_equal(k, 3);
	assert_memory_equal(out, "llo", 3);
	/* Limited by n. */
	k = log_ring_read(&r, 1, out, 2);
	assert_int_equal(k, 2);
	assert_memory_equal(out, "el", 2);
}

static void test_log_ring_wraparound(void **state)
{
	char store[16];
	struct log_ring r = { store, sizeof(store), 0 };
	char out[64];
	log_ring_write(&r, "0123456789", 10);
	log_ring_write(&r, "abcdefghij", 10);
	assert_int_equal(r.head, 20);
	/* Only the newest 16 bytes are kept. */
	size_t k = log_ring_read(&r, 4, out, sizeof(out));
	assert_int_equal(k, 16);
	assert_memory_equal(out, "456789abcdefghij", 16);
	k = log_ring_read(&r, 10, out, sizeof(out));
	assert_int_equal(k, 10);
	assert_memory_equal(out, "abcdefghij", 10);
	k = log_ring_read(&r, 14, out, 3);
	assert_int_equal(k, 3);
	assert_memory_equal(out, "efg", 3);
}

/* As go-native reads it through /dev/mem: the bytes and the head as found, from a mark. */
static void test_log_ring_read_from_outside(void **state)
{
	char store[8];
	for (unsigned i = 0; i < 13; i++)
		store[i & 7] = (char)('a' + i);   /* the stream "abcdefghijklm", "fgh" at the ring's end */
	struct log_ring r = { store, sizeof(store), 13 };
	char out[8];
	size_t k = log_ring_read(&r, 7, out, sizeof(out));   /* across the ring's end */
	assert_int_equal(k, 6);
	assert_memory_equal(out, "hijklm", 6);
	assert_int_equal(log_ring_read(&r, 13, out, sizeof(out)), 0);   /* nothing new */
	assert_int_equal(log_ring_read(&r, 20, out, sizeof(out)), 0);   /* a mark past the head */
	k = log_ring_read(&r, 2, out, sizeof(out));          /* overwritten since the mark */
	assert_int_equal(k, 8);
	assert_memory_equal(out, "fghijklm", 8);
}

static void test_log_ring_old_offset_clamps(void **state)
{
	char store[8];
	struct log_ring r = { store, sizeof(store), 0 };
	char out[64];
	log_ring_write(&r, "ABCDEFGHIJKLMNOPQRST", 20);   /* longer than the ring at once */
	assert_int_equal(r.head, 20);
	size_t k = log_ring_read(&r, 0, out, sizeof(out));
	assert_int_equal(k, 8);
	assert_memory_equal(out, "MNOPQRST", 8);
	k = log_ring_read(&r, 11, out, sizeof(out));     /* 11 < oldest (12) */
	assert_int_equal(k, 8);
	assert_memory_equal(out, "MNOPQRST", 8);
	k = log_ring_read(&r, 12, out, sizeof(out));
	assert_int_equal(k, 8);
	assert_memory_equal(out, "MNOPQRST", 8);
	k = log_ring_read(&r, 13, out, sizeof(out));
	assert_int_equal(k, 7);
	assert_memory_equal(out, "NOPQRST", 7);
}

static void test_log_ring_past_head(void **state)
{
	char store[8];
	struct log_ring r = { store, sizeof(store), 0 };
	char out[16];
	log_ring_write(&r, "abc", 3);
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(log_ring_read(&r, 3, out, sizeof(out)), 0);
	assert_int_equal(log_ring_read(&r, 4, out, sizeof(out)), 0);
	assert_int_equal(log_ring_read(&r, 1000000, out, sizeof(out)), 0);
	assert_int_equal(log_ring_read(&r, UINT64_MAX, out, sizeof(out)), 0);
	assert_int_equal((unsigned char)out[0], 0x5a);
	assert_int_equal(log_ring_read(&r, 0, out, 0), 0);
	assert_int_equal((unsigned char)out[0], 0x5a);
}

static void test_log_ring_exactly_full(void **state)
{
	char store[8];
	struct log_ring r = { store, sizeof(store), 0 };
	char out[16];
	log_ring_write(&r, "01234567", 8);
	size_t k = log_ring_read(&r, 0, out, sizeof(out));
	assert_int_equal(k, 8);
	assert_memory_equal(out, "01234567", 8);
	log_ring_write(&r, "8", 1);
	k = log_ring_read(&r, 0, out, sizeof(out));
	assert_int_equal(k, 8);
	assert_memory_equal(out, "12345678", 8);
}

/* Random writes and reads against a flat model of everything ever written. */
#define RNG_SEED 0x0123456789abcdefull
#include "prng.h"

static void test_log_ring_random_model(void **state)
{
	enum { RING = 64, TOTAL = 20000 };
	char store[RING];
	struct log_ring r = { store, RING, 0 };
	char *model = malloc(TOTAL + 256);
	assert_non_null(model);
	size_t written = 0;
	while (written < TOTAL) {
		size_t n = (size_t)(rng() % 100);
		char chunk[100];
		for (size_t i = 0; i < n; i++)
			chunk[i] = (char)(rng() & 0xff);
		log_ring_write(&r, chunk, n);
		memcpy(model + written, chunk, n);
		written += n;
		assert_int_equal(r.head, written);
		for (int q = 0; q < 4; q++) {
			uint64_t from = written ? rng() % (written + 10) : rng() % 10;
			size_t want = (size_t)(rng() % 100);
			char out[100];
			size_t k = log_ring_read(&r, from, out, want);
			uint64_t oldest = written > RING ? written - RING : 0;
			uint64_t start = from < oldest ? oldest : from;
			size_t avail = start < written ? (size_t)(written - start) : 0;
			size_t expect = avail < want ? avail : want;
			assert_int_equal(k, expect);
			assert_memory_equal(out, model + start, k);
		}
	}
	free(model);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_level_names),
		cmocka_unit_test(test_log_line_basic),
		cmocka_unit_test(test_log_line_prefix_per_level),
		cmocka_unit_test(test_log_line_exactly_one_newline),
		cmocka_unit_test(test_log_line_empty_message),
		cmocka_unit_test(test_log_line_truncated),
		cmocka_unit_test(test_log_line_all_sizes),
		cmocka_unit_test(test_log_line_exact_fit_with_newline),
		cmocka_unit_test(test_log_line_fits_after_collapsing_newlines),
		cmocka_unit_test(test_log_ring_simple),
		cmocka_unit_test(test_log_ring_wraparound),
		cmocka_unit_test(test_log_ring_old_offset_clamps),
		cmocka_unit_test(test_log_ring_read_from_outside),
		cmocka_unit_test(test_log_ring_past_head),
		cmocka_unit_test(test_log_ring_exactly_full),
		cmocka_unit_test(test_log_ring_random_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
