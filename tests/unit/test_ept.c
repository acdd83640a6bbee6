/* Host unit tests for hypervisor/mm/ept.c: identity-map building and the table walk. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ept.h"
#include "mtrr.h"
#include "paging.h"

#define KiB 0x400ull
#define MiB 0x100000ull
#define GiB 0x40000000ull

/* ---- fake page allocator: "physical" address = pointer value ---- */

struct fake_mem {
	void **pages;
	unsigned used, cap;
	unsigned fail_after;      /* allocations allowed before failing; ~0u = unlimited */
};

static void *fake_alloc(void *ctx, uint64_t *phys)
{
	struct fake_mem *m = ctx;
	if (m->used >= m->fail_after)
		return NULL;
	if (m->used == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->pages = realloc(m->pages, m->cap * sizeof(void *));
		assert_non_null(m->pages);
	}
	void *p = aligned_alloc(4096, 4096);
	assert_non_null(p);
	memset(p, 0, 4096);
	m->pages[m->used++] = p;
	*phys = (uint64_t)(uintptr_t)p;
	return p;
}

static void *fake_ptr(void *ctx, uint64_t phys)
{
	return (void *)(uintptr_t)phys;
}

static void fake_free(struct fake_mem *m)
{
	for (unsigned i = 0; i < m->used; i++)
		free(m->pages[i]);
	free(m->pages);
	memset(m, 0, sizeof(*m));
}

static struct ept_env make_env(struct fake_mem *m, bool g1, bool m2)
{
	memset(m, 0, sizeof(*m));
	m->fail_after = ~0u;
	struct ept_env e = { fake_alloc, fake_ptr, m, g1, m2, 0, false };
	return e;
}

/* Expected memory type at gpa: from the range list, or not present. */
static int expect_type(const struct ept_range *r, unsigned n, uint64_t limit, uint64_t gpa)
{
	if (gpa >= limit)
		return EPT_NOT_PRESENT;
	for (unsigned i = 0; i < n; i++)
		if (gpa >= r[i].base && gpa < r[i].end)
			return r[i].memtype;
	return EPT_NOT_PRESENT;
}

static void check_addr(const struct ept_env *env, uint64_t pml4, const struct ept_range *r, unsigned n,
		       uint64_t limit, uint64_t gpa)
{
	uint64_t hpa = 0xdead, perms = 0;
	uint8_t mt = 0xee;
	int rc = ept_translate(env, pml4, gpa, &hpa, &mt, &perms);
	int want = expect_type(r, n, limit, gpa);
	if (want == EPT_NOT_PRESENT) {
		if (rc != -1)
			print_error("gpa 0x%llx should not be present (got hpa 0x%llx type %u)\n",
				    (unsigned long long)gpa, (unsigned long long)hpa, mt);
		assert_int_equal(rc, -1);
		return;
	}
	if (rc != 0 || hpa != gpa || mt != want)
		print_error("gpa 0x%llx: rc %d hpa 0x%llx type %u, want identity type %d\n",
			    (unsigned long long)gpa, rc, (unsigned long long)hpa, mt, want);
	assert_int_equal(rc, 0);
	assert_int_equal(hpa, gpa);
	assert_int_equal(mt, want);
	assert_int_equal(perms, EPT_RWX);
}

#define RNG_SEED 0x5851f42d4c957f2dull
#include "prng.h"

/* Edges of every range (±1 byte, ±1 page), a stride over everything, random addresses. */
static void check_map(const struct ept_env *env, uint64_t pml4, const struct ept_range *r, unsigned n,
		      uint64_t limit, uint64_t stride)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t pts[2] = { r[i].base, r[i].end };
		for (int k = 0; k < 2; k++) {
			uint64_t p = pts[k];
			static const int64_t d[] = { -4096, -1, 0, 1, 4095, 4096 };
			for (unsigned j = 0; j < ARRAY_SIZE(d); j++)
				if ((int64_t)p + d[j] >= 0)
					check_addr(env, pml4, r, n, limit, (uint64_t)((int64_t)p + d[j]));
		}
	}
	static const int64_t ld[] = { -4096, -1, 0, 1, 4096, 2 * MiB, GiB };
	for (unsigned j = 0; j < ARRAY_SIZE(ld); j++)
		check_addr(env, pml4, r, n, limit, (uint64_t)((int64_t)limit + ld[j]));
	check_addr(env, pml4, r, n, limit, 512 * GiB);
	check_addr(env, pml4, r, n, limit, 0xfffff000ull << 12);
	for (uint64_t a = 0; a < limit + 2 * MiB; a += stride)
		check_addr(env, pml4, r, n, limit, a + (rng() & (stride - 1)));
	for (int i = 0; i < 20000; i++)
		check_addr(env, pml4, r, n, limit, rng() % (limit + GiB));
}

/* Every present leaf must map its own size-aligned address (checks the table shape). */
static void check_tables(const struct ept_env *env, uint64_t table, int level, uint64_t base,
			 struct ept_stats *count)
{
	const uint64_t *t = env->phys_to_ptr(env->ctx, table);
	uint64_t esize = 1ull << (12 + 9 * (level - 1));
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = t[i];
		if (!(e & EPT_RWX)) {
			assert_int_equal(e, 0);
			continue;
		}
		uint64_t a = base + i * esize;
		if (level == 1 || (e & EPT_LARGE)) {
			assert_true(level <= 3);
			assert_int_equal(e & EPT_ADDR_MASK & ~(esize - 1), a);
			assert_int_equal(e & EPT_ADDR_MASK & (esize - 1), 0);
			if (level == 1) count->leaves_4k++;
			else if (level == 2) count->leaves_2m++;
			else count->leaves_1g++;
			continue;
		}
		assert_int_equal(e & ~EPT_ADDR_MASK, EPT_RWX);   /* table pointer: no memtype, no large */
		count->tables++;
		check_tables(env, e & EPT_ADDR_MASK, level - 1, a, count);
	}
}

static void build_and_check(const struct ept_range *r, unsigned n, uint64_t limit, bool g1, bool m2,
			    uint64_t stride, struct ept_stats *out)
{
	struct fake_mem m;
	struct ept_env env = make_env(&m, g1, m2);
	uint64_t pml4 = 0;
	struct ept_stats st;
	memset(&st, 0xff, sizeof(st));
	assert_int_equal(ept_build_identity(&env, r, n, limit, &pml4, &st), 0);
	assert_int_not_equal(pml4, 0);
	assert_int_equal(pml4 & 0xfff, 0);
	assert_int_equal(st.tables, m.used);
	struct ept_stats walked = { 1, 0, 0, 0 };
	check_tables(&env, pml4, 4, 0, &walked);
	assert_int_equal(walked.tables, st.tables);
	assert_int_equal(walked.leaves_4k, st.leaves_4k);
	assert_int_equal(walked.leaves_2m, st.leaves_2m);
	assert_int_equal(walked.leaves_1g, st.leaves_1g);
	if (!g1)
		assert_int_equal(st.leaves_1g, 0);
	if (!m2)
		assert_int_equal(st.leaves_2m, 0);
	check_map(&env, pml4, r, n, limit, stride);
	*out = st;
	fake_free(&m);
}

/* The Bochs-like machine: low RAM, legacy hole, RAM, odv-hv hole, RAM, MMIO up to 4 GiB. */
static const struct ept_range bochs[] = {
	{ 0x0, 0x9f000, EPT_MT_WB },
	{ 0x9f000, 0x100000, EPT_MT_UC },
	{ 0x100000, 0xfa00000, EPT_MT_WB },
	/* 0xfa00000-0xfe00000: odv-hv, not present */
	{ 0xfe00000, 0x10000000, EPT_MT_WB },
	{ 0x10000000, 4 * GiB, EPT_MT_UC },
};

static void test_ept_bochs_1g_2m(void **state)
{
	struct ept_stats st;
	build_and_check(bochs, ARRAY_SIZE(bochs), 4 * GiB, true, true, 64 * KiB, &st);
	assert_int_equal(st.leaves_1g, 3);      /* 1-4 GiB uniform UC */
	assert_int_equal(st.leaves_2m, 509);    /* 124 WB + 1 WB + 384 UC */
	assert_int_equal(st.leaves_4k, 512);    /* the first 2 MiB */
	assert_int_equal(st.tables, 4);
}

static void test_ept_bochs_2m_only(void **state)
{
	struct ept_stats st;
	build_and_check(bochs, ARRAY_SIZE(bochs), 4 * GiB, false, true, 64 * KiB, &st);
	assert_int_equal(st.leaves_1g, 0);
	assert_int_equal(st.leaves_2m, 509 + 3 * 512);
	assert_int_equal(st.leaves_4k, 512);
	assert_int_equal(st.tables, 7);
}

static void test_ept_bochs_4k_only(void **state)
{
	struct ept_stats st;
	build_and_check(bochs, ARRAY_SIZE(bochs), 4 * GiB, false, false, 64 * KiB, &st);
	assert_int_equal(st.leaves_1g, 0);
	assert_int_equal(st.leaves_2m, 0);
	assert_int_equal(st.leaves_4k, (4 * GiB - 4 * MiB) / 4096);
	/* PML4, PDPT, 4 PDs, a PT per 2 MiB except the two fully inside the hole. */
	assert_int_equal(st.tables, 1 + 1 + 4 + 2046);
}

static void test_ept_bochs_1g_without_2m(void **state)
{
	struct ept_stats st;
	build_and_check(bochs, ARRAY_SIZE(bochs), 4 * GiB, true, false, 64 * KiB, &st);
	assert_int_equal(st.leaves_1g, 3);
	assert_int_equal(st.leaves_2m, 0);
	assert_int_equal(st.leaves_4k, (GiB - 4 * MiB) / 4096);
}

static void test_ept_8g_uses_1g_pages(void **state)
{
	const struct ept_range r[] = {
		{ 0x0, 0x9f000, EPT_MT_WB },
		{ 0x9f000, 0x100000, EPT_MT_UC },
		{ 0x100000, 0xfa00000, EPT_MT_WB },
		{ 0xfe00000, 0x10000000, EPT_MT_WB },
		{ 0x10000000, 4 * GiB, EPT_MT_UC },
		{ 4 * GiB, 8 * GiB, EPT_MT_UC },
	};
	struct ept_stats st;
	build_and_check(r, ARRAY_SIZE(r), 8 * GiB, true, true, 256 * KiB, &st);
	assert_int_equal(st.leaves_1g, 7);
	build_and_check(r, ARRAY_SIZE(r), 8 * GiB, false, true, 256 * KiB, &st);
	assert_int_equal(st.leaves_1g, 0);
	assert_int_equal(st.leaves_2m, 509 + 7 * 512);
}

static void test_ept_ranges_end_below_limit(void **state)
{
	/* Nothing described above 3 GiB: the rest up to the limit is not present. */
	const struct ept_range r[] = {
		{ 0x0, 0xa0000, EPT_MT_WB },
		{ 0x100000, 3 * GiB, EPT_MT_WB },
	};
	struct ept_stats st;
	build_and_check(r, ARRAY_SIZE(r), 4 * GiB, true, true, 64 * KiB, &st);
	assert_int_equal(st.leaves_1g, 2);
}

static void test_ept_limit_not_on_large_boundary(void **state)
{
	/* A limit inside a GiB and inside a 2 MiB page: nothing maps past it. */
	const struct ept_range r[] = { { 0x0, 8 * GiB, EPT_MT_WB } };
	struct ept_stats st;
	build_and_check(r, ARRAY_SIZE(r), GiB + 3 * MiB + 0x5000, true, true, 64 * KiB, &st);
	assert_int_equal(st.leaves_1g, 1);
	assert_int_equal(st.leaves_2m, 1);
	assert_int_equal(st.leaves_4k, 256 + 5);
}

static void test_ept_unaligned_limit_rounds_up(void **state)
{
	const struct ept_range r[] = { { 0x0, 64 * MiB, EPT_MT_WB } };
	struct fake_mem m;
	struct ept_env env = make_env(&m, true, true);
	uint64_t pml4, hpa, perms;
	uint8_t mt;
	struct ept_stats st;
	assert_int_equal(ept_build_identity(&env, r, 1, 8 * MiB + 1, &pml4, &st), 0);
	assert_int_equal(ept_translate(&env, pml4, 8 * MiB, &hpa, &mt, &perms), 0);
	assert_int_equal(ept_translate(&env, pml4, 8 * MiB + 0xfff, &hpa, &mt, &perms), 0);
	assert_int_equal(ept_translate(&env, pml4, 8 * MiB + 0x1000, &hpa, &mt, &perms), -1);
	fake_free(&m);
}

/* ---- adjacent ranges with the same memory type ("seams") ---- */

static void test_ept_seam_translation(void **state)
{
	const struct ept_range r[] = {
		{ 0x0, 0xa0000, EPT_MT_WB },
		{ 0xa0000, 0xc0000, EPT_MT_UC },
		{ 0xc0000, 0x100000, EPT_MT_UC },
		{ 0x100000, 0x1000000, EPT_MT_WB },
		{ 0x1000000, 0x1100000, EPT_MT_WB },
		{ 0x1100000, 0x4000000, EPT_MT_WB },
	};
	for (int mode = 0; mode < 3; mode++) {
		struct ept_stats st;
		build_and_check(r, ARRAY_SIZE(r), 64 * MiB, mode == 0, mode < 2, 4 * KiB, &st);
	}
}

/* A 2 MiB page made of two adjacent WB ranges must be one 2M leaf. */
static void test_ept_seam_uses_2m_leaf(void **state)
{
	const struct ept_range r[] = {
		{ 0x0, 0x100000, EPT_MT_WB },
		{ 0x100000, 0x200000, EPT_MT_WB },
	};
	struct ept_stats st;
	build_and_check(r, ARRAY_SIZE(r), 2 * MiB, true, true, 4 * KiB, &st);
	if (st.leaves_2m != 1)
		print_error("seam: %u 2M leaves, %u 4K leaves (want one 2M leaf)\n", st.leaves_2m, st.leaves_4k);
	assert_int_equal(st.leaves_2m, 1);
	assert_int_equal(st.leaves_4k, 0);
}

static void test_ept_seam_three_ranges_2m_leaf(void **state)
{
	/* Seams at 2M+512K and 3M inside the 2-4 MiB page, plus a UC page at 4 MiB. */
	const struct ept_range r[] = {
		{ 0x0, 0x200000, EPT_MT_UC },
		{ 0x200000, 0x280000, EPT_MT_WB },
		{ 0x280000, 0x300000, EPT_MT_WB },
		{ 0x300000, 0x400000, EPT_MT_WB },
		{ 0x400000, 0x600000, EPT_MT_UC },
	};
	struct ept_stats st;
	build_and_check(r, ARRAY_SIZE(r), 6 * MiB, true, true, 4 * KiB, &st);
	assert_int_equal(st.leaves_2m, 3);
	assert_int_equal(st.leaves_4k, 0);
}

/* A GiB made of two adjacent WB ranges must be one 1G leaf. */
static void test_ept_seam_uses_1g_leaf(void **state)
{
	const struct ept_range r[] = {
		{ 0x0, 512 * MiB, EPT_MT_WB },
		{ 512 * MiB, GiB, EPT_MT_WB },
		{ GiB, 2 * GiB, EPT_MT_UC },
	};
	struct ept_stats st;
	build_and_check(r, ARRAY_SIZE(r), 2 * GiB, true, true, 256 * KiB, &st);
	if (st.leaves_1g != 2)
		print_error("seam: %u 1G leaves, %u 2M leaves (want two 1G leaves)\n", st.leaves_1g, st.leaves_2m);
	assert_int_equal(st.leaves_1g, 2);
	assert_int_equal(st.leaves_2m, 0);
}

/* Guards: no large page across a type change or across a gap between same-type ranges. */
static void test_ept_no_large_page_across_type_change(void **state)
{
	const struct ept_range r[] = {
		{ 0x0, 0x100000, EPT_MT_WB },
		{ 0x100000, 0x200000, EPT_MT_UC },
		{ 0x200000, 0x400000, EPT_MT_WB },
	};
	struct ept_stats st;
	build_and_check(r, ARRAY_SIZE(r), 4 * MiB, true, true, 4 * KiB, &st);
	assert_int_equal(st.leaves_2m, 1);      /* only 2-4 MiB */
	assert_int_equal(st.leaves_4k, 512);
}

/* A trapped MMIO page (the local APIC): readable and executable, not writable, UC, one 4K leaf. */
static void test_ept_read_only_page(void **state)
{
	const struct ept_range r[] = {
		{ 0x0, 0xfee00000ull, EPT_MT_UC },
		{ 0xfee00000ull, 0xfee01000ull, EPT_MT_UC | EPT_MT_READ_ONLY },
		{ 0xfee01000ull, 4 * GiB, EPT_MT_UC },
	};
	struct fake_mem m;
	struct ept_env e = make_env(&m, true, true);
	uint64_t pml4;
	struct ept_stats st;
	assert_int_equal(ept_build_identity(&e, r, 3, 4 * GiB, &pml4, &st), 0);
	uint64_t hpa, perms;
	uint8_t mt;
	assert_int_equal(ept_translate(&e, pml4, 0xfee00300ull, &hpa, &mt, &perms), 0);
	assert_int_equal(hpa, 0xfee00300ull);
	assert_int_equal(mt, EPT_MT_UC);
	assert_int_equal(perms, EPT_R | EPT_X);
	assert_int_equal(ept_translate(&e, pml4, 0xfee01000ull, &hpa, &mt, &perms), 0);
	assert_int_equal(perms, EPT_RWX);
	assert_int_equal(ept_translate(&e, pml4, 0xfedff000ull, &hpa, &mt, &perms), 0);
	assert_int_equal(perms, EPT_RWX);
	assert_int_equal(st.leaves_4k, 512);   /* only the 2 MiB around the page is split */
	fake_free(&m);
}

/*
 * A hole punched into a live identity map (a virtual BAR the guest moved):
 * inside not present, everything around it translated exactly as before,
 * 1 GiB and 2 MiB leaves split only where the hole cuts through them.
 */
static void check_same_outside(const struct ept_env *e, uint64_t pml4, uint64_t base, uint64_t size)
{
	static const int64_t probes[] = { -0x200000, -0x1000, 0, 0x1000, 0x8000, 0xf000 };
	for (unsigned i = 0; i < ARRAY_SIZE(probes); i++) {
		uint64_t gpa = base + (uint64_t)probes[i], hpa, perms;
		uint8_t mt;
		int rc = ept_translate(e, pml4, gpa, &hpa, &mt, &perms);
		if (gpa >= base && gpa < base + size) {
			assert_int_equal(rc, -1);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(hpa, gpa);
			assert_int_equal(perms, EPT_RWX);
		}
	}
	uint64_t hpa, perms;
	uint8_t mt;
	assert_int_equal(ept_translate(e, pml4, base + size, &hpa, &mt, &perms), 0);
	assert_int_equal(hpa, base + size);
}

/*
 * The guest's EPT as ept_setup makes it, on the MTRRs Bochs' BIOS sets
 * (default WB, 3-4 GiB UC) plus typical fixed ranges: the leaves carry the
 * MTRR type, large pages wherever one type spans them, 4 KiB pieces in the
 * first MiB, odv-hv's region a hole and the local APIC page read-only UC.
 */
static void test_ept_mtrr_types(void **state)
{
	struct mtrr_state s = { .cap = MTRRCAP_FIX | 8, .def_type = MTRRDEF_E | MTRRDEF_FE | MTRR_WB,
				.maxphyaddr = 39 };
	s.fixed[0] = s.fixed[1] = 0x0606060606060606ull;   /* 0-9FFFF WB */
	for (unsigned i = 3; i < MTRR_NR_FIXED; i++)
		s.fixed[i] = 0x0505050505050505ull;         /* C0000-FFFFF WP; A0000-BFFFF UC */
	s.var[0].base = 3 * GiB | MTRR_UC;
	s.var[0].mask = (((1ull << 39) - 1) & ~(GiB - 1)) | MTRR_MASK_V;
	struct mtrr_range runs[MTRR_MAX_RANGES];
	int m = mtrr_ranges(&s, 8 * GiB, runs, MTRR_MAX_RANGES);
	assert_int_equal(m, 6);   /* WB, UC, WP, WB to 3 GiB, UC, WB */
	const struct ept_range in[] = {
		{ 0, 0x30000000ull, 0 },                      /* odv-hv at 0x30000000-0x30600000 */
		{ 0x30600000ull, 0xfee00000ull, 0 },
		{ 0xfee00000ull, 0xfee01000ull, EPT_MT_READ_ONLY },
		{ 0xfee01000ull, 8 * GiB, 0 },
	};
	struct ept_range r[16];
	int n = mtrr_type_ept(runs, (unsigned)m, in, 4, r, 16);
	assert_int_equal(n, 9);
	struct fake_mem fm;
	struct ept_env e = make_env(&fm, true, true);
	uint64_t pml4;
	struct ept_stats st;
	assert_int_equal(ept_build_identity(&e, r, (unsigned)n, 8 * GiB, &pml4, &st), 0);
	static const struct { uint64_t gpa; int type, level; uint64_t perms; } want[] = {
		{ 0x0, EPT_MT_WB, 1, EPT_RWX }, { 0x9f000, EPT_MT_WB, 1, EPT_RWX },
		{ 0xa0000, EPT_MT_UC, 1, EPT_RWX }, { 0xc0000, MTRR_WP, 1, EPT_RWX },
		{ 0xff000, MTRR_WP, 1, EPT_RWX }, { 0x100000, EPT_MT_WB, 1, EPT_RWX },
		{ 0x200000, EPT_MT_WB, 2, EPT_RWX }, { GiB, EPT_MT_WB, 3, EPT_RWX },
		{ 0x30600000ull, EPT_MT_WB, 2, EPT_RWX }, { 2 * GiB, EPT_MT_WB, 3, EPT_RWX },
		{ 3 * GiB, EPT_MT_UC, 2, EPT_RWX }, { 0xfee00000ull, EPT_MT_UC, 1, EPT_R | EPT_X },
		{ 0xfee01000ull, EPT_MT_UC, 1, EPT_RWX }, { 4 * GiB, EPT_MT_WB, 3, EPT_RWX },
		{ 7 * GiB + 5, EPT_MT_WB, 3, EPT_RWX },
	};
	struct pt_env pe = { NULL, fake_ptr, &fm };
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		uint64_t hpa, perms;
		uint8_t mt;
		struct pt_leaf leaf;
		assert_int_equal(ept_translate(&e, pml4, want[i].gpa, &hpa, &mt, &perms), 0);
		assert_int_equal(pt_lookup(&pt_ept, &pe, pml4, 4, want[i].gpa, &leaf), 0);
		if (mt != want[i].type || leaf.level != want[i].level || perms != want[i].perms)
			print_error("gpa 0x%llx: type %u level %d perms %llu\n", (unsigned long long)want[i].gpa,
				    mt, leaf.level, (unsigned long long)perms);
		assert_int_equal(hpa, want[i].gpa);
		assert_int_equal(mt, want[i].type);
		assert_int_equal(leaf.level, want[i].level);
		assert_int_equal(perms, want[i].perms);
	}
	uint64_t hpa, perms;
	uint8_t mt;
	assert_int_equal(ept_translate(&e, pml4, 0x30000000ull, &hpa, &mt, &perms), -1);
	assert_int_equal(ept_translate(&e, pml4, 0x305ff000ull, &hpa, &mt, &perms), -1);
	/* Too small an output array fails rather than truncating. */
	assert_int_equal(mtrr_type_ept(runs, (unsigned)m, in, 4, r, 8), -1);
	fake_free(&fm);
}

static void test_ept_unmap_range_splits(void **state)
{
	struct fake_mem m;
	struct ept_env e = make_env(&m, true, true);
	uint64_t pml4;
	struct ept_stats st;
	assert_int_equal(ept_build_identity(&e, bochs, ARRAY_SIZE(bochs), 4 * GiB, &pml4, &st), 0);
	uint8_t mt_before;
	uint64_t hpa, perms;
	assert_int_equal(ept_translate(&e, pml4, 0xc0000000ull, &hpa, &mt_before, &perms), 0);
	unsigned tables = m.used;
	/* 32 KiB inside a 1 GiB leaf: one 2 MiB table and one 4 KiB table more. */
	assert_int_equal(ept_unmap_range(&e, pml4, 0xc0000000ull, 0x8000), 0);
	assert_int_equal(m.used, tables + 2);
	check_same_outside(&e, pml4, 0xc0000000ull, 0x8000);
	uint8_t mt;
	assert_int_equal(ept_translate(&e, pml4, 0xc0008000ull, &hpa, &mt, &perms), 0);
	assert_int_equal(mt, mt_before);
	/* Again, overlapping: no new tables where the split is done; idempotent. */
	assert_int_equal(ept_unmap_range(&e, pml4, 0xc0004000ull, 0x8000), 0);
	assert_int_equal(m.used, tables + 2);
	check_same_outside(&e, pml4, 0xc0000000ull, 0xc000);
	/* A whole 2 MiB leaf (same 1 GiB, already split) is dropped: no table at all. */
	assert_int_equal(ept_unmap_range(&e, pml4, 0xd0000000ull, 0x200000), 0);
	assert_int_equal(m.used, tables + 2);
	check_same_outside(&e, pml4, 0xd0000000ull, 0x200000);
	/* Misaligned or wrapping ranges are refused. */
	assert_int_equal(ept_unmap_range(&e, pml4, 0xc0000800ull, 0x1000), -1);
	assert_int_equal(ept_unmap_range(&e, pml4, 0xfffffffffffff000ull, 0x2000), -1);
	/* Out of pages: -1. */
	m.fail_after = m.used;
	assert_int_equal(ept_unmap_range(&e, pml4, 0x80000000ull, 0x1000), -1);
	fake_free(&m);
}

static void test_ept_no_large_page_across_gap(void **state)
{
	const struct ept_range r[] = {
		{ 0x0, 0x100000, EPT_MT_WB },
		{ 0x101000, 0x200000, EPT_MT_WB },      /* one page missing at 1 MiB */
		{ 0x200000, 0x3ff000, EPT_MT_WB },      /* one page missing at the end */
		{ 0x400000, 0x600000, EPT_MT_WB },
	};
	struct ept_stats st;
	build_and_check(r, ARRAY_SIZE(r), 6 * MiB, true, true, 4 * KiB, &st);
	assert_int_equal(st.leaves_2m, 1);      /* only 4-6 MiB */
	assert_int_equal(st.leaves_4k, 511 + 511);
}

static void test_ept_seam_range_past_large_page(void **state)
{
	/* Adjacent same-type ranges, the second running on past the 2 MiB boundary. */
	const struct ept_range r[] = {
		{ 0x0, 0x100000, EPT_MT_WB },
		{ 0x100000, 0x300000, EPT_MT_WB },
	};
	struct ept_stats st;
	build_and_check(r, ARRAY_SIZE(r), 4 * MiB, true, true, 4 * KiB, &st);
	assert_int_equal(st.leaves_2m, 1);
	assert_int_equal(st.leaves_4k, 256);    /* 2-3 MiB; 3-4 MiB not present */
}

/* ---- running out of pages ---- */

static void test_ept_out_of_pages(void **state)
{
	struct fake_mem m;
	struct ept_env env = make_env(&m, true, true);
	uint64_t pml4;
	struct ept_stats st;
	assert_int_equal(ept_build_identity(&env, bochs, ARRAY_SIZE(bochs), 4 * GiB, &pml4, &st), 0);
	unsigned needed = m.used;
	fake_free(&m);
	assert_int_equal(needed, 4);
	for (unsigned n = 0; n < needed; n++) {
		env = make_env(&m, true, true);
		m.fail_after = n;
		assert_int_equal(ept_build_identity(&env, bochs, ARRAY_SIZE(bochs), 4 * GiB, &pml4, &st), -1);
		fake_free(&m);
	}
	env = make_env(&m, true, true);
	m.fail_after = needed;
	assert_int_equal(ept_build_identity(&env, bochs, ARRAY_SIZE(bochs), 4 * GiB, &pml4, &st), 0);
	fake_free(&m);
}

static void test_ept_out_of_pages_4k(void **state)
{
	/* Fails deep inside (the 1000th table of a 4K-only map) and partway (stats NULL is fine). */
	struct fake_mem m;
	struct ept_env env = make_env(&m, false, false);
	uint64_t pml4;
	m.fail_after = 1000;
	assert_int_equal(ept_build_identity(&env, bochs, ARRAY_SIZE(bochs), 4 * GiB, &pml4, NULL), -1);
	assert_int_equal(m.used, 1000);
	fake_free(&m);
	env = make_env(&m, false, false);
	m.fail_after = 2051;
	assert_int_equal(ept_build_identity(&env, bochs, ARRAY_SIZE(bochs), 4 * GiB, &pml4, NULL), -1);
	fake_free(&m);
	env = make_env(&m, false, false);
	m.fail_after = 2052;
	assert_int_equal(ept_build_identity(&env, bochs, ARRAY_SIZE(bochs), 4 * GiB, &pml4, NULL), 0);
	fake_free(&m);
}

static void test_ept_empty_map(void **state)
{
	struct fake_mem m;
	struct ept_env env = make_env(&m, true, true);
	uint64_t pml4, hpa, perms;
	uint8_t mt;
	struct ept_stats st;
	assert_int_equal(ept_build_identity(&env, NULL, 0, 4 * GiB, &pml4, &st), 0);
	assert_int_equal(st.leaves_4k + st.leaves_2m + st.leaves_1g, 0);
	assert_int_equal(ept_translate(&env, pml4, 0, &hpa, &mt, &perms), -1);
	assert_int_equal(ept_translate(&env, pml4, 2 * GiB, &hpa, &mt, &perms), -1);
	fake_free(&m);
}

static void test_ept_make_eptp(void **state)
{
	assert_int_equal(ept_make_eptp(0x12345000) & 0xfff, 0x1e);
	assert_int_equal(ept_make_eptp(0x12345000) & ~0xfffull, 0x12345000);
	assert_int_equal(ept_make_eptp(0xfff000000ull), 0xfff00001eull);
	/* Bits: memory type WB (6) in 2:0, page-walk length - 1 (3) in 5:3, no A/D. */
	uint64_t e = ept_make_eptp(0x1000);
	assert_int_equal(e & 7, 6);
	assert_int_equal((e >> 3) & 7, 3);
	assert_int_equal(e & BIT(6), 0);
}

/* ---- VT-d second-level tables (iommu/vtd.c): 3 levels, R/W only, the same hole ---- */

static void test_ept_vtd_format(void **state)
{
	struct fake_mem m;
	struct ept_env env = make_env(&m, true, true);
	env.levels = 3;
	env.vtd = true;
	uint64_t root;
	/* Only the RAM of the Bochs-like map: devices write RAM, odv-hv's region is a hole. */
	const struct ept_range ram[] = { bochs[0], bochs[2], bochs[3] };
	assert_int_equal(ept_build_identity(&env, ram, 3, 0x10000000, &root, NULL), 0);
	struct pt_env pe = { NULL, env.phys_to_ptr, env.ctx };
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt_vtd, &pe, root, 3, 0x200000, &l), 0);
	assert_int_equal(l.pa, 0x200000);
	assert_int_equal(l.level, 2);
	assert_int_equal(l.entry, 0x200000 | 3 | BIT(7));   /* R, W, PS: no type, no X */
	assert_int_equal(pt_lookup(&pt_vtd, &pe, root, 3, 0x1000, &l), 0);
	assert_int_equal(l.entry, 0x1000 | 3);
	assert_int_equal(pt_lookup(&pt_vtd, &pe, root, 3, 0xfa00000, &l), -1);   /* odv-hv */
	assert_int_equal(pt_lookup(&pt_vtd, &pe, root, 3, 0xfdff000, &l), -1);
	assert_int_equal(pt_lookup(&pt_vtd, &pe, root, 3, 0xfe00000, &l), 0);
	assert_int_equal(pt_lookup(&pt_vtd, &pe, root, 3, 0xa0000, &l), -1);     /* not RAM */
	const uint64_t *top = env.phys_to_ptr(env.ctx, root);
	assert_int_equal(top[0] & 0xfff, 3);                                      /* table entry: R/W */
	/* A page of odv-hv's made reachable for one device (its own DMA buffer). */
	pe.alloc = env.alloc_page;
	assert_int_equal(pt_map_4k(&pt_vtd, &pe, root, 3, 0xfb00000, 0xfb00000, 3, false), 0);
	assert_int_equal(pt_lookup(&pt_vtd, &pe, root, 3, 0xfb00000, &l), 0);
	assert_int_equal(pt_lookup(&pt_vtd, &pe, root, 3, 0xfb01000, &l), -1);
	fake_free(&m);
	/* Three levels translate 512 GiB: more cannot be built. */
	env = make_env(&m, true, true);
	env.levels = 3;
	env.vtd = true;
	assert_int_equal(ept_build_identity(&env, ram, 3, 1024 * GiB, &root, NULL), -1);
	fake_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ept_bochs_1g_2m),
		cmocka_unit_test(test_ept_read_only_page),
		cmocka_unit_test(test_ept_mtrr_types),
		cmocka_unit_test(test_ept_bochs_2m_only),
		cmocka_unit_test(test_ept_bochs_4k_only),
		cmocka_unit_test(test_ept_bochs_1g_without_2m),
		cmocka_unit_test(test_ept_8g_uses_1g_pages),
		cmocka_unit_test(test_ept_ranges_end_below_limit),
		cmocka_unit_test(test_ept_limit_not_on_large_boundary),
		cmocka_unit_test(test_ept_unaligned_limit_rounds_up),
		cmocka_unit_test(test_ept_seam_translation),
		cmocka_unit_test(test_ept_seam_uses_2m_leaf),
		cmocka_unit_test(test_ept_seam_three_ranges_2m_leaf),
		cmocka_unit_test(test_ept_seam_uses_1g_leaf),
		cmocka_unit_test(test_ept_no_large_page_across_type_change),
		cmocka_unit_test(test_ept_no_large_page_across_gap),
		cmocka_unit_test(test_ept_seam_range_past_large_page),
		cmocka_unit_test(test_ept_out_of_pages),
		cmocka_unit_test(test_ept_out_of_pages_4k),
		cmocka_unit_test(test_ept_empty_map),
		cmocka_unit_test(test_ept_vtd_format),
		cmocka_unit_test(test_ept_make_eptp),
		cmocka_unit_test(test_ept_unmap_range_splits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
