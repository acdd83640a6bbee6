/* Host unit tests for hypervisor/vmx/devirt_gdt.c: descriptors from VMCS segment state. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "devirt.h"
#include "vmcs.h"

#define GDT_N 16

static void test_seg_descriptor_code64(void **state)
{
	/* Flat 64-bit kernel code: G=1 L=1 P=1 DPL0 S=1 type execute/read (accessed in the VMCS). */
	assert_int_equal(seg_descriptor(0, 0xffffffff, 0xa09b), 0x00AF9B000000FFFFull);
	assert_int_equal(seg_descriptor(0, 0xffffffff, 0xa09a), 0x00AF9A000000FFFFull);
	/* User code, DPL 3. */
	assert_int_equal(seg_descriptor(0, 0xffffffff, 0xa0fb), 0x00AFFB000000FFFFull);
}

static void test_seg_descriptor_data(void **state)
{
	assert_int_equal(seg_descriptor(0, 0xffffffff, 0xc093), 0x00CF93000000FFFFull);
	assert_int_equal(seg_descriptor(0, 0xffffffff, 0xc092), 0x00CF92000000FFFFull);
	/* 32-bit compat code. */
	assert_int_equal(seg_descriptor(0, 0xffffffff, 0xc0fb), 0x00CFFB000000FFFFull);
}

static void test_seg_descriptor_byte_granular(void **state)
{
	/* G=0: limit stored as is (20 bits), base split 15:0 -> bits 31:16, 23:16 -> 39:32, 31:24 -> 63:56. */
	assert_int_equal(seg_descriptor(0x12345678, 0xabcde, 0x0093), 0x120A93345678BCDEull);
	/* Real-mode-like 64 KiB segment. */
	assert_int_equal(seg_descriptor(0xf0000, 0xffff, 0x0093), 0x0000930F0000FFFFull);
	/* Bits 11:8 and 16 of the VMCS format (reserved, unusable) never reach the descriptor. */
	assert_int_equal(seg_descriptor(0, 0xffff, 0x10f93), seg_descriptor(0, 0xffff, 0x0093));
}

static void test_seg_descriptor_page_granular(void **state)
{
	/* G=1 with a limit that is not 4 KiB-aligned at the top: the low 12 bits are implied ones. */
	assert_int_equal(seg_descriptor(0, 0x00ffffff, 0x8093), 0x0080930000000FFFull);
	assert_int_equal(seg_descriptor(0x00400000, 0x0000ffff, 0xc093), 0x00C0934000000000ull | 0xF);
}

static void test_seg_descriptor_tss(void **state)
{
	/* Low half of a 64-bit TSS descriptor: base 31:0 and the busy type as in the VMCS. */
	uint64_t d = seg_descriptor(0xffff888012345000ull, 0x67, 0x8b);
	assert_int_equal(d, 0x12008B3450000067ull);
	assert_int_equal((d >> 40) & 0xf, 0xb);
}

/* Linux-like segment state as the VMCS holds it. */
static void linux_state(struct seg_state s[SEG_COUNT])
{
	memset(s, 0, sizeof(struct seg_state) * SEG_COUNT);
	s[SEG_CS] = (struct seg_state){ 0x10, 0, 0xffffffff, 0xa09b };
	s[SEG_SS] = (struct seg_state){ 0x18, 0, 0xffffffff, 0xc093 };
	s[SEG_DS] = (struct seg_state){ 0, 0, 0, 0x1c000 };
	s[SEG_ES] = (struct seg_state){ 0, 0, 0, 0x1c000 };
	s[SEG_FS] = (struct seg_state){ 0, 0x7f0012345000ull, 0, 0x1c000 };   /* base from MSR */
	s[SEG_GS] = (struct seg_state){ 0, 0xffff88807fc00000ull, 0, 0x1c000 };
	s[SEG_LDTR] = (struct seg_state){ 0, 0, 0, 0x10000 };
	s[SEG_TR] = (struct seg_state){ 0x40, 0xfffffe0000003000ull, 0x4087, 0x8b };
}

static void test_build_gdt_linux(void **state)
{
	struct seg_state s[SEG_COUNT];
	linux_state(s);
	uint64_t gdt[GDT_N];
	memset(gdt, 0xee, sizeof(gdt));
	const char *err = NULL;
	int limit = devirt_build_gdt(s, gdt, GDT_N, &err);
	assert_int_equal(limit, 10 * 8 - 1);                 /* TSS at 8 and 9 */
	assert_null(err);
	assert_int_equal(gdt[0], 0);
	assert_int_equal(gdt[1], 0);
	assert_int_equal(gdt[2], 0x00AF9B000000FFFFull);
	assert_int_equal(gdt[3], 0x00CF93000000FFFFull);
	for (unsigned i = 4; i < 8; i++)
		assert_int_equal(gdt[i], 0);
	/* Available TSS (type 9): LTR would fault on a busy one. */
	assert_int_equal(gdt[8], 0x0000890030004087ull);
	assert_int_equal((gdt[8] >> 40) & 0xf, 0x9);
	assert_int_equal(gdt[9], 0xfffffe00ull);
	for (unsigned i = 10; i < GDT_N; i++)
		assert_int_equal(gdt[i], 0);
}

static void test_build_gdt_tss_high_base(void **state)
{
	struct seg_state s[SEG_COUNT];
	linux_state(s);
	s[SEG_TR] = (struct seg_state){ 0x40, 0xffff888012345000ull, 0x67, 0x8b };
	uint64_t gdt[GDT_N];
	const char *err = NULL;
	assert_int_equal(devirt_build_gdt(s, gdt, GDT_N, &err), 79);
	assert_int_equal(gdt[8], 0x1200893450000067ull);
	assert_int_equal(gdt[9], 0xffff8880ull);
	/* Already-available TSS stays available. */
	s[SEG_TR].ar = 0x89;
	assert_int_equal(devirt_build_gdt(s, gdt, GDT_N, &err), 79);
	assert_int_equal(gdt[8], 0x1200893450000067ull);
}

static void test_build_gdt_user_segments_and_ldt(void **state)
{
	/* Guest stopped in user mode: CS 0x33, SS/DS/ES 0x2b (RPL 3), an LDT at 0x50. */
	struct seg_state s[SEG_COUNT];
	linux_state(s);
	s[SEG_CS] = (struct seg_state){ 0x33, 0, 0xffffffff, 0xa0fb };
	s[SEG_SS] = (struct seg_state){ 0x2b, 0, 0xffffffff, 0xc0f3 };
	s[SEG_DS] = s[SEG_SS];
	s[SEG_ES] = s[SEG_SS];
	s[SEG_LDTR] = (struct seg_state){ 0x50, 0xffffc90000001000ull, 0xfff, 0x82 };
	uint64_t gdt[GDT_N];
	const char *err = NULL;
	assert_int_equal(devirt_build_gdt(s, gdt, GDT_N, &err), 12 * 8 - 1);
	assert_int_equal(gdt[5], 0x00CFF3000000FFFFull);
	assert_int_equal(gdt[6], 0x00AFFB000000FFFFull);
	assert_int_equal(gdt[10], 0x0000820010000FFFull);
	assert_int_equal(gdt[11], 0xffffc900ull);
}

static void test_build_gdt_all_unusable_but_tr(void **state)
{
	struct seg_state s[SEG_COUNT];
	for (unsigned k = 0; k < SEG_COUNT; k++)
		s[k] = (struct seg_state){ 0, 0, 0, AR_UNUSABLE };
	s[SEG_TR] = (struct seg_state){ 0x8, 0x1000, 0x67, 0x8b };
	uint64_t gdt[4];
	const char *err = NULL;
	assert_int_equal(devirt_build_gdt(s, gdt, 4, &err), 3 * 8 - 1);
	assert_int_equal(gdt[1], 0x0000890010000067ull);
	assert_int_equal(gdt[2], 0);
	assert_int_equal(gdt[3], 0);
	/* Exactly filling the table is allowed. */
	s[SEG_TR].sel = 0x10;
	assert_int_equal(devirt_build_gdt(s, gdt, 4, &err), 4 * 8 - 1);
}

static void expect_fail(struct seg_state s[SEG_COUNT], unsigned n)
{
	uint64_t gdt[32];
	const char *err = NULL;
	assert_true(n <= 32);
	assert_int_equal(devirt_build_gdt(s, gdt, n, &err), -1);
	assert_non_null(err);
	assert_true(err[0] != '\0');
}

static void test_build_gdt_ldt_selector(void **state)
{
	struct seg_state s[SEG_COUNT];
	linux_state(s);
	s[SEG_DS] = (struct seg_state){ 0x1c, 0, 0xffffffff, 0xc093 };   /* TI=1 */
	expect_fail(s, GDT_N);
	linux_state(s);
	s[SEG_CS].sel = 0x17;
	expect_fail(s, GDT_N);
	/* An unusable segment's selector is not looked at. */
	linux_state(s);
	s[SEG_FS].sel = 0x1c;
	uint64_t gdt[GDT_N];
	const char *err = NULL;
	assert_int_equal(devirt_build_gdt(s, gdt, GDT_N, &err), 79);
}

static void test_build_gdt_null_selector(void **state)
{
	struct seg_state s[SEG_COUNT];
	linux_state(s);
	s[SEG_DS] = (struct seg_state){ 0, 0, 0xffffffff, 0xc093 };      /* usable, selector 0 */
	expect_fail(s, GDT_N);
	linux_state(s);
	s[SEG_SS] = (struct seg_state){ 3, 0, 0xffffffff, 0xc0f3 };      /* index 0 with RPL 3 */
	expect_fail(s, GDT_N);
	linux_state(s);
	s[SEG_TR].sel = 0;
	expect_fail(s, GDT_N);
}

static void test_build_gdt_index_beyond_table(void **state)
{
	struct seg_state s[SEG_COUNT];
	linux_state(s);
	s[SEG_CS].sel = GDT_N * 8;                /* first index past the table */
	expect_fail(s, GDT_N);
	linux_state(s);
	s[SEG_TR].sel = (GDT_N - 1) * 8;          /* low half fits, high half does not */
	expect_fail(s, GDT_N);
	linux_state(s);
	s[SEG_SS].sel = 0xfff8;
	expect_fail(s, GDT_N);
	linux_state(s);
	expect_fail(s, 9);                        /* TR at 8 needs 10 entries */
}

static void test_build_gdt_conflicting_share(void **state)
{
	struct seg_state s[SEG_COUNT];
	linux_state(s);
	s[SEG_DS] = (struct seg_state){ 0x18, 0x1000, 0xffffffff, 0xc093 };   /* SS's selector, other base */
	expect_fail(s, GDT_N);
	linux_state(s);
	s[SEG_DS] = (struct seg_state){ 0x18, 0, 0xfffff, 0x4093 };           /* other limit/granularity */
	expect_fail(s, GDT_N);
	linux_state(s);
	s[SEG_ES] = (struct seg_state){ 0x10, 0, 0xffffffff, 0xc093 };        /* data on CS's selector */
	expect_fail(s, GDT_N);
	linux_state(s);
	s[SEG_LDTR] = (struct seg_state){ 0x40, 0xfffffe0000003000ull, 0x4087, 0x82 };  /* LDT on TR's */
	expect_fail(s, GDT_N);
	linux_state(s);
	s[SEG_LDTR] = (struct seg_state){ 0x40, 0xfffffd0000003000ull, 0x4087, 0x89 };  /* high base differs */
	expect_fail(s, GDT_N);
}

static void test_build_gdt_same_selector_same_state(void **state)
{
	struct seg_state s[SEG_COUNT];
	linux_state(s);
	s[SEG_DS] = s[SEG_SS];
	s[SEG_ES] = s[SEG_SS];
	uint64_t gdt[GDT_N];
	const char *err = NULL;
	assert_int_equal(devirt_build_gdt(s, gdt, GDT_N, &err), 79);
	assert_null(err);
	assert_int_equal(gdt[3], 0x00CF93000000FFFFull);
	/* The RPL differs but the descriptor is the same: still fine. */
	s[SEG_DS].sel = 0x1b;
	assert_int_equal(devirt_build_gdt(s, gdt, GDT_N, &err), 79);
}

/*
 * A 16-byte system descriptor occupies two slots; a segment whose
 * selector points at the second slot must be refused, whichever is
 * processed first, rather than one silently overwriting the other.
 */
static void test_build_gdt_overlaps_system_high_half(void **state)
{
	struct seg_state s[SEG_COUNT];
	uint64_t gdt[GDT_N];
	const char *err;
	/* DS at index 9 = upper half of the TSS at 8 (TSS below 4 GiB). */
	linux_state(s);
	s[SEG_TR].base = 0x7000;
	s[SEG_DS] = (struct seg_state){ 0x48, 0, 0xffffffff, 0xc093 };
	err = NULL;
	int rc = devirt_build_gdt(s, gdt, GDT_N, &err);
	if (rc >= 0)
		print_error("accepted: gdt[9] = 0x%016llx (DS wanted 0x00CF93000000FFFF, TSS high 0)\n",
			    (unsigned long long)gdt[9]);
	assert_int_equal(rc, -1);
	/* Same with Linux's high TSS base. */
	linux_state(s);
	s[SEG_DS] = (struct seg_state){ 0x48, 0, 0xffffffff, 0xc093 };
	err = NULL;
	rc = devirt_build_gdt(s, gdt, GDT_N, &err);
	if (rc >= 0)
		print_error("accepted: gdt[9] = 0x%016llx\n", (unsigned long long)gdt[9]);
	assert_int_equal(rc, -1);
	/* LDT at 7-8 and TSS at 8-9. */
	linux_state(s);
	s[SEG_TR].base = 0x7000;
	s[SEG_LDTR] = (struct seg_state){ 0x38, 0x5000, 0xfff, 0x82 };
	err = NULL;
	rc = devirt_build_gdt(s, gdt, GDT_N, &err);
	assert_int_equal(rc, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seg_descriptor_code64),
		cmocka_unit_test(test_seg_descriptor_data),
		cmocka_unit_test(test_seg_descriptor_byte_granular),
		cmocka_unit_test(test_seg_descriptor_page_granular),
		cmocka_unit_test(test_seg_descriptor_tss),
		cmocka_unit_test(test_build_gdt_linux),
		cmocka_unit_test(test_build_gdt_tss_high_base),
		cmocka_unit_test(test_build_gdt_user_segments_and_ldt),
		cmocka_unit_test(test_build_gdt_all_unusable_but_tr),
		cmocka_unit_test(test_build_gdt_ldt_selector),
		cmocka_unit_test(test_build_gdt_null_selector),
		cmocka_unit_test(test_build_gdt_index_beyond_table),
		cmocka_unit_test(test_build_gdt_conflicting_share),
		cmocka_unit_test(test_build_gdt_same_selector_same_state),
		cmocka_unit_test(test_build_gdt_overlaps_system_high_half),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
