/*
 * Host unit tests for hypervisor/iommu/dmar.c (the DMAR parser) and for
 * finding the DMAR through acpi.c's root-table walk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "le.h"
#include "acpi.h"
#include "dmar.h"

struct tb { uint8_t p[1024]; uint32_t n; };

static void put(struct tb *b, uint64_t v, unsigned n) { le_put(b->p + b->n, n, v); b->n += n; }

static void header(struct tb *b, const char *sig)
{
	memcpy(b->p, sig, 4);
	b->n = 36;
}

/* Length and checksum, as acpi_find_table will check them. */
static void finish(struct tb *b)
{
	le_put(b->p + 4, 4, b->n);
	uint8_t s = 0;
	b->p[9] = 0;
	for (uint32_t i = 0; i < b->n; i++)
		s += b->p[i];
	b->p[9] = (uint8_t)-s;
}

static void dmar_header(struct tb *b, uint8_t haw_field, uint8_t flags)
{
	header(b, "DMAR");
	put(b, haw_field, 1);
	put(b, flags, 1);
	put(b, 0, 8);
	put(b, 0, 2);                                      /* 10 reserved bytes */
}

static void scope(struct tb *b, uint8_t type, uint8_t id, uint8_t bus, uint8_t dev, uint8_t fn)
{
	put(b, type, 1); put(b, 8, 1); put(b, 0, 2); put(b, id, 1); put(b, bus, 1);
	put(b, dev, 1); put(b, fn, 1);
}

/* A DRHD with nscopes endpoint scopes 00:(2+i).0, or an IOAPIC scope if ioapic. */
static void drhd(struct tb *b, uint64_t base, bool all, unsigned nscopes, bool ioapic)
{
	put(b, 0, 2); put(b, 16 + 8 * (nscopes + ioapic), 2); put(b, all, 1); put(b, 0, 1); put(b, 0, 2);
	put(b, base, 8);
	for (unsigned i = 0; i < nscopes; i++)
		scope(b, DMAR_SCOPE_ENDPOINT, 0, 0, (uint8_t)(2 + i), 0);
	if (ioapic)
		scope(b, DMAR_SCOPE_IOAPIC, 0, 0, 0x1f, 0);
}

static void rmrr(struct tb *b, uint64_t base, uint64_t limit, uint8_t dev)
{
	put(b, 1, 2); put(b, 32, 2); put(b, 0, 2); put(b, 0, 2); put(b, base, 8); put(b, limit, 8);
	scope(b, DMAR_SCOPE_ENDPOINT, 0, 0, dev, 0);
}

/* What QEMU's q35 gives with -device intel-iommu,intremap=on (aw-bits 39). */
static void test_qemu_q35(void **state)
{
	struct tb b;
	dmar_header(&b, 38, 1);
	drhd(&b, 0xfed90000, true, 0, true);
	finish(&b);
	struct dmar_info d;
	const char *err = NULL;
	assert_int_equal(dmar_parse(b.p, b.n, &d, &err), 0);
	assert_int_equal(d.haw, 39);
	assert_int_equal(d.flags, 1);
	assert_int_equal(d.nunits, 1);
	assert_int_equal(d.unit[0].base, 0xfed90000);
	assert_true(d.unit[0].include_all);
	assert_int_equal(d.unit[0].nscopes, 1);
	assert_int_equal(d.unit[0].scope[0].type, DMAR_SCOPE_IOAPIC);
	assert_int_equal(d.unit[0].scope[0].bdf, 0x1f << 3);
	assert_int_equal(d.nrmrrs, 0);
}

/* A laptop's shape: a graphics unit, a catch-all unit, an RMRR for USB, an ATSR skipped. */
static void test_two_units_rmrr(void **state)
{
	struct tb b;
	dmar_header(&b, 38, 5);
	drhd(&b, 0xfed90000, false, 1, false);
	drhd(&b, 0xfed91000, true, 0, true);
	rmrr(&b, 0x7d000000, 0x7d7fffff, 0x14);
	put(&b, 2, 2); put(&b, 8, 2); put(&b, 0, 4);        /* ATSR without scopes */
	finish(&b);
	struct dmar_info d;
	const char *err = NULL;
	assert_int_equal(dmar_parse(b.p, b.n, &d, &err), 0);
	assert_int_equal(d.nunits, 2);
	assert_false(d.unit[0].include_all);
	assert_int_equal(d.unit[0].scope[0].bdf, 0x0010);   /* 00:02.0 */
	assert_int_equal(d.unit[0].scope[0].depth, 1);
	assert_int_equal(d.unit[1].base, 0xfed91000);
	assert_int_equal(d.nrmrrs, 1);
	assert_int_equal(d.rmrr[0].base, 0x7d000000);
	assert_int_equal(d.rmrr[0].limit, 0x7d7fffff);
	assert_int_equal(d.rmrr[0].scope[0].bdf, 0x14 << 3);
	assert_int_equal(d.others, 1);
	assert_int_equal(dmar_unit_of(&d, 0x0010), 0);      /* graphics: its own unit */
	assert_int_equal(dmar_unit_of(&d, 0x0018), 1);      /* anything else: the catch-all */
	assert_int_equal(dmar_unit_of(&d, 0x0300), 1);
	d.unit[1].include_all = false;
	assert_int_equal(dmar_unit_of(&d, 0x0018), -1);     /* nobody's: not remapped */
}

/* More units and scopes than the arrays hold: kept up to the limit, the rest counted. */
static void test_limits(void **state)
{
	struct tb b;
	dmar_header(&b, 38, 0);
	drhd(&b, 0xfed90000, false, DMAR_MAX_SCOPES + 2, false);
	for (unsigned i = 1; i < DMAR_MAX_UNITS + 2; i++)
		drhd(&b, 0xfed90000 + i * 0x1000, false, 0, false);
	finish(&b);
	struct dmar_info d;
	const char *err = NULL;
	assert_int_equal(dmar_parse(b.p, b.n, &d, &err), 0);
	assert_int_equal(d.nunits, DMAR_MAX_UNITS);
	assert_int_equal(d.dropped, 2);
	assert_int_equal(d.unit[0].nscopes, DMAR_MAX_SCOPES);
	assert_int_equal(d.unit[0].scopes_dropped, 2);
}

static void expect_bad(struct tb *b, const char *why)
{
	struct dmar_info d;
	const char *err = NULL;
	assert_int_equal(dmar_parse(b->p, b->n, &d, &err), -1);
	assert_string_equal(err, why);
}

static void test_malformed(void **state)
{
	struct tb b;
	dmar_header(&b, 38, 0);
	drhd(&b, 0xfed90800, true, 0, false);              /* unaligned register base */
	finish(&b);
	expect_bad(&b, "DRHD register base zero or not 4 KiB aligned");

	dmar_header(&b, 38, 0);
	rmrr(&b, 0x7d000000, 0x7d000000, 0x14);            /* limit + 1 not page aligned */
	finish(&b);
	expect_bad(&b, "RMRR range not 4 KiB aligned or empty");

	dmar_header(&b, 38, 0);
	put(&b, 0, 2); put(&b, 0, 2);                      /* length 0 would loop forever */
	finish(&b);
	expect_bad(&b, "DMAR structure length below 4");

	dmar_header(&b, 38, 0);
	drhd(&b, 0xfed90000, true, 1, false);
	le_put(b.p + 48 + 2, 2, 200);                      /* runs past the table */
	finish(&b);
	expect_bad(&b, "DMAR structure runs past the table end");

	dmar_header(&b, 38, 0);
	drhd(&b, 0xfed90000, true, 1, false);
	b.p[48 + 16 + 1] = 40;                             /* a scope longer than its DRHD */
	finish(&b);
	expect_bad(&b, "device scope runs past its structure");

	dmar_header(&b, 38, 0);
	drhd(&b, 0xfed90000, true, 1, false);
	b.p[48 + 16 + 6] = 32;                             /* device 32 */
	finish(&b);
	expect_bad(&b, "device scope path names no PCI function");

	dmar_header(&b, 38, 0);
	drhd(&b, 0xfed90000, true, 0, false);
	finish(&b);
	assert_int_equal(b.n, 64);
	b.n = 47;                                          /* shorter than the header */
	expect_bad(&b, "DMAR header wrong");
}

/* acpi_find_table: RSDP -> XSDT -> DMAR in a small fake memory, and "absent". */
static uint8_t mem[0x1000];
static const void *map(void *ctx, uint64_t phys, uint64_t len)
{
	return phys < sizeof(mem) && len <= sizeof(mem) - phys ? mem + phys : NULL;
}

static void rsdp(uint8_t r[36], uint64_t xsdt)
{
	memset(r, 0, 36);
	memcpy(r, "RSD PTR ", 8);
	r[15] = 2;
	le_put(r + 20, 4, 36);
	le_put(r + 24, 8, xsdt);
	uint8_t s = 0;
	for (unsigned i = 0; i < 20; i++) s += r[i];
	r[8] = (uint8_t)-s;
	s = 0;
	for (unsigned i = 0; i < 36; i++) s += r[i];
	r[32] = (uint8_t)-s;
}

static void test_find_via_xsdt(void **state)
{
	struct tb x, d;
	header(&x, "XSDT");
	put(&x, 0x400, 8);                                 /* a FACP */
	put(&x, 0x800, 8);                                 /* the DMAR */
	finish(&x);
	dmar_header(&d, 38, 0);
	drhd(&d, 0xfed90000, true, 0, false);
	finish(&d);
	memset(mem, 0, sizeof(mem));
	memcpy(mem + 0x100, x.p, x.n);
	memcpy(mem + 0x400, "FACP", 4);
	memcpy(mem + 0x800, d.p, d.n);
	uint8_t r[36];
	rsdp(r, 0x100);
	uint64_t at = 0;
	uint32_t len = 0;
	const char *err = NULL;
	assert_int_equal(acpi_find_table(map, NULL, r, 36, "DMAR", &at, &len, &err), 1);
	assert_int_equal(at, 0x800);
	assert_int_equal(len, d.n);

	mem[0x800 + 40] ^= 1;                              /* checksum broken */
	assert_int_equal(acpi_find_table(map, NULL, r, 36, "DMAR", &at, &len, &err), -1);
	assert_string_equal(err, "table checksum mismatch");

	memcpy(mem + 0x800, "SSDT", 4);                    /* no DMAR listed: absent, not an error */
	assert_int_equal(acpi_find_table(map, NULL, r, 36, "DMAR", &at, &len, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_q35),
		cmocka_unit_test(test_two_units_rmrr),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_find_via_xsdt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
