/* Host unit tests for include/codec/handoff.c: CRC-32, seal/check, range checks, error strings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "odv_handoff.h"

#define MiB 0x100000ull
#define GiB 0x40000000ull

/* Bytes covered by the CRC: everything before the result fields. */
#define COVERED offsetof(struct odv_handoff, result_mode)

/* A plausible block as the agent fills it, not yet sealed. */
static void fill_block(struct odv_handoff *h)
{
	memset(h, 0, sizeof(*h));
	h->flags = 0;
	h->region_base = 0x30000000;
	h->region_size = 64 * MiB;
	h->hv_size = 0x60000;
	h->jump_address = 0xffffffff81e3a000ull;
	h->jump_address_phys = 0x3e3a000;
	h->image_cr3 = 0x12c0a000;
	h->image_pages = 23000;
	h->stream_pages = 23000 + 45 + 1;
	h->nr_mem = 4;
	h->mem[0] = (struct odv_handoff_mem){ 0, 0x9fc00, ODV_MEM_RAM, 0 };
	h->mem[1] = (struct odv_handoff_mem){ 0x9fc00, 0x400, ODV_MEM_RESERVED, 0 };
	h->mem[2] = (struct odv_handoff_mem){ 0x100000, GiB - 0x100000 - 0x20000, ODV_MEM_RAM, 0 };
	h->mem[3] = (struct odv_handoff_mem){ GiB - 0x20000, 0x20000, ODV_MEM_ACPI, 0 };
	h->runs_phys = 0x30061000;   /* after odv-hv and the handoff block */
	h->nr_runs = 3;
	h->serial_port = 0x3f8;
	h->log_level = 2;
	h->test_flags = 0;
}

/* The run table fill_block's block describes: 23046 stream pages in 3 runs. */
static struct odv_handoff_run runs3[4];

static void fill_runs(void)
{
	runs3[0] = (struct odv_handoff_run){ 0x20000000, 20000 };
	runs3[1] = (struct odv_handoff_run){ 0x08000000, 3000 };
	runs3[2] = (struct odv_handoff_run){ 0x01000000, 46 };
	runs3[3] = (struct odv_handoff_run){ 0x123, 99 };   /* past nr_runs: never looked at */
}

static void test_crc32_vectors(void **state)
{
	assert_int_equal(odv_crc32("123456789", 9), 0xCBF43926u);
	assert_int_equal(odv_crc32("", 0), 0);
	assert_int_equal(odv_crc32(NULL, 0), 0);
	assert_int_equal(odv_crc32("a", 1), 0xE8B7BE43u);
	const char *fox = "The quick brown fox jumps over the lazy dog";
	assert_int_equal(odv_crc32(fox, strlen(fox)), 0x414FA339u);
	uint8_t zeros[32] = { 0 }, ones[32];
	memset(ones, 0xff, sizeof(ones));
	assert_int_equal(odv_crc32(zeros, sizeof(zeros)), 0x190A55ADu);
	assert_int_equal(odv_crc32(ones, sizeof(ones)), 0xFF6CAB0Bu);
}

/* The length argument is honoured: bytes past it do not matter. */
static void test_crc32_length(void **state)
{
	char buf[16] = "123456789XXXXXX";
	assert_int_equal(odv_crc32(buf, 9), 0xCBF43926u);
	buf[9] = 'Y';
	assert_int_equal(odv_crc32(buf, 9), 0xCBF43926u);
	assert_int_not_equal(odv_crc32(buf, 10), 0xCBF43926u);
}

static void test_seal_fills_header_and_checks(void **state)
{
	static struct odv_handoff h;
	fill_block(&h);
	fill_runs();
	odv_handoff_seal(&h, runs3);
	assert_true(h.magic == ODV_HANDOFF_MAGIC);
	assert_int_equal(h.version, ODV_HANDOFF_VERSION);
	assert_int_equal(h.size, sizeof(struct odv_handoff));
	assert_int_not_equal(h.crc32, 0);
	assert_int_equal(odv_handoff_check(&h), ODV_HANDOFF_OK);
	/* Sealing twice gives the same CRC (the old CRC is not part of the sum). */
	uint32_t crc = h.crc32;
	odv_handoff_seal(&h, runs3);
	assert_int_equal(h.crc32, crc);
	/* Sealing over garbage in the header fields fixes them. */
	h.magic = 1;
	h.version = 77;
	h.size = 3;
	h.crc32 = 0xdeadbeef;
	odv_handoff_seal(&h, runs3);
	assert_int_equal(h.crc32, crc);
	assert_int_equal(odv_handoff_check(&h), ODV_HANDOFF_OK);
}

/* The CRC is CRC-32 over the covered bytes with the crc32 field taken as zero. */
static void test_seal_crc_definition(void **state)
{
	static struct odv_handoff h, copy;
	fill_block(&h);
	fill_runs();
	odv_handoff_seal(&h, runs3);
	copy = h;
	copy.crc32 = 0;
	assert_int_equal(h.crc32, odv_crc32(&copy, COVERED));
}

/* An all-zero block (nothing filled but the seal) is still consistent. */
static void test_seal_empty_block(void **state)
{
	static struct odv_handoff h;
	memset(&h, 0, sizeof(h));
	assert_int_equal(odv_handoff_check(&h), ODV_HANDOFF_EMAGIC);
	odv_handoff_seal(&h, runs3);
	assert_int_equal(odv_handoff_check(&h), ODV_HANDOFF_OK);
}

static int expected_for_offset(size_t off)
{
	if (off < offsetof(struct odv_handoff, version))
		return ODV_HANDOFF_EMAGIC;
	if (off < offsetof(struct odv_handoff, size))
		return ODV_HANDOFF_EVERSION;
	if (off < offsetof(struct odv_handoff, crc32))
		return ODV_HANDOFF_ESIZE;
	return ODV_HANDOFF_ECRC;
}

/* Every single-byte corruption of the covered part is caught, with the right code. */
static void test_every_byte_flip_detected(void **state)
{
	static struct odv_handoff sealed, h;
	static const uint8_t masks[] = { 0x01, 0x80, 0x5a, 0xff };
	fill_block(&sealed);
	fill_runs();
	odv_handoff_seal(&sealed, runs3);
	assert_int_equal(COVERED, 1816);   /* wire format v5 and v6 (v6 only grew the result; v4: 1808; v3: 1800; v2: 2040, 16 inline segments; v1: 1912) */
	for (size_t off = 0; off < COVERED; off++) {
		for (unsigned m = 0; m < sizeof(masks); m++) {
			h = sealed;
			((uint8_t *)&h)[off] ^= masks[m];
			int got = odv_handoff_check(&h);
			if (got != expected_for_offset(off))
				print_error("byte %zu ^ 0x%02x: got %d, want %d\n", off, masks[m], got,
					    expected_for_offset(off));
			assert_int_equal(got, expected_for_offset(off));
		}
	}
}

/* odv-hv writes the result after the agent sealed: that must not break the check. */
static void test_result_fields_not_covered(void **state)
{
	static struct odv_handoff h;
	fill_block(&h);
	fill_runs();
	odv_handoff_seal(&h, runs3);
	uint32_t crc = h.crc32;
	h.result_mode = ODV_RESULT_NATIVE;
	h.result_pad = 0xffffffff;
	snprintf(h.result_reason, sizeof(h.result_reason), "VMX locked off in IA32_FEATURE_CONTROL");
	assert_int_equal(odv_handoff_check(&h), ODV_HANDOFF_OK);
	h.result_mode = ODV_RESULT_VIRTUAL;
	memset(h.result_reason, 'x', sizeof(h.result_reason));
	assert_int_equal(odv_handoff_check(&h), ODV_HANDOFF_OK);
	/* Every byte of the result part, one at a time. */
	for (size_t off = COVERED; off < sizeof(h); off++) {
		((uint8_t *)&h)[off] ^= 0xa5;
		assert_int_equal(odv_handoff_check(&h), ODV_HANDOFF_OK);
	}
	/* Re-sealing with a result present gives the same CRC. */
	odv_handoff_seal(&h, runs3);
	assert_int_equal(h.crc32, crc);
}

/* Change one thing, re-seal so only the consistency check can object. */
#define RESEAL_EXPECT(h, want, ...) do { \
		fill_block(&(h)); \
		fill_runs(); \
		__VA_ARGS__; \
		/* (a table longer than runs3 is sealed without one: only its place is checked) */ \
		odv_handoff_seal(&(h), (h).nr_runs <= 4 ? runs3 : NULL); \
		assert_int_equal(odv_handoff_check(&(h)), (want)); \
	} while (0)
/* The same for the run table's own check (after the block's, which must pass). */
#define RUNS_EXPECT(h, want, ...) do { \
		fill_block(&(h)); \
		fill_runs(); \
		__VA_ARGS__; \
		odv_handoff_seal(&(h), runs3); \
		assert_int_equal(odv_handoff_check(&(h)), ODV_HANDOFF_OK); \
		assert_int_equal(odv_handoff_check_runs(&(h), runs3), (want)); \
	} while (0)

static void test_range_counts(void **state)
{
	static struct odv_handoff h;
	RESEAL_EXPECT(h, ODV_HANDOFF_OK, h.nr_mem = ODV_HANDOFF_MAX_MEM);
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.nr_mem = ODV_HANDOFF_MAX_MEM + 1);
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.nr_mem = 0xffffffffu);
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.nr_runs = ODV_HANDOFF_MAX_RUNS + 1);
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.nr_runs = UINT64_MAX);
}

static void test_range_region(void **state)
{
	static struct odv_handoff h;
	/* odv-hv filling the whole region leaves no room for a run table. */
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.hv_size = h.region_size);
	RESEAL_EXPECT(h, ODV_HANDOFF_OK, { h.hv_size = h.region_size; h.nr_runs = 0; h.stream_pages = 0; });
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.hv_size = h.region_size + 1);
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.region_size = 0);
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.region_base = 0x30000001);
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.region_base = 0x30000800);
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.region_base = 0x30000fff);
	RESEAL_EXPECT(h, ODV_HANDOFF_OK, h.region_base = 0x30001000);
}

/*
 * A region whose end is past 2^64: region_base + region_size wrapped, and so
 * did region_base + hv_size, and a run table far below the region passed as
 * "inside it, after odv-hv". The block libFuzzer found (tests/fuzz/fuzz_handoff.c,
 * sealed by the harness): base 0xfffffffffffff000, size 0x30000000, odv-hv
 * 0x4000000, 256 runs at 0x9fc0000.
 */
static void test_range_region_wraps(void **state)
{
	static struct odv_handoff h;
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, {
		h.region_base = 0xfffffffffffff000ull; h.region_size = 0x30000000; h.hv_size = 0x4000000;
		h.runs_phys = 0x9fc0000; h.nr_runs = 256; h.stream_pages = 136; h.nr_mem = 0; });
	/* Ending at the very top is refused too; one page below it is a region. */
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, { h.region_base = 0xfffffffffc000000ull; h.runs_phys = h.region_base + 0x61000; });
	RESEAL_EXPECT(h, ODV_HANDOFF_OK, { h.region_base = 0xfffffffffbfff000ull; h.runs_phys = h.region_base + 0x61000; });
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, { h.region_size = ~0ull; h.hv_size = 0x60000; });
}

/* odv-hv's command line must be a terminated string: odv-hv parses it before anything else. */
static void test_hv_args_terminated(void **state)
{
	static struct odv_handoff h;
	RESEAL_EXPECT(h, ODV_HANDOFF_OK, memcpy(h.hv_args, "disk=ata0-slave nic=00:02.0", 28));
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, memset(h.hv_args, 'x', sizeof(h.hv_args)));
	RESEAL_EXPECT(h, ODV_HANDOFF_OK, (memset(h.hv_args, 'x', sizeof(h.hv_args)), h.hv_args[sizeof(h.hv_args) - 1] = 0));
}

/* Where the run table may lie: page aligned, inside the region, after odv-hv. */
static void test_range_run_table_place(void **state)
{
	static struct odv_handoff h;
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.runs_phys |= 8);
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.runs_phys = 0x30000000);          /* on odv-hv */
	RESEAL_EXPECT(h, ODV_HANDOFF_OK, h.runs_phys = 0x30060000);              /* right after it */
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.runs_phys = 0x2ff00000);          /* below the region */
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.runs_phys = 0x34000000);          /* past its end */
	RESEAL_EXPECT(h, ODV_HANDOFF_OK, h.runs_phys = 0x34000000 - 4096);       /* 48 bytes in the last page */
	/* A table that starts inside but runs past the end. */
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, { h.runs_phys = 0x34000000 - 4096; h.nr_runs = 257; });
	RESEAL_EXPECT(h, ODV_HANDOFF_OK, { h.runs_phys = 0x34000000 - 4096; h.nr_runs = 256; });
	/* No table: only with an empty stream (the boot-menu path has none). */
	RESEAL_EXPECT(h, ODV_HANDOFF_ERANGE, h.nr_runs = 0);
	RESEAL_EXPECT(h, ODV_HANDOFF_OK, { h.nr_runs = 0; h.stream_pages = 0; h.runs_phys = 0; });
}

static void test_runs(void **state)
{
	static struct odv_handoff h;
	RUNS_EXPECT(h, ODV_HANDOFF_OK, (void)0);
	/* The table is covered by its own CRC, recorded in the block. */
	fill_block(&h);
	fill_runs();
	odv_handoff_seal(&h, runs3);
	runs3[1].phys += 4096;
	assert_int_equal(odv_handoff_check(&h), ODV_HANDOFF_OK);
	assert_int_equal(odv_handoff_check_runs(&h, runs3), ODV_HANDOFF_ECRC);
	runs3[1].phys -= 4096;
	runs3[3].pages = 1;   /* past nr_runs: not covered, not looked at */
	assert_int_equal(odv_handoff_check_runs(&h, runs3), ODV_HANDOFF_OK);
	/* Alignment, empty runs, page totals. */
	RUNS_EXPECT(h, ODV_HANDOFF_ERANGE, runs3[0].phys |= 1);
	RUNS_EXPECT(h, ODV_HANDOFF_ERANGE, runs3[2].phys |= 0xfff);
	RUNS_EXPECT(h, ODV_HANDOFF_ERANGE, runs3[2].pages = 0);
	RUNS_EXPECT(h, ODV_HANDOFF_ERANGE, h.stream_pages++);
	RUNS_EXPECT(h, ODV_HANDOFF_ERANGE, h.stream_pages--);
	RUNS_EXPECT(h, ODV_HANDOFF_ERANGE, runs3[1].pages++);
	RUNS_EXPECT(h, ODV_HANDOFF_OK, { runs3[0].pages--; runs3[1].pages++; });
	RUNS_EXPECT(h, ODV_HANDOFF_ERANGE, h.nr_runs = 2);
	RUNS_EXPECT(h, ODV_HANDOFF_OK, { h.nr_runs = 2; h.stream_pages = 23000; });
	/* A run whose frames would run past the top of the address space. */
	RUNS_EXPECT(h, ODV_HANDOFF_ERANGE, { runs3[0].phys = ~0xfffull; runs3[0].pages = 2; h.stream_pages = 3048; });
}

/*
 * Run page counts whose sum wraps past 2^64 do not add up to stream_pages,
 * whatever the low 64 bits of the sum say.
 */
static void test_runs_pages_wrap(void **state)
{
	static struct odv_handoff h;
	RUNS_EXPECT(h, ODV_HANDOFF_ERANGE, {
		h.nr_runs = 2;
		runs3[0] = (struct odv_handoff_run){ 0x1000, UINT64_MAX / 8 };
		runs3[1] = (struct odv_handoff_run){ 0x08000000, 11 };
		h.stream_pages = 10;
	});
}

/* The cheap header checks come first: a wrong magic is reported as such, not as a CRC error. */
static void test_check_order(void **state)
{
	static struct odv_handoff h;
	fill_block(&h);
	fill_runs();
	odv_handoff_seal(&h, runs3);
	h.magic = 0;
	h.version = 9;
	assert_int_equal(odv_handoff_check(&h), ODV_HANDOFF_EMAGIC);
	h.magic = ODV_HANDOFF_MAGIC;
	assert_int_equal(odv_handoff_check(&h), ODV_HANDOFF_EVERSION);
	h.version = ODV_HANDOFF_VERSION;
	h.size = sizeof(h) - 8;
	assert_int_equal(odv_handoff_check(&h), ODV_HANDOFF_ESIZE);
	h.size = sizeof(h);
	assert_int_equal(odv_handoff_check(&h), ODV_HANDOFF_OK);
	/* A range problem with a stale CRC is a CRC error first. */
	h.nr_mem = 1000;
	assert_int_equal(odv_handoff_check(&h), ODV_HANDOFF_ECRC);
	odv_handoff_seal(&h, runs3);
	assert_int_equal(odv_handoff_check(&h), ODV_HANDOFF_ERANGE);
}

static void test_strerror(void **state)
{
	const int codes[] = {
		ODV_HANDOFF_OK, ODV_HANDOFF_EMAGIC, ODV_HANDOFF_EVERSION,
		ODV_HANDOFF_ESIZE, ODV_HANDOFF_ECRC, ODV_HANDOFF_ERANGE,
	};
	const unsigned n = sizeof(codes) / sizeof(codes[0]);
	for (unsigned i = 0; i < n; i++) {
		const char *s = odv_handoff_strerror(codes[i]);
		assert_non_null(s);
		assert_true(strlen(s) > 0);
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(s, odv_handoff_strerror(codes[j]));
	}
	/* Unknown codes still get a non-empty string, distinct from the real ones. */
	const int unknown[] = { 1, -6, -100, 12345 };
	for (unsigned k = 0; k < sizeof(unknown) / sizeof(unknown[0]); k++) {
		const char *s = odv_handoff_strerror(unknown[k]);
		assert_non_null(s);
		assert_true(strlen(s) > 0);
		for (unsigned j = 0; j < n; j++)
			assert_string_not_equal(s, odv_handoff_strerror(codes[j]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_vectors),
		cmocka_unit_test(test_crc32_length),
		cmocka_unit_test(test_seal_fills_header_and_checks),
		cmocka_unit_test(test_seal_crc_definition),
		cmocka_unit_test(test_seal_empty_block),
		cmocka_unit_test(test_every_byte_flip_detected),
		cmocka_unit_test(test_result_fields_not_covered),
		cmocka_unit_test(test_range_counts),
		cmocka_unit_test(test_range_region),
		cmocka_unit_test(test_range_region_wraps),
		cmocka_unit_test(test_hv_args_terminated),
		cmocka_unit_test(test_range_run_table_place),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_runs_pages_wrap),
		cmocka_unit_test(test_check_order),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
