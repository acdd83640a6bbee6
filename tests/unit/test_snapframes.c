/*
 * Host unit tests for guest-agent/snapframes.c: /proc/kcore's headers, a
 * /proc/kallsyms line, and the walk of the kernel's copy bitmap over a fake
 * kernel memory laid out as Linux 6.1 lays it out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "le.h"
#include "snapframes.h"

/* ---- /proc/kcore headers ---- */

static uint8_t core[4096];

static void phdr(unsigned i, uint32_t type, uint64_t off, uint64_t va, uint64_t pa, uint64_t size)
{
	uint8_t *p = core + 64 + i * 56;
	le_put(p, 4, type);
	le_put(p + 8, 8, off);
	le_put(p + 16, 8, va);
	le_put(p + 24, 8, pa);
	le_put(p + 32, 8, size);
	le_put(p + 40, 8, size);
}

/* A note, the kernel text (also RAM at 16 MiB), vmalloc (no physical address), the direct map of 1 GiB. */
static void make_core(void)
{
	memset(core, 0, sizeof(core));
	memcpy(core, "\177ELF", 4);
	core[4] = 2;
	core[5] = 1;
	le_put(core + 18, 2, 62);
	le_put(core + 32, 8, 64);
	le_put(core + 54, 2, 56);
	le_put(core + 56, 2, 4);
	phdr(0, 4 /* PT_NOTE */, 0x1000, 0, 0, 0x100);
	phdr(1, 1, 0x7fff81001000ull, 0xffffffff81000000ull, 0x1000000, 0x2000000);
	phdr(2, 1, 0x400000002000ull, 0xffffc90000000000ull, ~0ull, 0x1000000);
	phdr(3, 1, 0x7888000001000ull, 0xffff888000000000ull, 0, 0x40000000);
}

static void test_kcore_parse(void **state)
{
	struct kcore_seg s[8];
	make_core();
	assert_int_equal(kcore_parse(core, sizeof(core), s, 8), 3);
	assert_int_equal(s[0].vaddr, 0xffffffff81000000ull);
	assert_int_equal(s[2].paddr, 0);
	assert_int_equal(kcore_parse(core, sizeof(core), s, 2), -1);          /* more segments than room */
	assert_int_equal(kcore_parse(core, 64 + 3 * 56, s, 8), -1);           /* headers cut short */
	core[18] = 3;                                                         /* not x86-64 */
	assert_int_equal(kcore_parse(core, sizeof(core), s, 8), -1);
	make_core();
	core[4] = 1;                                                          /* 32-bit */
	assert_int_equal(kcore_parse(core, sizeof(core), s, 8), -1);
}

static void test_kcore_offsets(void **state)
{
	struct kcore_seg s[8];
	make_core();
	int n = kcore_parse(core, sizeof(core), s, 8);
	/* a kernel variable: through the text segment */
	assert_int_equal(kcore_offset_virt(s, n, 0xffffffff81000040ull, 64), 0x7fff81001040ll);
	/* physical 16 MiB lies in the text segment too, but is read through the direct map */
	assert_int_equal(kcore_offset_phys(s, n, 0x1000000, 4096), 0x7888001001000ll);
	assert_int_equal(kcore_offset_phys(s, n, 0x3ffff000, 4096), 0x7888000001000ll + 0x3ffff000);
	assert_int_equal(kcore_offset_phys(s, n, 0x3ffff000, 8192), -1);     /* runs past the end of RAM */
	assert_int_equal(kcore_offset_phys(s, n, 0x40000000, 4096), -1);
	assert_int_equal(kcore_offset_virt(s, n, 0xffffc90000ffff00ull, 0x200), -1);
}

static void test_kallsyms_line(void **state)
{
	uint64_t a = 0;
	assert_true(kallsyms_line("ffffffffa4d88700 b copy_bm\n", "copy_bm", &a));
	assert_int_equal(a, 0xffffffffa4d88700ull);
	assert_false(kallsyms_line("ffffffffa4d88740 b orig_bm\n", "copy_bm", &a));
	assert_false(kallsyms_line("ffffffffa4d88700 b copy_bm_x\n", "copy_bm", &a));
	assert_false(kallsyms_line("ffffffffc0a01000 b copy_bm\t[somemod]\n", "copy_bm", &a));
	assert_false(kallsyms_line("0000000000000000 b copy_bm\n", "copy_bm", &a));   /* hidden from non-root */
	assert_false(kallsyms_line("garbage\n", "copy_bm", &a));
	assert_false(kallsyms_line("", "copy_bm", &a));
}

/* ---- the copy bitmap ---- */

#define MEM_SIZE 0x40000
static uint8_t mem[MEM_SIZE];
static int fail_at = -1;   /* an address whose read fails */

static int rd(void *ctx, uint64_t va, void *buf, size_t len)
{
	if (va >= MEM_SIZE || len > MEM_SIZE - va || (fail_at >= 0 && (uint64_t)fail_at >= va && (uint64_t)fail_at < va + len))
		return -1;
	memcpy(buf, mem + va, len);
	return 0;
}

static void put(uint64_t va, uint64_t v) { le_put(mem + va, 8, v); }
static void bit(uint64_t page, unsigned b) { mem[page + b / 8] |= (uint8_t)(1u << (b % 8)); }

enum { BM = 0x1000, Z1 = 0x2000, Z2 = 0x3000, L1 = 0x4000, L2a = 0x5000, L2b = 0x6000,
       D1 = 0x10000, D2a = 0x20000, D2b = 0x30000 };

/* struct memory_bitmap at BM: zone 1 (PFNs 0x100-0x163, one leaf), zone 2
 * (PFNs 0x8000 + 40000, two leaves); bits past each zone's end are set and
 * must be ignored, as memory_bm_next_pfn ignores them. */
static void make_bitmap(void)
{
	memset(mem, 0, sizeof(mem));
	fail_at = -1;
	put(BM, Z1);                                       /* zones.next */
	put(Z1, Z2);                                       /* zone 1: list.next */
	put(Z1 + 32, L1);                                  /* leaves.next */
	put(Z1 + 48, 0x100);
	put(Z1 + 56, 0x100 + 100);
	put(L1, Z1 + 32);                                  /* last leaf */
	put(L1 + 16, D1);
	bit(D1, 0); bit(D1, 5); bit(D1, 99); bit(D1, 100);
	put(Z2, BM);                                       /* zone 2: the last */
	put(Z2 + 32, L2a);
	put(Z2 + 48, 0x8000);
	put(Z2 + 56, 0x8000 + 40000);
	put(L2a, L2b);
	put(L2a + 16, D2a);
	put(L2b, Z2 + 32);
	put(L2b + 16, D2b);
	bit(D2a, 3); bit(D2a, 32767);
	bit(D2b, 0); bit(D2b, 7231); bit(D2b, 7232);
}

static const uint64_t expect[] = { 0x100, 0x105, 0x163, 0x8003, 0x8000 + 32767, 0x8000 + 32768,
				   0x8000 + 32768 + 7231 };

static void test_walk_order(void **state)
{
	uint64_t pfns[16];
	const char *err = NULL;
	make_bitmap();
	assert_int_equal(snapframes_walk(rd, NULL, BM, pfns, 16, 0x100000, &err), 7);
	assert_memory_equal(pfns, expect, sizeof(expect));
	/* only the first max: the copy bitmap may hold more frames than the image uses */
	memset(pfns, 0, sizeof(pfns));
	assert_int_equal(snapframes_walk(rd, NULL, BM, pfns, 4, 0x100000, &err), 4);
	assert_memory_equal(pfns, expect, 4 * sizeof(uint64_t));
	assert_int_equal(pfns[4], 0);
}

static void test_walk_refuses_bad_shapes(void **state)
{
	uint64_t pfns[16];
	const char *err = NULL;
	make_bitmap();
	assert_int_equal(snapframes_walk(rd, NULL, BM, pfns, 16, 0x8000 + 39999, &err), -1);   /* zone past RAM */
	assert_non_null(strstr(err, "inside RAM"));
	make_bitmap();
	put(Z2 + 48, 0x80);                                    /* zones out of order */
	assert_int_equal(snapframes_walk(rd, NULL, BM, pfns, 16, 0x100000, &err), -1);
	make_bitmap();
	put(L2b, L2a);                                         /* a leaf loop */
	assert_int_equal(snapframes_walk(rd, NULL, BM, pfns, 16, 0x100000, &err), -1);
	assert_non_null(strstr(err, "more leaves"));
	make_bitmap();
	fail_at = D2b + 8;                                     /* a bitmap page unreadable */
	assert_int_equal(snapframes_walk(rd, NULL, BM, pfns, 16, 0x100000, &err), -1);
	assert_non_null(strstr(err, "cannot be read"));
	make_bitmap();
	assert_int_equal(snapframes_walk(rd, NULL, MEM_SIZE, pfns, 16, 0x100000, &err), -1);    /* no bitmap there */
}

/* Another kernel's layout (a field added before start_pfn) must not pass as this one. */
static void test_walk_other_layout(void **state)
{
	uint64_t pfns[16];
	const char *err = NULL;
	make_bitmap();
	put(Z1 + 48, 0);   /* start_pfn read where another field would be: 0 ... */
	put(Z1 + 56, 0);   /* ... and end_pfn 0: not a range */
	assert_int_equal(snapframes_walk(rd, NULL, BM, pfns, 16, 0x100000, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kcore_parse),
		cmocka_unit_test(test_kcore_offsets),
		cmocka_unit_test(test_kallsyms_line),
		cmocka_unit_test(test_walk_order),
		cmocka_unit_test(test_walk_refuses_bad_shapes),
		cmocka_unit_test(test_walk_other_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
