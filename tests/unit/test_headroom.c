/*
 * Host unit tests for guest-agent/headroom.c: /proc/zoneinfo parsing and the
 * pages an allocation can take without entering reclaim.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "plan.h"
#include "sysfacts.h"

/* The shape of a 6.1 zoneinfo: per-CPU lists carry "high:" lines that are not
 * the zone's watermark, and Movable/Device zones are listed empty. */
static const char zoneinfo_1g[] =
	"Node 0, zone      DMA\n"
	"  per-node stats\n"
	"      nr_inactive_anon 42\n"
	"  pages free     3840\n"
	"        boost    0\n"
	"        min      34\n"
	"        low      42\n"
	"        high     50\n"
	"        spanned  4095\n"
	"        present  3998\n"
	"        managed  3840\n"
	"        protection: (0, 900, 950, 950, 950)\n"
	"  pagesets\n"
	"    cpu: 0\n"
	"              count: 0\n"
	"              high:  999999\n"
	"              batch: 1\n"
	"Node 0, zone    DMA32\n"
	"  pages free     100000\n"
	"        boost    0\n"
	"        min      1000\n"
	"        low      1250\n"
	"        high     1500\n"
	"        protection: (0, 0, 50, 50, 50)\n"
	"  pagesets\n"
	"    cpu: 0\n"
	"              high:     4316\n"
	"Node 0, zone   Normal\n"
	"  pages free     20000\n"
	"        min      400\n"
	"        low      500\n"
	"        high     600\n"
	"        protection: (0, 0, 0, 0, 0)\n"
	"Node 0, zone  Movable\n"
	"  pages free     777777\n"
	"        min      0\n"
	"        low      0\n"
	"        high     0\n"
	"        protection: (0, 0, 0, 0, 0)\n"
	"Node 0, zone   Device\n"
	"  pages free     0\n";

static void test_parse_fields(void **state)
{
	(void)state;
	struct zone_pages z[8];
	int n = zoneinfo_parse(zoneinfo_1g, z, 8);
	assert_int_equal(n, 5);
	assert_string_equal(z[0].name, "DMA");
	assert_int_equal(z[0].index, 0);
	assert_int_equal(z[0].free, 3840);
	assert_int_equal(z[0].min, 34);
	assert_int_equal(z[0].low, 42);
	assert_int_equal(z[0].high, 50);   /* not the per-CPU "high:  999999" */
	assert_int_equal(z[0].nprot, 5);
	assert_int_equal(z[0].prot[2], 950);
	assert_string_equal(z[1].name, "DMA32");
	assert_int_equal(z[1].index, 1);
	assert_int_equal(z[1].high, 1500);
	assert_int_equal(z[1].prot[2], 50);
	assert_string_equal(z[2].name, "Normal");
	assert_int_equal(z[2].index, 2);
	assert_int_equal(z[2].free, 20000);
	assert_int_equal(z[4].index, 4);
}

static void test_headroom_sums_allowed_zones(void **state)
{
	(void)state;
	struct zone_pages z[8];
	int n = zoneinfo_parse(zoneinfo_1g, z, 8);
	/* DMA: 3840 - 50 - 950; DMA32: 100000 - 1500 - 50; Normal: 20000 - 600.
	 * Movable's 777777 free pages are not for kernel allocations. */
	assert_int_equal(zones_headroom(z, n), (3840 - 50 - 950) + (100000 - 1500 - 50) + (20000 - 600));
}

static void test_headroom_never_negative(void **state)
{
	(void)state;
	static const char low[] =
		"Node 0, zone      DMA\n  pages free     10\n        high     50\n        protection: (0, 0, 900, 900)\n"
		"Node 0, zone    DMA32\n  pages free     1000\n        high     1500\n        protection: (0, 0, 0, 0)\n"
		"Node 0, zone   Normal\n  pages free     700\n        high     600\n        protection: (0, 0, 0, 0)\n";
	struct zone_pages z[8];
	int n = zoneinfo_parse(low, z, 8);
	assert_int_equal(n, 3);
	/* Only Normal has pages above its high watermark. */
	assert_int_equal(zones_headroom(z, n), 100);
}

static void test_headroom_no_normal_zone(void **state)
{
	(void)state;
	/* A small machine: Normal is absent, DMA32 is the highest zone. */
	static const char small[] =
		"Node 0, zone      DMA\n  pages free     1000\n        high     100\n        protection: (0, 200, 200)\n"
		"Node 0, zone    DMA32\n  pages free     5000\n        high     1000\n        protection: (0, 0, 0)\n";
	struct zone_pages z[8];
	int n = zoneinfo_parse(small, z, 8);
	assert_int_equal(zones_headroom(z, n), (1000 - 100 - 200) + (5000 - 1000));
}

static void test_two_nodes(void **state)
{
	(void)state;
	static const char numa[] =
		"Node 0, zone      DMA\n  pages free     100\n        high     10\n        protection: (0, 0, 0, 0)\n"
		"Node 0, zone   Normal\n  pages free     500\n        high     100\n        protection: (0, 0, 0, 0)\n"
		"Node 1, zone   Normal\n  pages free     300\n        high     50\n        protection: (0, 0, 0, 0)\n";
	struct zone_pages z[8];
	int n = zoneinfo_parse(numa, z, 8);
	assert_int_equal(n, 3);
	assert_int_equal(z[2].node, 1);
	assert_int_equal(z[2].index, 0);   /* first zone listed in node 1 */
	assert_int_equal(zones_headroom(z, n), 90 + 400 + 250);
}

static void test_too_many_zones_and_garbage(void **state)
{
	(void)state;
	struct zone_pages z[2];
	assert_int_equal(zoneinfo_parse(zoneinfo_1g, z, 2), -1);
	assert_int_equal(zoneinfo_parse("", z, 2), 0);
	assert_int_equal(zoneinfo_parse("no zones here\n  pages free 5\n", z, 2), 0);
	/* A watermark line without a number leaves the field at 0. */
	static const char odd[] = "Node 0, zone   Normal\n  pages free     x\n        high\n";
	assert_int_equal(zoneinfo_parse(odd, z, 2), 1);
	assert_int_equal(z[0].free, 0);
	assert_int_equal(z[0].high, 0);
	assert_int_equal(zones_headroom(z, 1), 0);
}

/*
 * go-virtual's memory rule: with the image left in the snapshot's frames it
 * buffers only the header and metadata, so it needs the image's size less
 * than with a copy; kexec_load's share grows with the run table.
 */
static void test_need_pages(void **state)
{
	/* 100000 image pages, odv-hv 6 MiB: 197 buffered (header + 196 metadata),
	 * 392 + 391 for the frame lists and run table, kexec 1929 + 3 + 64, slack 4096 */
	assert_int_equal(go_virtual_need_pages(100000, 6u << 20, true), 197 + 783 + 1996 + 4096);
	assert_int_equal(go_virtual_need_pages(100000, 6u << 20, false), 100000 + 783 + 1996 + 4096);
	assert_int_equal(kexec_copy_pages(1022), 1022 + 2 + 64);
	/* a tiny image still leaves the slack */
	assert_true(go_virtual_need_pages(1, 4096, true) >= HEADROOM_SLACK_PAGES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_headroom_sums_allowed_zones),
		cmocka_unit_test(test_headroom_never_negative),
		cmocka_unit_test(test_headroom_no_normal_zone),
		cmocka_unit_test(test_two_nodes),
		cmocka_unit_test(test_too_many_zones_and_garbage),
		cmocka_unit_test(test_need_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
