/* Host unit tests for hypervisor/smp/acpi.c: RSDP search and MADT CPU listing on fake physical memory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi.h"

/* ---- fake physical memory ---- */

#define MEM_SIZE 0x110000ull            /* the first MiB plus room for tables */
static uint8_t mem[MEM_SIZE];

struct phys {
	uint64_t limit;     /* map refuses anything reaching past this */
	void *window;       /* the last mapping */
	unsigned maps;
};

/*
 * Each mapping is a fresh heap copy of exactly len bytes, freed at the next
 * call: AddressSanitizer then catches a read past what was asked for, and
 * any use of a pointer after a later map call (the window-reuse contract).
 */
static const void *map(void *ctx, uint64_t phys, uint64_t len)
{
	struct phys *p = ctx;
	free(p->window);
	p->window = NULL;
	p->maps++;
	if (len == 0 || phys >= p->limit || len > p->limit - phys)
		return NULL;
	p->window = malloc(len);
	assert_non_null(p->window);
	memcpy(p->window, mem + phys, len);
	return p->window;
}

static struct phys phys_all(void) { return (struct phys){ .limit = MEM_SIZE }; }
static void phys_done(struct phys *p) { free(p->window); p->window = NULL; }

static void put16(uint64_t at, uint16_t v) { memcpy(mem + at, &v, 2); }
static void put32(uint64_t at, uint32_t v) { memcpy(mem + at, &v, 4); }
static uint32_t get32(uint64_t at) { uint32_t v; memcpy(&v, mem + at, 4); return v; }

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

/* ---- table builders ---- */

#define RSDT_AT  0x100000ull
#define XSDT_AT  0x100100ull
#define FACP_AT  0x100200ull
#define MADT_A   0x100400ull            /* the RSDT's MADT */
#define MADT_B   0x101000ull            /* the XSDT's MADT */
#define REGION   0x2000ull              /* [RSDT_AT, +REGION) holds every table */
#define LAPIC    0xfee00000u

/* RSDP into buf (20 bytes for revision 0, else 36), checksums right. */
static void make_rsdp(uint8_t *buf, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	memset(buf, 0, 36);
	memcpy(buf, "RSD PTR ", 8);
	memcpy(buf + 9, "ODVTST", 6);
	buf[15] = rev;
	memcpy(buf + 16, &rsdt, 4);
	buf[8] = (uint8_t)-sum(buf, 20);
	if (rev >= 2) {
		uint32_t len = 36;
		memcpy(buf + 20, &len, 4);
		memcpy(buf + 24, &xsdt, 8);
		buf[32] = (uint8_t)-sum(buf, 36);
	}
}

/* Recompute the checksum of the table at `at` from its own length field. */
static void fix_sum(uint64_t at)
{
	uint32_t len = get32(at + 4);
	if (len < 10 || len > MEM_SIZE - at)
		return;
	mem[at + 9] = 0;
	mem[at + 9] = (uint8_t)-sum(mem + at, len);
}

struct sdt { uint64_t at; uint32_t len; };

static struct sdt sdt_start(uint64_t at, const char *sig)
{
	memset(mem + at, 0, 36);
	memcpy(mem + at, sig, 4);
	mem[at + 8] = 1;
	memcpy(mem + at + 10, "ODVTSTTABLES", 12);
	return (struct sdt){ at, 36 };
}

static void sdt_add(struct sdt *t, const void *p, uint32_t n)
{
	memcpy(mem + t->at + t->len, p, n);
	t->len += n;
}

static void sdt_finish(struct sdt *t)
{
	put32(t->at + 4, t->len);
	fix_sum(t->at);
}

static void root(uint64_t at, const char *sig, const uint64_t *e, unsigned n)
{
	struct sdt t = sdt_start(at, sig);
	for (unsigned i = 0; i < n; i++)
		sdt_add(&t, &e[i], sig[0] == 'X' ? 8 : 4);
	sdt_finish(&t);
}

static struct sdt madt_start(uint64_t at, uint32_t lapic)
{
	struct sdt t = sdt_start(at, "APIC");
	uint32_t hdr[2] = { lapic, 1 /* PC-AT compatible */ };
	sdt_add(&t, hdr, 8);
	return t;
}

static void lapic(struct sdt *t, uint8_t id, uint32_t flags)
{
	uint8_t e[8] = { 0, 8, id /* processor UID */, id };
	memcpy(e + 4, &flags, 4);
	sdt_add(t, e, 8);
}

static void x2apic(struct sdt *t, uint32_t id, uint32_t flags)
{
	uint8_t e[16] = { 9, 16 };
	memcpy(e + 4, &id, 4);
	memcpy(e + 8, &flags, 4);
	memcpy(e + 12, &id, 4);
	sdt_add(t, e, 16);
}

static void ioapic(struct sdt *t)
{
	uint8_t e[12] = { 1, 12, 0, 0, 0x00, 0x00, 0xc0, 0xfe };
	sdt_add(t, e, 12);
}

static void override(struct sdt *t, uint64_t addr)
{
	uint8_t e[12] = { 5, 12 };
	memcpy(e + 4, &addr, 8);
	sdt_add(t, e, 12);
}

/*
 * The standard table set: RSDT -> FACP, MADT_A (CPU 7); XSDT -> FACP,
 * MADT_B (CPUs 0 and 2, an I/O APIC). Different MADTs show which root
 * table was followed.
 */
static void tables(void)
{
	memset(mem, 0, sizeof(mem));
	const uint64_t r[] = { FACP_AT, MADT_A }, x[] = { FACP_AT, MADT_B };
	root(RSDT_AT, "RSDT", r, 2);
	root(XSDT_AT, "XSDT", x, 2);
	struct sdt f = sdt_start(FACP_AT, "FACP");
	uint8_t body[80] = { 0 };
	sdt_add(&f, body, sizeof(body));
	sdt_finish(&f);
	struct sdt a = madt_start(MADT_A, LAPIC);
	lapic(&a, 7, 1);
	sdt_finish(&a);
	struct sdt b = madt_start(MADT_B, LAPIC);
	lapic(&b, 0, 1);
	ioapic(&b);
	lapic(&b, 2, 1);
	sdt_finish(&b);
}

/* Run acpi_find_cpus on the standard RSDP (revision 2, both roots). */
static int find(struct acpi_cpus *c, const char **err)
{
	uint8_t r[36];
	make_rsdp(r, 2, RSDT_AT, XSDT_AT);
	struct phys p = phys_all();
	*err = NULL;
	int rc = acpi_find_cpus(map, &p, r, 36, c, err);
	phys_done(&p);
	return rc;
}

static void expect_ids(const struct acpi_cpus *c, const uint32_t *want, unsigned n)
{
	if (c->n != n) {
		print_error("got %u CPUs:", c->n);
		for (unsigned i = 0; i < c->n && i < ACPI_MAX_CPUS; i++)
			print_error(" %u", c->apic_id[i]);
		print_error("\n");
	}
	assert_int_equal(c->n, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(c->apic_id[i], want[i]);
}

static void expect_err(const char *want)
{
	struct acpi_cpus c;
	const char *err;
	int rc = find(&c, &err);
	if (rc == 0)
		print_error("accepted (%u CPUs), wanted \"%s\"\n", c.n, want);
	assert_int_equal(rc, -1);
	assert_non_null(err);
	assert_string_equal(err, want);
}

/* ---- RSDP search ---- */

static uint64_t scan(int *rc)
{
	struct phys p = phys_all();
	uint64_t at = 0xdead;
	*rc = acpi_scan_rsdp(map, &p, &at);
	phys_done(&p);
	return at;
}

/* How much of an RSDP counts: its revision byte (offset 15) decides. */
static void test_rsdp_len(void **state)
{
	(void)state;
	uint8_t r[36] = { 0 };
	assert_int_equal(acpi_rsdp_len(r), 20);      /* revision 0: ACPI 1.0 */
	r[15] = 1;
	assert_int_equal(acpi_rsdp_len(r), 20);
	r[15] = 2;
	assert_int_equal(acpi_rsdp_len(r), 36);      /* ACPI 2.0 and later */
	r[15] = 0xff;
	assert_int_equal(acpi_rsdp_len(r), 36);
}

static void test_scan_ebda(void **state)
{
	tables();
	put16(0x40E, 0x9fc0);
	make_rsdp(mem + 0x9fc40, 2, RSDT_AT, XSDT_AT);
	make_rsdp(mem + 0xf0000, 0, RSDT_AT, 0);         /* also one in the BIOS area */
	int rc;
	uint64_t at = scan(&rc);
	assert_int_equal(rc, 0);
	assert_int_equal(at, 0x9fc40);                    /* the EBDA is searched first */
	/* Its last 16-byte slot of the first KiB still counts. */
	memset(mem + 0x9fc40, 0, 36);
	memset(mem + 0xf0000, 0, 36);
	make_rsdp(mem + 0x9fc00 + 1024 - 16, 0, RSDT_AT, 0);
	at = scan(&rc);
	assert_int_equal(rc, 0);
	assert_int_equal(at, 0x9fc00 + 1024 - 16);
	/* Past the first KiB it does not. */
	memset(mem + 0x9fc00 + 1024 - 16, 0, 20);
	make_rsdp(mem + 0x9fc00 + 1024, 0, RSDT_AT, 0);
	scan(&rc);
	assert_int_equal(rc, -1);
}

static void test_scan_bios(void **state)
{
	tables();
	make_rsdp(mem + 0xfa5d0, 2, RSDT_AT, XSDT_AT);  /* no EBDA: word at 0x40E is 0 */
	int rc;
	uint64_t at = scan(&rc);
	assert_int_equal(rc, 0);
	assert_int_equal(at, 0xfa5d0);
	/* An EBDA without an RSDP: on to the BIOS area. */
	put16(0x40E, 0x9fc0);
	at = scan(&rc);
	assert_int_equal(rc, 0);
	assert_int_equal(at, 0xfa5d0);
	/* Bounds of the BIOS area: 0xE0000 is searched. */
	memset(mem + 0xfa5d0, 0, 36);
	make_rsdp(mem + 0xe0000, 0, RSDT_AT, 0);
	at = scan(&rc);
	assert_int_equal(rc, 0);
	assert_int_equal(at, 0xe0000);
	/* Nothing anywhere. */
	memset(mem + 0xe0000, 0, 36);
	scan(&rc);
	assert_int_equal(rc, -1);
	/* A map that can read nothing at all. */
	struct phys none = { .limit = 0 };
	assert_int_equal(acpi_scan_rsdp(map, &none, &at), -1);
	phys_done(&none);
}

static void test_scan_bad_checksum_skipped(void **state)
{
	tables();
	make_rsdp(mem + 0xe0000, 0, RSDT_AT, 0);
	mem[0xe0000 + 8]++;                               /* 20-byte checksum wrong */
	make_rsdp(mem + 0xe0100, 2, RSDT_AT, XSDT_AT);
	mem[0xe0100 + 32]++;                              /* extended checksum wrong */
	make_rsdp(mem + 0xe0200, 2, RSDT_AT, XSDT_AT);
	put32(0xe0200 + 20, 20);                          /* length below 36 */
	mem[0xe0200 + 32] = 0;
	mem[0xe0200 + 32] = (uint8_t)-sum(mem + 0xe0200, 36);
	memcpy(mem + 0xe0308, "RSD PTR ", 8);             /* not 16-byte aligned */
	make_rsdp(mem + 0xe0400, 2, RSDT_AT, XSDT_AT);
	int rc;
	uint64_t at = scan(&rc);
	assert_int_equal(rc, 0);
	assert_int_equal(at, 0xe0400);
}

/* ---- choice of root table ---- */

/* An MCFG in the root table followed is reported (odv-hv then takes no device over). */
static void test_mcfg_reported(void **state)
{
	tables();
	struct acpi_cpus c;
	const char *err;
	assert_int_equal(find(&c, &err), 0);
	assert_false(c.has_mcfg);
	const uint64_t MCFG_AT = RSDT_AT + 0x1800;
	struct sdt m = sdt_start(MCFG_AT, "MCFG");
	uint8_t body[8 + 16] = { 0 };
	sdt_add(&m, body, sizeof(body));
	sdt_finish(&m);
	const uint64_t x[] = { FACP_AT, MADT_B, MCFG_AT };
	root(XSDT_AT, "XSDT", x, 3);
	assert_int_equal(find(&c, &err), 0);
	assert_true(c.has_mcfg);
	const uint32_t want[] = { 0, 2 };
	expect_ids(&c, want, 2);
	/* Listed before the MADT: still both found. */
	const uint64_t y[] = { MCFG_AT, FACP_AT, MADT_B };
	root(XSDT_AT, "XSDT", y, 3);
	assert_int_equal(find(&c, &err), 0);
	assert_true(c.has_mcfg);
	expect_ids(&c, want, 2);
}

static void test_xsdt_preferred(void **state)
{
	tables();
	struct acpi_cpus c;
	const char *err;
	assert_int_equal(find(&c, &err), 0);
	const uint32_t want[] = { 0, 2 };
	expect_ids(&c, want, 2);
	assert_int_equal(c.lapic_base, LAPIC);
	assert_int_equal(c.disabled, 0);
	assert_int_equal(c.dropped, 0);

	/* Revision 2 with a null XSDT address: the RSDT. */
	uint8_t r[36];
	make_rsdp(r, 2, RSDT_AT, 0);
	struct phys p = phys_all();
	assert_int_equal(acpi_find_cpus(map, &p, r, 36, &c, &err), 0);
	const uint32_t seven[] = { 7 };
	expect_ids(&c, seven, 1);
	/* Revision 2 given as only its first 20 bytes (an "old RSDP" copy): the RSDT. */
	make_rsdp(r, 2, RSDT_AT, XSDT_AT);
	assert_int_equal(acpi_find_cpus(map, &p, r, 20, &c, &err), 0);
	expect_ids(&c, seven, 1);
	phys_done(&p);
}

static void test_rsdt_rev0(void **state)
{
	tables();
	uint8_t r[36];
	make_rsdp(r, 0, RSDT_AT, 0);
	memset(r + 20, 0xff, 16);                         /* not part of a 1.0 RSDP: ignored */
	struct acpi_cpus c;
	const char *err = NULL;
	struct phys p = phys_all();
	assert_int_equal(acpi_find_cpus(map, &p, r, 20, &c, &err), 0);
	const uint32_t seven[] = { 7 };
	expect_ids(&c, seven, 1);
	assert_int_equal(acpi_find_cpus(map, &p, r, 36, &c, &err), 0);
	expect_ids(&c, seven, 1);
	phys_done(&p);
}

static void test_bad_rsdp(void **state)
{
	tables();
	uint8_t r[36];
	struct acpi_cpus c;
	const char *err;
	struct phys p = phys_all();
	make_rsdp(r, 2, RSDT_AT, XSDT_AT);
	assert_int_equal(acpi_find_cpus(map, &p, r, 19, &c, &err), -1);   /* too short */
	r[0] = 'X';
	err = NULL;
	assert_int_equal(acpi_find_cpus(map, &p, r, 36, &c, &err), -1);
	assert_string_equal(err, "RSDP signature wrong");
	make_rsdp(r, 2, RSDT_AT, XSDT_AT);
	r[8]++;
	assert_int_equal(acpi_find_cpus(map, &p, r, 36, &c, &err), -1);
	assert_string_equal(err, "RSDP checksum mismatch");
	make_rsdp(r, 2, RSDT_AT, XSDT_AT);
	r[32]++;
	assert_int_equal(acpi_find_cpus(map, &p, r, 36, &c, &err), -1);
	assert_string_equal(err, "RSDP extended checksum mismatch");
	/* A length field beyond the copy cannot be checked. */
	make_rsdp(r, 2, RSDT_AT, XSDT_AT);
	r[20] = 40;
	r[32] = 0;
	r[32] = (uint8_t)-sum(r, 36);
	assert_int_equal(acpi_find_cpus(map, &p, r, 36, &c, &err), -1);
	assert_non_null(err);
	phys_done(&p);
}

static void test_root_table_errors(void **state)
{
	tables();
	mem[XSDT_AT + 20]++;
	expect_err("XSDT checksum mismatch");
	tables();
	memcpy(mem + XSDT_AT, "RSDT", 4);
	fix_sum(XSDT_AT);
	expect_err("XSDT signature wrong");
	tables();
	put32(XSDT_AT + 4, 35);
	expect_err("XSDT length field implausible");
	/* No MADT among the entries. */
	tables();
	const uint64_t x[] = { FACP_AT, 0, 0xdead00000000ull };  /* null and unreadable entries skipped */
	root(XSDT_AT, "XSDT", x, 3);
	expect_err("no MADT in the XSDT");
	const uint32_t rr[] = { FACP_AT };
	uint8_t r[36];
	make_rsdp(r, 0, RSDT_AT, 0);
	struct sdt t = sdt_start(RSDT_AT, "RSDT");
	sdt_add(&t, rr, 4);
	sdt_finish(&t);
	struct acpi_cpus c;
	const char *err = NULL;
	struct phys p = phys_all();
	assert_int_equal(acpi_find_cpus(map, &p, r, 20, &c, &err), -1);
	assert_string_equal(err, "no MADT in the RSDT");
	phys_done(&p);
	/* An unreadable entry before the MADT does not hide it. */
	tables();
	const uint64_t x2[] = { 0xdead00000000ull, MADT_B };
	root(XSDT_AT, "XSDT", x2, 2);
	assert_int_equal(find(&c, &err), 0);
	assert_int_equal(c.n, 2);
	/* An XSDT address that cannot be read at all. */
	tables();
	make_rsdp(r, 2, RSDT_AT, 0x7fff0000ull);
	p = phys_all();
	assert_int_equal(acpi_find_cpus(map, &p, r, 36, &c, &err), -1);
	assert_string_equal(err, "XSDT not readable");
	phys_done(&p);
}

/* ---- MADT entries ---- */

static void test_entry_types(void **state)
{
	tables();
	struct sdt b = madt_start(MADT_B, LAPIC);
	lapic(&b, 0, 1);
	ioapic(&b);
	x2apic(&b, 0x100, 1);                             /* beyond 8 bits: only type 9 can say it */
	uint8_t nmi[6] = { 4, 6, 0xff, 0x05, 0x00, 0x01 };  /* local APIC NMI: ignored */
	sdt_add(&b, nmi, sizeof(nmi));
	lapic(&b, 1, 1);
	uint8_t iso[10] = { 2, 10, 0, 0, 2, 0, 0, 0, 0, 0 };  /* interrupt source override: ignored */
	sdt_add(&b, iso, sizeof(iso));
	x2apic(&b, 3, 1);
	uint8_t unknown[20] = { 0x7f, 20 };               /* a future type: skipped by its length */
	sdt_add(&b, unknown, sizeof(unknown));
	sdt_finish(&b);
	struct acpi_cpus c;
	const char *err;
	assert_int_equal(find(&c, &err), 0);
	const uint32_t want[] = { 0, 0x100, 1, 3 };
	expect_ids(&c, want, 4);
	assert_int_equal(c.lapic_base, LAPIC);
}

static void test_disabled_and_online_capable(void **state)
{
	tables();
	struct sdt b = madt_start(MADT_B, LAPIC);
	lapic(&b, 0, 1);
	lapic(&b, 1, 0);                                  /* disabled */
	lapic(&b, 2, 2);                                  /* online capable */
	x2apic(&b, 300, 0);                               /* disabled */
	x2apic(&b, 301, 2);                               /* online capable */
	lapic(&b, 4, 0xfffffff8u);                        /* reserved bits only: disabled */
	lapic(&b, 5, 3);
	lapic(&b, 0xff, 1);                               /* broadcast ID: not a CPU */
	x2apic(&b, 0xffffffffu, 1);
	sdt_finish(&b);
	struct acpi_cpus c;
	const char *err;
	assert_int_equal(find(&c, &err), 0);
	const uint32_t want[] = { 0, 2, 301, 5 };
	expect_ids(&c, want, 4);
	assert_int_equal(c.disabled, 3);
	assert_int_equal(c.dropped, 0);
}

static void test_duplicates_listed_once(void **state)
{
	tables();
	struct sdt b = madt_start(MADT_B, LAPIC);
	lapic(&b, 0, 1);
	lapic(&b, 1, 1);
	x2apic(&b, 1, 1);                                 /* the same CPU as both types */
	lapic(&b, 0, 1);
	x2apic(&b, 2, 2);
	lapic(&b, 2, 1);
	sdt_finish(&b);
	struct acpi_cpus c;
	const char *err;
	assert_int_equal(find(&c, &err), 0);
	const uint32_t want[] = { 0, 1, 2 };
	expect_ids(&c, want, 3);
}

static void test_lapic_override(void **state)
{
	tables();
	struct sdt b = madt_start(MADT_B, LAPIC);
	lapic(&b, 0, 1);
	override(&b, 0x1fee00000ull);
	lapic(&b, 1, 1);
	sdt_finish(&b);
	struct acpi_cpus c;
	const char *err;
	assert_int_equal(find(&c, &err), 0);
	assert_int_equal(c.lapic_base, 0x1fee00000ull);
	assert_int_equal(c.n, 2);
	/* Without it, the header's 32-bit address. */
	tables();
	struct sdt a = madt_start(MADT_B, 0xfec01000u);
	lapic(&a, 0, 1);
	sdt_finish(&a);
	assert_int_equal(find(&c, &err), 0);
	assert_int_equal(c.lapic_base, 0xfec01000u);
}

static void test_too_many_cpus(void **state)
{
	tables();
	struct sdt b = madt_start(MADT_B, LAPIC);
	for (uint32_t i = 0; i < 100; i++) {
		if (i % 2)
			x2apic(&b, 1000 + i, 1);
		else
			lapic(&b, (uint8_t)i, 1);
	}
	lapic(&b, 0, 1);                                  /* a duplicate does not count as dropped */
	lapic(&b, 200, 0);                                /* disabled beyond the limit: still disabled */
	sdt_finish(&b);
	struct acpi_cpus c;
	const char *err;
	assert_int_equal(find(&c, &err), 0);
	assert_int_equal(c.n, ACPI_MAX_CPUS);
	assert_int_equal(c.dropped, 100 - ACPI_MAX_CPUS);
	assert_int_equal(c.disabled, 1);
	for (uint32_t i = 0; i < ACPI_MAX_CPUS; i++)
		assert_int_equal(c.apic_id[i], i % 2 ? 1000 + i : i);
}

/* ---- corrupt MADTs ---- */

static void test_madt_bad_checksum(void **state)
{
	tables();
	mem[MADT_B + 44 + 3] ^= 0x40;
	expect_err("MADT checksum mismatch");
	tables();
	put32(MADT_B + 4, 43);                            /* too short for its own fixed fields */
	fix_sum(MADT_B);
	expect_err("MADT length field implausible");
}

static void test_madt_entry_length_zero(void **state)
{
	tables();
	struct sdt b = madt_start(MADT_B, LAPIC);
	lapic(&b, 0, 1);
	uint8_t z[8] = { 0, 0 };
	sdt_add(&b, z, sizeof(z));
	sdt_finish(&b);
	alarm(10);                                        /* a hang kills the run */
	struct acpi_cpus c;
	const char *err;
	assert_int_equal(find(&c, &err), -1);
	assert_non_null(err);
	/* Length 1 would creep through the type byte of the next entry. */
	tables();
	b = madt_start(MADT_B, LAPIC);
	uint8_t one[8] = { 4, 1 };
	sdt_add(&b, one, sizeof(one));
	sdt_finish(&b);
	assert_int_equal(find(&c, &err), -1);
	alarm(0);
}

static void test_madt_entry_past_end(void **state)
{
	tables();
	struct sdt b = madt_start(MADT_B, LAPIC);
	lapic(&b, 0, 1);
	uint8_t e[8] = { 0, 16, 1, 1, 1 };                /* claims 16, 8 left */
	sdt_add(&b, e, sizeof(e));
	sdt_finish(&b);
	expect_err("MADT entry runs past the table end");
	/* One stray byte after the last entry: no room for a type and a length. */
	tables();
	b = madt_start(MADT_B, LAPIC);
	lapic(&b, 0, 1);
	uint8_t stray = 0;
	sdt_add(&b, &stray, 1);
	sdt_finish(&b);
	expect_err("MADT entry runs past the table end");
	/* Type 0 too short for its fields. */
	tables();
	b = madt_start(MADT_B, LAPIC);
	uint8_t s0[6] = { 0, 6, 0, 0, 1, 0 };
	sdt_add(&b, s0, sizeof(s0));
	sdt_finish(&b);
	expect_err("MADT entry too short for its type");
	tables();
	b = madt_start(MADT_B, LAPIC);
	uint8_t s9[12] = { 9, 12 };
	sdt_add(&b, s9, sizeof(s9));
	sdt_finish(&b);
	expect_err("MADT entry too short for its type");
}

static void test_length_beyond_map(void **state)
{
	/* A MADT claiming 16 KiB where only 256 bytes can be read. */
	tables();
	put32(MADT_B + 4, 0x4000);
	fix_sum(MADT_B);
	uint8_t r[36];
	make_rsdp(r, 2, RSDT_AT, XSDT_AT);
	struct phys p = { .limit = MADT_B + 0x100 };
	struct acpi_cpus c;
	const char *err = NULL;
	assert_int_equal(acpi_find_cpus(map, &p, r, 36, &c, &err), -1);
	assert_string_equal(err, "MADT length runs past readable memory");
	phys_done(&p);
	/* More than 64 KiB: rejected before mapping it. */
	put32(MADT_B + 4, 0x10001);
	expect_err("MADT length field implausible");
	put32(MADT_B + 4, 0xffffffffu);
	expect_err("MADT length field implausible");
	/* The same for the XSDT. */
	tables();
	put32(XSDT_AT + 4, 0xfff00);
	expect_err("XSDT length field implausible");
	tables();
	put32(XSDT_AT + 4, 0x8000);
	fix_sum(XSDT_AT);
	p = (struct phys){ .limit = XSDT_AT + 0x1000 };
	assert_int_equal(acpi_find_cpus(map, &p, r, 36, &c, &err), -1);
	assert_string_equal(err, "XSDT length runs past readable memory");
	phys_done(&p);
}

static void test_output_reset(void **state)
{
	tables();
	struct acpi_cpus c;
	memset(&c, 0xa5, sizeof(c));
	const char *err;
	assert_int_equal(find(&c, &err), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.disabled, 0);
	assert_int_equal(c.dropped, 0);
}

/* ---- fuzz: random corruption never crashes, overreads or hangs ---- */

#define RNG_SEED 0xa5a5c3c3d00dfeedull
#include "prng.h"

static void check_result(int rc, const struct acpi_cpus *c, const char *err)
{
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_non_null(err);
		assert_true(err[0] != '\0');
		return;
	}
	assert_true(c->n <= ACPI_MAX_CPUS);
	for (unsigned i = 0; i < c->n; i++)
		for (unsigned j = 0; j < i; j++)
			assert_true(c->apic_id[i] != c->apic_id[j]);
}

static void test_fuzz(void **state)
{
	tables();
	struct sdt b = madt_start(MADT_B, LAPIC);
	for (uint32_t i = 0; i < 24; i++) {
		switch (i % 4) {
		case 0: lapic(&b, (uint8_t)i, 1); break;
		case 1: x2apic(&b, i, i % 3); break;
		case 2: ioapic(&b); break;
		case 3: override(&b, 0xfee00000ull + i); break;
		}
	}
	sdt_finish(&b);
	static uint8_t pristine[REGION];
	memcpy(pristine, mem + RSDT_AT, REGION);
	const uint64_t tabs[] = { RSDT_AT, XSDT_AT, FACP_AT, MADT_A, MADT_B };
	unsigned ok = 0, failed = 0;
	alarm(120);
	for (unsigned it = 0; it < 20000; it++) {
		memcpy(mem + RSDT_AT, pristine, REGION);
		uint8_t r[36];
		make_rsdp(r, it % 5 ? 2 : 0, RSDT_AT, XSDT_AT);
		unsigned flips = 1 + (unsigned)(rng() % 6);
		for (unsigned f = 0; f < flips; f++) {
			uint64_t x = rng();
			uint8_t v = (uint8_t)(x >> 32);
			if (x % 16 == 0) {
				r[(x >> 8) % 36] = v;
				continue;
			}
			uint64_t t = tabs[(x >> 4) % ARRAY_SIZE(tabs)];
			uint32_t len = get32(t + 4);
			uint64_t off = (x >> 12) % (x % 3 ? 64 : (len && len < 0x400 ? len : 0x400));
			if (x % 7 == 0)
				mem[t + 4 + (x >> 40) % 4] = v;     /* a length field */
			else
				mem[t + off] = x % 2 ? v : mem[t + off] ^ (uint8_t)(1u << (v % 8));
		}
		/* Most of the time, fix the checksums so the damage reaches the parsers. */
		if (rng() % 4) {
			for (unsigned i = 0; i < ARRAY_SIZE(tabs); i++)
				fix_sum(tabs[i]);
			r[8] = 0;
			r[8] = (uint8_t)-sum(r, 20);
			r[32] = 0;
			r[32] = (uint8_t)-sum(r, 36);
		}
		struct acpi_cpus c;
		const char *err = NULL;
		struct phys p = phys_all();
		int rc = acpi_find_cpus(map, &p, r, it % 3 ? 36 : 20, &c, &err);
		phys_done(&p);
		check_result(rc, &c, err);
		if (rc)
			failed++;
		else
			ok++;
	}
	/* The RSDP search over a corrupted BIOS area, fewer rounds (8K maps each). */
	for (unsigned it = 0; it < 100; it++) {
		memset(mem + 0xe0000, 0, 0x20000);
		make_rsdp(mem + 0xe0000 + (rng() % 0x2000) * 16, 2, RSDT_AT, XSDT_AT);
		for (unsigned f = 0; f < 64; f++) {
			uint64_t x = rng();
			mem[0xe0000 + x % 0x20000] = (uint8_t)(x >> 32);
		}
		int rc;
		scan(&rc);
		assert_true(rc == 0 || rc == -1);
	}
	alarm(0);
	/* Both outcomes happened: the corruption was neither all caught nor all harmless. */
	if (!ok || !failed)
		print_error("fuzz: %u accepted, %u rejected\n", ok, failed);
	assert_true(ok > 100);
	assert_true(failed > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp_len),
		cmocka_unit_test(test_scan_ebda),
		cmocka_unit_test(test_scan_bios),
		cmocka_unit_test(test_scan_bad_checksum_skipped),
		cmocka_unit_test(test_xsdt_preferred),
		cmocka_unit_test(test_mcfg_reported),
		cmocka_unit_test(test_rsdt_rev0),
		cmocka_unit_test(test_bad_rsdp),
		cmocka_unit_test(test_root_table_errors),
		cmocka_unit_test(test_entry_types),
		cmocka_unit_test(test_disabled_and_online_capable),
		cmocka_unit_test(test_duplicates_listed_once),
		cmocka_unit_test(test_lapic_override),
		cmocka_unit_test(test_too_many_cpus),
		cmocka_unit_test(test_madt_bad_checksum),
		cmocka_unit_test(test_madt_entry_length_zero),
		cmocka_unit_test(test_madt_entry_past_end),
		cmocka_unit_test(test_length_beyond_map),
		cmocka_unit_test(test_output_reset),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
