/* Host unit tests for hypervisor/mm/mtrr.c: the SDM's MTRR precedences on typical layouts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "mtrr.h"

#define KiB 0x400ull
#define MiB 0x100000ull
#define GiB 0x40000000ull

/* A variable pair for a power-of-two range, its mask covering MAXPHYADDR bits (`w`). */
static void set_var(struct mtrr_state *s, unsigned i, uint64_t base, uint64_t size, int type, unsigned w)
{
	s->var[i].base = base | (uint64_t)type;
	s->var[i].mask = (((1ull << w) - 1) & ~(size - 1)) | MTRR_MASK_V;
}

/* Enabled, fixed ranges present but off, `nvar` pairs, MAXPHYADDR 39. */
static struct mtrr_state layout(int def, unsigned nvar)
{
	struct mtrr_state s;
	memset(&s, 0, sizeof(s));
	s.cap = MTRRCAP_FIX | nvar;
	s.def_type = MTRRDEF_E | (uint64_t)def;
	s.maxphyaddr = 39;
	return s;
}

/* A typical BIOS: the first MiB by fixed ranges, A0000-BFFFF UC, C0000-FFFFF WP/WT. */
static void typical_fixed(struct mtrr_state *s)
{
	s->fixed[0] = 0x0606060606060606ull;         /* 0-7FFFF WB */
	s->fixed[1] = 0x0606060606060606ull;         /* 80000-9FFFF WB */
	s->fixed[2] = 0;                             /* A0000-BFFFF UC (VGA) */
	for (unsigned i = 3; i < 7; i++)
		s->fixed[i] = 0x0505050505050505ull; /* C0000-DFFFF WP (option ROMs) */
	s->fixed[7] = 0x0404040404040404ull;         /* E0000-E7FFF WT */
	s->fixed[8] = 0x0404040404040404ull;         /* E8000-EFFFF WT */
	s->fixed[9] = 0x0505050505050505ull;         /* F0000-F7FFF WP */
	s->fixed[10] = 0x0505050505050504ull;        /* F8000 WT, F9000-FFFFF WP */
}

static void test_disabled_is_uc(void **state)
{
	(void)state;
	struct mtrr_state s = layout(MTRR_WB, 1);
	typical_fixed(&s);
	s.def_type = MTRRDEF_FE | MTRR_WB;           /* E clear: FE and the default do not count */
	set_var(&s, 0, 0, 2 * GiB, MTRR_WB, 39);
	assert_int_equal(mtrr_type(&s, 0), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 0xc0000), MTRR_UC);
	assert_int_equal(mtrr_type(&s, GiB), MTRR_UC);
	assert_int_equal(mtrr_range_type(&s, 0, 64 * GiB), MTRR_UC);
	struct mtrr_range r[4];
	assert_int_equal(mtrr_ranges(&s, 8 * GiB, r, 4), 1);
	assert_int_equal(r[0].base, 0);
	assert_int_equal(r[0].end, 8 * GiB);
	assert_int_equal(r[0].type, MTRR_UC);
}

/* Default WB, the PCI hole 3-4 GiB UC, a WC framebuffer in it. */
static void test_pci_hole_and_framebuffer(void **state)
{
	(void)state;
	struct mtrr_state s = layout(MTRR_WB, 8);
	set_var(&s, 0, 3 * GiB, GiB, MTRR_UC, 39);
	assert_int_equal(mtrr_type(&s, 0), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 3 * GiB - 4 * KiB), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 3 * GiB), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 4 * GiB - 1), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 4 * GiB), MTRR_WB);
	assert_int_equal(mtrr_range_type(&s, 3 * GiB, GiB), MTRR_UC);
	assert_int_equal(mtrr_range_type(&s, 0, 3 * GiB), MTRR_WB);

	/* The framebuffer: 16 MiB WC at 0xe0000000 inside the UC hole. UC + WC is undefined: UC. */
	set_var(&s, 1, 0xe0000000ull, 16 * MiB, MTRR_WC, 39);
	assert_int_equal(mtrr_type(&s, 0xe0000000ull), MTRR_UC);
	/* A framebuffer the hole's range does not cover (the hole as 3-3.5 GiB UC + 3.75-4 GiB UC). */
	s = layout(MTRR_WB, 8);
	set_var(&s, 0, 3 * GiB, GiB / 2, MTRR_UC, 39);
	set_var(&s, 1, 0xf0000000ull, GiB / 4, MTRR_UC, 39);
	set_var(&s, 2, 0xe0000000ull, 16 * MiB, MTRR_WC, 39);
	assert_int_equal(mtrr_type(&s, 0xe0000000ull), MTRR_WC);
	assert_int_equal(mtrr_type(&s, 0xe0ffffffull), MTRR_WC);
	assert_int_equal(mtrr_type(&s, 0xe1000000ull), MTRR_WB);     /* 3.5-3.75 GiB not covered: default */
	assert_int_equal(mtrr_type(&s, 0xf0000000ull), MTRR_UC);

	struct mtrr_range r[16];
	int n = mtrr_ranges(&s, 8 * GiB, r, 16);
	const struct mtrr_range want[] = {
		{ 0, 3 * GiB, MTRR_WB }, { 3 * GiB, 0xe0000000ull, MTRR_UC },
		{ 0xe0000000ull, 0xe1000000ull, MTRR_WC }, { 0xe1000000ull, 0xf0000000ull, MTRR_WB },
		{ 0xf0000000ull, 4 * GiB, MTRR_UC }, { 4 * GiB, 8 * GiB, MTRR_WB },
	};
	assert_int_equal(n, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(r[i].base, want[i].base);
		assert_int_equal(r[i].end, want[i].end);
		assert_int_equal(r[i].type, want[i].type);
	}
	assert_int_equal(mtrr_ranges(&s, 4 * GiB, r, 16), 5);
}

static void test_pci_hole_runs_to_limit(void **state)
{
	(void)state;
	struct mtrr_state s = layout(MTRR_WB, 2);
	set_var(&s, 0, 3 * GiB, GiB, MTRR_UC, 39);
	struct mtrr_range r[4];
	assert_int_equal(mtrr_ranges(&s, 8 * GiB, r, 4), 3);
	assert_int_equal(r[2].base, 4 * GiB);
	assert_int_equal(r[2].end, 8 * GiB);
	assert_int_equal(r[2].type, MTRR_WB);
	/* Too small an array fails rather than truncating. */
	assert_int_equal(mtrr_ranges(&s, 8 * GiB, r, 2), -1);
}

static void test_overlaps(void **state)
{
	(void)state;
	struct mtrr_state s = layout(MTRR_UC, 4);
	set_var(&s, 0, 0, 4 * GiB, MTRR_WB, 39);
	set_var(&s, 1, 2 * GiB, GiB, MTRR_UC, 39);          /* UC + WB: UC */
	set_var(&s, 2, GiB, 256 * MiB, MTRR_WT, 39);        /* WT + WB: WT */
	set_var(&s, 3, 0, 512 * MiB, MTRR_WB, 39);          /* WB + WB: WB */
	assert_int_equal(mtrr_type(&s, 2 * GiB), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 3 * GiB - 1), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 3 * GiB), MTRR_WB);
	assert_int_equal(mtrr_type(&s, GiB), MTRR_WT);
	assert_int_equal(mtrr_type(&s, GiB + 256 * MiB), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 4 * GiB), MTRR_UC);  /* default */
	/* Undefined by the SDM (WC + WB, WP + WT): odv-hv takes UC. */
	set_var(&s, 2, GiB, 256 * MiB, MTRR_WC, 39);
	assert_int_equal(mtrr_type(&s, GiB), MTRR_UC);
	set_var(&s, 0, 0, 4 * GiB, MTRR_WT, 39);
	set_var(&s, 3, 0, 512 * MiB, MTRR_WP, 39);
	assert_int_equal(mtrr_type(&s, 0), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 512 * MiB), MTRR_WT);
}

/* Default UC with WB variable ranges covering RAM (0-2 GiB, 2-3 GiB, 4-6 GiB). */
static void test_default_uc_wb_ranges(void **state)
{
	(void)state;
	struct mtrr_state s = layout(MTRR_UC, 4);
	set_var(&s, 0, 0, 2 * GiB, MTRR_WB, 39);
	set_var(&s, 1, 2 * GiB, GiB, MTRR_WB, 39);
	set_var(&s, 2, 4 * GiB, 2 * GiB, MTRR_WB, 39);   /* 4-6 GiB: 2 GiB aligned */
	set_var(&s, 3, 0, 0, MTRR_WB, 39);
	s.var[3].mask = 0;                                /* not valid: must not count */
	struct mtrr_range r[8];
	int n = mtrr_ranges(&s, 8 * GiB, r, 8);
	assert_int_equal(n, 4);
	assert_int_equal(r[0].end, 3 * GiB);
	assert_int_equal(r[0].type, MTRR_WB);              /* two WB ranges merge */
	assert_int_equal(r[1].base, 3 * GiB);
	assert_int_equal(r[1].type, MTRR_UC);
	assert_int_equal(r[2].base, 4 * GiB);
	assert_int_equal(r[2].end, 6 * GiB);
	assert_int_equal(r[2].type, MTRR_WB);
	assert_int_equal(r[3].type, MTRR_UC);
	assert_int_equal(mtrr_range_type(&s, 0, 3 * GiB), MTRR_WB);
	assert_int_equal(mtrr_range_type(&s, 6 * GiB, GiB), MTRR_UC);
}

static void test_fixed_ranges(void **state)
{
	(void)state;
	struct mtrr_state s = layout(MTRR_UC, 1);
	typical_fixed(&s);
	set_var(&s, 0, 0, 2 * GiB, MTRR_WB, 39);
	s.def_type |= MTRRDEF_FE;
	assert_int_equal(mtrr_type(&s, 0), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0x9f000), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0xa0000), MTRR_UC);      /* fixed beats the WB variable range */
	assert_int_equal(mtrr_type(&s, 0xbffff), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 0xc0000), MTRR_WP);
	assert_int_equal(mtrr_type(&s, 0xe0000), MTRR_WT);
	assert_int_equal(mtrr_type(&s, 0xf8000), MTRR_WT);
	assert_int_equal(mtrr_type(&s, 0xf9000), MTRR_WP);
	assert_int_equal(mtrr_type(&s, 0xfffff), MTRR_WP);
	assert_int_equal(mtrr_type(&s, MiB), MTRR_WB);          /* above 1 MiB: variable again */
	assert_int_equal(mtrr_range_type(&s, 0xa0000, 0x20000), MTRR_UC);
	assert_int_equal(mtrr_range_type(&s, 0x9c000, 0x8000), MTRR_MIXED);

	struct mtrr_range r[16];
	int n = mtrr_ranges(&s, 4 * GiB, r, 16);
	const struct mtrr_range want[] = {
		{ 0, 0xa0000, MTRR_WB }, { 0xa0000, 0xc0000, MTRR_UC }, { 0xc0000, 0xe0000, MTRR_WP },
		{ 0xe0000, 0xf0000, MTRR_WT }, { 0xf0000, 0xf8000, MTRR_WP }, { 0xf8000, 0xf9000, MTRR_WT },
		{ 0xf9000, MiB, MTRR_WP }, { MiB, 2 * GiB, MTRR_WB }, { 2 * GiB, 4 * GiB, MTRR_UC },
	};
	assert_int_equal(n, 9);
	for (int i = 0; i < 9; i++) {
		assert_int_equal(r[i].base, want[i].base);
		assert_int_equal(r[i].end, want[i].end);
		assert_int_equal(r[i].type, want[i].type);
	}

	/* FE off: the first MiB is the variable range's. */
	s.def_type &= ~MTRRDEF_FE;
	assert_int_equal(mtrr_type(&s, 0xa0000), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0xc0000), MTRR_WB);
	assert_int_equal(mtrr_ranges(&s, 4 * GiB, r, 16), 2);
	/* FE on but the CPU has no fixed ranges (MTRRCAP.FIX clear): the same. */
	s.def_type |= MTRRDEF_FE;
	s.cap &= ~MTRRCAP_FIX;
	assert_int_equal(mtrr_type(&s, 0xa0000), MTRR_WB);
}

/* The 16 KiB and 4 KiB pieces: each byte types its own piece. */
static void test_fixed_granularity(void **state)
{
	(void)state;
	struct mtrr_state s = layout(MTRR_WB, 0);
	s.def_type |= MTRRDEF_FE;
	for (unsigned i = 0; i < MTRR_NR_FIXED; i++)
		s.fixed[i] = 0x0606060606060606ull;
	s.fixed[0] = 0x0606060606060006ull;          /* 10000-1FFFF UC */
	s.fixed[1] = 0x0106060606060606ull;          /* 9C000-9FFFF WC */
	s.fixed[4] = 0x0606060606000606ull;          /* C8000+2*4K = CA000 UC */
	assert_int_equal(mtrr_type(&s, 0x0ffff), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0x10000), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 0x1ffff), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 0x20000), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0x9bfff), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0x9c000), MTRR_WC);
	assert_int_equal(mtrr_type(&s, 0xa0000), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0xc9fff), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0xca000), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 0xcb000), MTRR_WB);
	struct mtrr_range r[16];
	assert_int_equal(mtrr_ranges(&s, 2 * MiB, r, 16), 7);
	assert_int_equal(r[5].base, 0xca000);
	assert_int_equal(r[5].end, 0xcb000);
	assert_int_equal(r[6].end, 2 * MiB);
}

/* A mask without bits 32-38 (MAXPHYADDR 39): the range repeats every 4 GiB. */
static void test_mask_not_covering_maxphyaddr(void **state)
{
	(void)state;
	struct mtrr_state s = layout(MTRR_WB, 1);
	set_var(&s, 0, 3 * GiB, GiB, MTRR_UC, 32);
	assert_int_equal(mtrr_type(&s, 3 * GiB), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 4 * GiB), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 7 * GiB), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 7 * GiB + 5), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 8 * GiB), MTRR_WB);
	struct mtrr_range r[8];
	assert_int_equal(mtrr_ranges(&s, 8 * GiB, r, 8), 4);
	assert_int_equal(r[3].base, 7 * GiB);
	assert_int_equal(r[3].type, MTRR_UC);
	/* Mask bits above MAXPHYADDR are reserved and ignored: the same mask with bit 45 set. */
	s.var[0].mask |= 1ull << 45;
	assert_int_equal(mtrr_type(&s, 7 * GiB), MTRR_UC);
	/* The same mask with MAXPHYADDR 32: no aliases exist to test, 3-4 GiB is UC. */
	s.maxphyaddr = 32;
	assert_int_equal(mtrr_type(&s, 3 * GiB), MTRR_UC);
}

/* A mask with a hole in it (bits 12-29 and 31): matches 0-1 GiB and 2-3 GiB. */
static void test_noncontiguous_mask(void **state)
{
	(void)state;
	struct mtrr_state s = layout(MTRR_UC, 1);
	s.maxphyaddr = 32;
	s.var[0].base = MTRR_WB;
	s.var[0].mask = 0xbffff000ull | MTRR_MASK_V;        /* bits 12-29 and 31 */
	/* base 0 with that mask: bits 12-29 zero and bit 31 zero: 0-4K, 1G-1G+4K, ... */
	assert_int_equal(mtrr_type(&s, 0), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0x1000), MTRR_UC);
	assert_int_equal(mtrr_type(&s, GiB), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 2 * GiB), MTRR_UC);
	struct mtrr_range r[8];
	assert_int_equal(mtrr_ranges(&s, 4 * GiB, r, 8), 4);
	assert_int_equal(r[2].base, GiB);
	assert_int_equal(r[2].end, GiB + 0x1000);
	assert_int_equal(r[3].base, GiB + 0x1000);
	assert_int_equal(r[3].end, 4 * GiB);
	/* Bits 26-29 free as well (0x83fff000): 32 blocks, more runs than the array holds. */
	s.var[0].mask = 0x83fff000ull | MTRR_MASK_V;
	assert_int_equal(mtrr_type(&s, 0x4000000), MTRR_WB);
	assert_int_equal(mtrr_ranges(&s, 4 * GiB, r, 8), -1);
}

static void test_range_queries_straddle(void **state)
{
	(void)state;
	struct mtrr_state s = layout(MTRR_WB, 2);
	set_var(&s, 0, 3 * GiB, GiB, MTRR_UC, 39);
	set_var(&s, 1, 0xe0000000ull, 2 * MiB, MTRR_WC, 39);
	assert_int_equal(mtrr_range_type(&s, 3 * GiB - 2 * MiB, 4 * MiB), MTRR_MIXED);
	assert_int_equal(mtrr_range_type(&s, 3 * GiB - 2 * MiB, 2 * MiB), MTRR_WB);
	assert_int_equal(mtrr_range_type(&s, 3 * GiB, 2 * MiB), MTRR_UC);
	assert_int_equal(mtrr_range_type(&s, 4 * GiB - 4 * KiB, 8 * KiB), MTRR_MIXED);
	assert_int_equal(mtrr_range_type(&s, 0xe0000000ull, 2 * MiB), MTRR_UC);   /* UC + WC */
	assert_int_equal(mtrr_range_type(&s, 0, 1ull << 39), MTRR_MIXED);
	assert_int_equal(mtrr_range_type(&s, 4 * GiB, (1ull << 39) - 4 * GiB), MTRR_WB);
	assert_int_equal(mtrr_range_type(&s, 4 * GiB, 0), MTRR_WB);
}

static void test_clip(void **state)
{
	(void)state;
	const struct mtrr_range r[] = {
		{ 0, 3 * GiB, MTRR_WB }, { 3 * GiB, 4 * GiB, MTRR_UC }, { 4 * GiB, 8 * GiB, MTRR_WB },
	};
	struct mtrr_range o[3];
	assert_int_equal(mtrr_clip(r, 3, 2 * GiB, 5 * GiB, o, 3), 3);
	assert_int_equal(o[0].base, 2 * GiB);
	assert_int_equal(o[0].end, 3 * GiB);
	assert_int_equal(o[1].type, MTRR_UC);
	assert_int_equal(o[2].end, 5 * GiB);
	assert_int_equal(mtrr_clip(r, 3, 3 * GiB + 4096, 3 * GiB + 8192, o, 3), 1);
	assert_int_equal(o[0].type, MTRR_UC);
	assert_int_equal(mtrr_clip(r, 3, 2 * GiB, 5 * GiB, o, 2), -1);
	assert_int_equal(mtrr_clip(r, 3, 9 * GiB, 10 * GiB, o, 3), 0);
}

static void test_vcnt_and_reserved(void **state)
{
	(void)state;
	struct mtrr_state s = layout(MTRR_WB, MTRR_MAX_VAR + 1);
	struct mtrr_range r[4];
	assert_int_equal(mtrr_nr_var(&s), -1);
	assert_int_equal(mtrr_ranges(&s, GiB, r, 4), -1);
	/* Only VCNT pairs count: a valid pair beyond it is not the CPU's. */
	s = layout(MTRR_WB, 1);
	set_var(&s, 1, 0, GiB, MTRR_UC, 39);
	assert_int_equal(mtrr_type(&s, 0), MTRR_WB);
	/* A reserved encoding reads as UC. */
	s.def_type = MTRRDEF_E | 2;
	assert_int_equal(mtrr_type(&s, 0), MTRR_UC);
}

static void test_describe(void **state)
{
	(void)state;
	struct mtrr_state s = layout(MTRR_WB, 8);
	s.def_type |= MTRRDEF_FE;
	set_var(&s, 0, 3 * GiB, GiB, MTRR_UC, 39);
	set_var(&s, 1, 0xe0000000ull, 16 * MiB, MTRR_WC, 32);
	char buf[256];
	mtrr_describe(&s, buf, sizeof(buf));
	assert_string_equal(buf, "MTRRs: default WB, fixed on, 8 variable 0xc0000000+0x40000000 UC"
				 " 0xe0000000+0x1000000 WC (mask 0xff000000)");
	s.def_type = MTRR_WB;
	mtrr_describe(&s, buf, sizeof(buf));
	assert_string_equal(buf, "MTRRs disabled: all memory UC");
	char small[8];
	assert_true(mtrr_describe(&s, small, sizeof(small)) > 8);
	assert_int_equal(strlen(small), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disabled_is_uc),
		cmocka_unit_test(test_pci_hole_and_framebuffer),
		cmocka_unit_test(test_pci_hole_runs_to_limit),
		cmocka_unit_test(test_overlaps),
		cmocka_unit_test(test_default_uc_wb_ranges),
		cmocka_unit_test(test_fixed_ranges),
		cmocka_unit_test(test_fixed_granularity),
		cmocka_unit_test(test_mask_not_covering_maxphyaddr),
		cmocka_unit_test(test_noncontiguous_mask),
		cmocka_unit_test(test_range_queries_straddle),
		cmocka_unit_test(test_clip),
		cmocka_unit_test(test_vcnt_and_reserved),
		cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
