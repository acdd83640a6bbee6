/*
 * Host unit tests for the agent's pure helpers: memmap= parsing and lookup
 * (guest-agent/sysfacts.c) and where the image stream is (guest-agent/plan.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "sysfacts.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define PG  4096ull

/* ---------------------------------------------------------------- parse_memmap_reservation */

static void expect_none(const char *cmdline);

static void expect_parse(const char *val, uint64_t base, uint64_t size)
{
	uint64_t b = 0xdead, s = 0xbeef;
	int rc = parse_memmap_reservation(val, &b, &s);
	if (rc)
		print_error("\"%s\" was rejected\n", val);
	assert_int_equal(rc, 0);
	assert_int_equal(b, base);
	assert_int_equal(s, size);
}

static void expect_reject(const char *val)
{
	uint64_t b = 0, s = 0;
	int rc = parse_memmap_reservation(val, &b, &s);
	if (rc != -1)
		print_error("\"%s\" was accepted: base 0x%llx size 0x%llx\n", val,
			    (unsigned long long)b, (unsigned long long)s);
	assert_int_equal(rc, -1);
}

static void test_parse_reservation_forms(void **state)
{
	expect_parse("64M$0x30000000", 0x30000000, 64 * MiB);
	expect_parse("0x4000000$0x30000000", 0x30000000, 64 * MiB);
	expect_parse("1G$4G", 4 * GiB, 1 * GiB);
	expect_parse("512K$0x100000", 0x100000, 512 * KiB);
	expect_parse("64m$768m", 768 * MiB, 64 * MiB);
	expect_parse("2g$0x100000000", 4 * GiB, 2 * GiB);
	expect_parse("128k$1024k", 1 * MiB, 128 * KiB);
	expect_parse("67108864$805306368", 0x30000000, 64 * MiB);
	expect_parse("4096$0", 0, 4096);
	/* Large: a reservation above 4 GiB and one bigger than 4 GiB. */
	expect_parse("8G$0x200000000", 8 * GiB, 8 * GiB);
}

/* The value may be followed by the rest of a command line or another list element. */
static void test_parse_reservation_terminators(void **state)
{
	expect_parse("64M$0x30000000 quiet", 0x30000000, 64 * MiB);
	expect_parse("64M$0x30000000,1M!2M", 0x30000000, 64 * MiB);
	expect_parse("64M$0x30000000\n", 0x30000000, 64 * MiB);
	expect_reject("64M$0x30000000x");
	expect_reject("64M$0x30000000$");
	expect_reject("64M$0x30000000;");
	expect_reject("64M$0x3000000Z");
}

static void test_parse_reservation_rejects(void **state)
{
	expect_reject("64M@0x1000");      /* usable RAM, not reserved */
	expect_reject("64M#0x1000");      /* ACPI data */
	expect_reject("64M!0x1000");      /* protected */
	expect_reject("64M");             /* no address */
	expect_reject("64M$");            /* empty address */
	expect_reject("$0x1000");         /* no size */
	expect_reject("M$0x1000");
	expect_reject("0$0x1000");        /* size 0 */
	expect_reject("0M$0x1000");
	expect_reject("0x0$0x30000000");
	expect_reject("");
	expect_reject("exactmap");
	expect_reject("nopentium");
	expect_reject("64 M$0x1000");
	expect_reject("64M $0x1000");
}

/*
 * Linux's memparse() takes neither a sign nor leading blanks: "memmap=-64M$..."
 * reserves nothing, and in "memmap=64M$ 0x30000000" the address is not part
 * of the value (the kernel reserves at 0). The agent must not read
 * a reservation at 0x30000000 out of either.
 */
static void test_parse_reservation_no_sign_or_blank(void **state)
{
	expect_reject("-64M$0x30000000");
	expect_reject("64M$-0x30000000");
	expect_reject("+64M$0x30000000");
	expect_reject("64M$ 0x30000000");
	expect_reject("64M$\t0x30000000");
	expect_none("quiet memmap=64M$ 0x30000000");
	expect_none("quiet memmap=-64M$0x30000000");
}

/* ---------------------------------------------------------------- find_reservation */

static void expect_find(const char *cmdline, uint64_t base, uint64_t size)
{
	struct reservation r = { 1, 2, false };
	bool ok = find_reservation(cmdline, &r);
	if (!ok)
		print_error("no reservation found in \"%s\"\n", cmdline);
	assert_true(ok);
	assert_true(r.found);
	assert_int_equal(r.base, base);
	assert_int_equal(r.size, size);
}

static void expect_none(const char *cmdline)
{
	struct reservation r = { 1, 2, true };
	bool ok = find_reservation(cmdline, &r);
	if (ok)
		print_error("found 0x%llx+0x%llx in \"%s\"\n", (unsigned long long)r.base,
			    (unsigned long long)r.size, cmdline);
	assert_false(ok);
	assert_false(r.found);
}

static void test_find_reservation_cmdline(void **state)
{
	expect_find("BOOT_IMAGE=/vmlinuz root=/dev/sda1 memmap=64M$0x30000000 quiet", 0x30000000, 64 * MiB);
	/* First and last word, with the trailing newline of /proc/cmdline. */
	expect_find("memmap=64M$0x30000000 ro quiet", 0x30000000, 64 * MiB);
	expect_find("ro quiet memmap=128M$0x10000000\n", 0x10000000, 128 * MiB);
	expect_find("memmap=1G$4G", 4 * GiB, 1 * GiB);
	/* Among other memmap= words of other kinds. */
	expect_find("memmap=1M!2M memmap=64M$0x30000000 memmap=4K#0x9000", 0x30000000, 64 * MiB);
}

static void test_find_reservation_comma_list(void **state)
{
	expect_find("quiet memmap=1M!2M,64M$0x30000000 ro", 0x30000000, 64 * MiB);
	expect_find("memmap=64M$0x30000000,1M!2M", 0x30000000, 64 * MiB);
	expect_find("memmap=exactmap,640K@0,64M$0x30000000,1M#0x9f000 x", 0x30000000, 64 * MiB);
	expect_none("memmap=1M!2M,4M@0x1000000");
}

static void test_find_reservation_absent(void **state)
{
	expect_none("");
	expect_none("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet");
	expect_none("xmemmap=64M$0x30000000");
	expect_none("root=/dev/sda1 xmemmap=64M$0x30000000 quiet");
	expect_none("foo.memmap=64M$0x30000000");
	expect_none("memmap=64M@0x30000000");
	expect_none("memmap=");
	expect_none("memmap= 64M$0x30000000");
	expect_none("memmap=64M$");
	expect_none("memmap=0$0x30000000");
	/* A lookalike word must not hide a real one after it. */
	expect_find("xmemmap=1M$0x1000 memmap=64M$0x30000000", 0x30000000, 64 * MiB);
	/* A "memmap=" inside another parameter's value is not a parameter. */
	expect_none("init=/bin/sh,memmap=64M$0x30000000");
}

/* ---------------------------------------------------------------- plan_stream_runs */

static void test_stream_runs(void **state)
{
	(void)state;
	const uint64_t pfns[] = { 100, 101, 102, 50, 51, 200, 103, 104 };
	struct odv_handoff_run r[8];
	assert_int_equal(plan_stream_runs(pfns, 8, NULL, 0), 4);
	assert_int_equal(plan_stream_runs(pfns, 8, r, 8), 4);
	assert_int_equal(r[0].phys, 100 * PG); assert_int_equal(r[0].pages, 3);
	assert_int_equal(r[1].phys, 50 * PG);  assert_int_equal(r[1].pages, 2);
	assert_int_equal(r[2].phys, 200 * PG); assert_int_equal(r[2].pages, 1);
	/* 103 follows 200 in the stream, not 102: a new run, although the frames touch an earlier one. */
	assert_int_equal(r[3].phys, 103 * PG); assert_int_equal(r[3].pages, 2);
	/* A short out array gets the first runs and the full count. */
	struct odv_handoff_run two[2] = { { 0, 0 }, { 0, 0 } };
	assert_int_equal(plan_stream_runs(pfns, 8, two, 2), 4);
	assert_int_equal(two[1].phys, 50 * PG);
	assert_int_equal(plan_stream_runs(pfns, 0, r, 8), 0);
	const uint64_t one[] = { 7 };
	assert_int_equal(plan_stream_runs(one, 1, r, 8), 1);
	assert_int_equal(r[0].phys, 7 * PG);
	assert_int_equal(r[0].pages, 1);
}

/* The runs cover every page once, in order: a random frame sequence and back. */
static void test_stream_runs_random(void **state)
{
	(void)state;
	static uint64_t pfns[5000];
	static struct odv_handoff_run r[5000];
	uint64_t x = 12345;
	for (int round = 0; round < 50; round++) {
		uint64_t n = 1 + (x % 5000), p = 1000;
		for (uint64_t i = 0; i < n; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			p = (x >> 60) < 12 ? p + 1 : (x >> 33) % 1000000 + 1;   /* mostly consecutive */
			pfns[i] = p;
		}
		uint64_t nr = plan_stream_runs(pfns, n, r, 5000), k = 0;
		for (uint64_t i = 0; i < nr; i++)
			for (uint64_t j = 0; j < r[i].pages; j++, k++)
				assert_int_equal(r[i].phys / PG + j, pfns[k]);
		assert_int_equal(k, n);
	}
}

/* ---------------------------------------------------------------- plan_check_stream */

static void test_check_stream(void **state)
{
	(void)state;
	const struct odv_handoff_mem mem[] = {
		{ 1 * MiB, 3 * GiB - 1 * MiB, ODV_MEM_RAM, 0 },
		{ 4 * GiB, 2 * GiB, ODV_MEM_RAM, 0 },
	};
	const uint64_t image[] = { 0x100, 0x101, 0x5000, 0x5001, 0x9000 };   /* ascending */
	const uint64_t limit = 4 * GiB, rb = 768 * MiB, rl = 64 * MiB;
	struct odv_handoff_run ok[] = { { 0x200 * PG, 0x100 }, { 0x5002 * PG, 10 }, { 0x8000 * PG, 0x1000 } };
	assert_null(plan_check_stream(ok, 3, image, 5, mem, 2, rb, rl, limit));
	/* A run holding an image frame: at its start, its end, or inside. */
	struct odv_handoff_run a[] = { { 0x5001 * PG, 1 } };
	assert_non_null(plan_check_stream(a, 1, image, 5, mem, 2, rb, rl, limit));
	struct odv_handoff_run b[] = { { 0x4f00 * PG, 0x101 } };
	assert_non_null(plan_check_stream(b, 1, image, 5, mem, 2, rb, rl, limit));
	struct odv_handoff_run b2[] = { { 0x4f00 * PG, 0x100 } };   /* ends right before 0x5000 */
	assert_null(plan_check_stream(b2, 1, image, 5, mem, 2, rb, rl, limit));
	struct odv_handoff_run c[] = { { 0x8000 * PG, 0x2000 } };  /* covers 0x9000 */
	assert_non_null(plan_check_stream(c, 1, image, 5, mem, 2, rb, rl, limit));
	/* Beyond the limit odv-hv maps (RAM there), in the reservation, not RAM. */
	struct odv_handoff_run d[] = { { 4 * GiB + 0x1000, 1 } };
	assert_non_null(plan_check_stream(d, 1, image, 5, mem, 2, rb, rl, limit));
	struct odv_handoff_run d2[] = { { 4 * GiB - PG, 2 } };
	assert_non_null(plan_check_stream(d2, 1, image, 5, mem, 2, rb, rl, limit));
	struct odv_handoff_run e[] = { { rb + rl - PG, 1 } };
	assert_non_null(plan_check_stream(e, 1, image, 5, mem, 2, rb, rl, limit));
	struct odv_handoff_run f[] = { { 3 * GiB, 1 } };
	assert_non_null(plan_check_stream(f, 1, image, 5, mem, 2, rb, rl, limit));
	struct odv_handoff_run g[] = { { 0x200 * PG + 8, 1 } };    /* unaligned */
	assert_non_null(plan_check_stream(g, 1, image, 5, mem, 2, rb, rl, limit));
	struct odv_handoff_run h[] = { { 0x200 * PG, 0 } };        /* empty */
	assert_non_null(plan_check_stream(h, 1, image, 5, mem, 2, rb, rl, limit));
	/* The first MiB, although RAM in the map: odv-hv starts its CPUs there. */
	const struct odv_handoff_mem low[] = { { 0, 640 * KiB, ODV_MEM_RAM, 0 }, { 1 * MiB, 1 * GiB, ODV_MEM_RAM, 0 } };
	struct odv_handoff_run i1[] = { { 0x9000, 1 } };
	assert_non_null(plan_check_stream(i1, 1, image, 5, low, 2, rb, rl, limit));
	struct odv_handoff_run i2[] = { { 0x300 * PG, 1 } };   /* above it (0x100 is an image frame) */
	assert_null(plan_check_stream(i2, 1, image, 5, low, 2, rb, rl, limit));
	/* An image frame list out of order is refused whatever the runs. */
	const uint64_t unsorted[] = { 0x100, 0x5000, 0x101 };
	assert_non_null(plan_check_stream(ok, 3, unsorted, 3, mem, 2, rb, rl, limit));
	assert_null(plan_check_stream(ok, 0, image, 5, mem, 2, rb, rl, limit));
}

/* ---------------------------------------------------------------- plan_region_is_ram */

static void test_region_is_ram(void **state)
{
	(void)state;
	/* Unsorted, with an adjacent pair that together covers 1..3 GiB, a hole at
	 * 3 GiB and a reserved range above 4 GiB. */
	const struct odv_handoff_mem mem[] = {
		{ 2 * GiB, 1 * GiB, ODV_MEM_RAM, 0 },
		{ 1 * MiB, 1 * GiB - 1 * MiB, ODV_MEM_RAM, 0 },
		{ 1 * GiB, 1 * GiB, ODV_MEM_RAM, 0 },
		{ 4 * GiB, 1 * GiB, ODV_MEM_RESERVED, 0 },
	};
	assert_true(plan_region_is_ram(mem, 4, 768 * MiB, 64 * MiB));
	assert_true(plan_region_is_ram(mem, 4, 1 * GiB - 32 * MiB, 64 * MiB));   /* across two entries */
	assert_true(plan_region_is_ram(mem, 4, 1 * MiB, 3 * GiB - 1 * MiB));     /* all of them */
	assert_false(plan_region_is_ram(mem, 4, 3 * GiB - 32 * MiB, 64 * MiB));  /* runs into the hole */
	assert_false(plan_region_is_ram(mem, 4, 3 * GiB, 64 * MiB));             /* beyond RAM */
	assert_false(plan_region_is_ram(mem, 4, 4 * GiB, 64 * MiB));             /* reserved, not RAM */
	assert_false(plan_region_is_ram(mem, 4, 0, 64 * MiB));                   /* the first MiB is not listed */
	assert_false(plan_region_is_ram(mem, 4, 768 * MiB, 0));
	assert_false(plan_region_is_ram(mem, 4, ~0ull - 4095, 8192));            /* wraps */
	assert_false(plan_region_is_ram(mem, 0, 768 * MiB, 64 * MiB));
}

/* /sys/devices/system/cpu/present and friends: ranges and single CPUs, comma-separated. */
static void test_proc_swaps_names(void **state)
{
	(void)state;
	char names[3][16];
	const char *t = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
			"/dev/dm-0                               partition\t1048572\t\t0\t\t-2\n"
			"/var/lib/a-very-long-swap-file-name\tfile\t\t65532\t\t0\t\t-3\n";
	assert_int_equal(proc_swaps_names(t, &names[0][0], sizeof(names[0]), 3), 2);
	assert_string_equal(names[0], "/dev/dm-0");
	assert_string_equal(names[1], "/var/lib/a-very");   /* cut to the slot */
	assert_int_equal(proc_swaps_names("Filename Type Size Used Priority\n", &names[0][0], 16, 3), 0);
	assert_int_equal(proc_swaps_names("", &names[0][0], 16, 3), 0);
	assert_int_equal(proc_swaps_names(t, &names[0][0], 16, 1), 1);   /* no more than max */
}

static void test_cpulist_count(void **state)
{
	assert_int_equal(cpulist_count("0\n"), 1);
	assert_int_equal(cpulist_count("0-1\n"), 2);
	assert_int_equal(cpulist_count("0-3,6,8-9"), 7);
	assert_int_equal(cpulist_count(""), 0);
	assert_int_equal(cpulist_count("x"), -1);
	assert_int_equal(cpulist_count("3-1"), -1);
	assert_int_equal(cpulist_count("0;1"), -1);
}

/* /proc/iomem: System RAM above 4 GiB is counted from the limit on; nested lines and other types are not. */
static void test_iomem_ram_above(void **state)
{
	(void)state;
	const char *six_gib =
		"00000000-00000fff : Reserved\n"
		"00001000-0009fbff : System RAM\n"
		"00100000-bffdffff : System RAM\n"
		"  01000000-01e00000 : Kernel code\n"
		"30000000-33ffffff : Reserved\n"
		"fd000000-fdffffff : PCI Bus 0000:00\n"
		"100000000-1bfffffff : System RAM\n"
		"  100000000-100000fff : System RAM\n";
	uint64_t bytes, first;
	assert_int_equal(iomem_ram_above(six_gib, 4ull << 30, &bytes, &first), 0);
	assert_true(bytes == 3ull << 30);
	assert_true(first == 4ull << 30);
	assert_int_equal(iomem_ram_above(six_gib, 16ull << 30, &bytes, &first), 0);
	assert_true(bytes == 0 && first == 0);
	/* a range across the limit counts from the limit */
	assert_int_equal(iomem_ram_above("80000000-17fffffff : System RAM\n", 4ull << 30, &bytes, &first), 0);
	assert_true(bytes == 2ull << 30 && first == 4ull << 30);
	/* not root: every address reads as 0 */
	assert_int_equal(iomem_ram_above("00000000-00000000 : System RAM\n", 4ull << 30, &bytes, &first), -1);
	assert_int_equal(iomem_ram_above("", 4ull << 30, &bytes, &first), -1);
	/* a type that only starts with "System RAM" is not RAM */
	assert_int_equal(iomem_ram_above("100000000-1ffffffff : System RAMX\n", 0, &bytes, &first), -1);
}

/* /sys/firmware/efi/systab: ACPI 2.0's RSDP wins over ACPI 1.0's, whatever the order. */
static void test_systab_rsdp(void **state)
{
	(void)state;
	uint64_t p;
	assert_int_equal(systab_rsdp("ACPI20=0x3fb7e014\nACPI=0x3fb7e000\nSMBIOS=0x3f9e0000\n", &p), 0);
	assert_true(p == 0x3fb7e014);
	assert_int_equal(systab_rsdp("SMBIOS=0x3f9e0000\nACPI=0x3fb7e000\nACPI20=0x3fb7e014\n", &p), 0);
	assert_true(p == 0x3fb7e014);
	assert_int_equal(systab_rsdp("ACPI=0xf5a20\n", &p), 0);
	assert_true(p == 0xf5a20);
	assert_int_equal(systab_rsdp("SMBIOS=0x3f9e0000\n", &p), -1);
	assert_int_equal(systab_rsdp("", &p), -1);
	assert_int_equal(systab_rsdp("ACPI20=0x0\n", &p), -1);
	assert_int_equal(systab_rsdp("ACPI20=0x3fb7e014zz\n", &p), -1);   /* not a clean number */
	assert_int_equal(systab_rsdp("ACPI20=0x3fb7e014", &p), -1);        /* cut off */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpulist_count),
		cmocka_unit_test(test_proc_swaps_names),
		cmocka_unit_test(test_iomem_ram_above),
		cmocka_unit_test(test_systab_rsdp),
		cmocka_unit_test(test_parse_reservation_forms),
		cmocka_unit_test(test_parse_reservation_terminators),
		cmocka_unit_test(test_parse_reservation_rejects),
		cmocka_unit_test(test_parse_reservation_no_sign_or_blank),
		cmocka_unit_test(test_find_reservation_cmdline),
		cmocka_unit_test(test_find_reservation_comma_list),
		cmocka_unit_test(test_find_reservation_absent),
		cmocka_unit_test(test_region_is_ram),
		cmocka_unit_test(test_stream_runs),
		cmocka_unit_test(test_stream_runs_random),
		cmocka_unit_test(test_check_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
