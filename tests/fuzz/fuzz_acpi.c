/*
 * libFuzzer harness for hypervisor/smp/acpi.c and hypervisor/iommu/dmar.c:
 * firmware's RSDP, RSDT/XSDT and MADT, walked to the list of CPUs odv-hv
 * starts; the same walk to the DMAR, parsed into VT-d's remapping units and
 * RMRRs. (acpi.c has no MCFG parser: it only notes that the root table lists
 * an MCFG, which this covers.)
 *
 * Input: a flags byte, 36 bytes of RSDP copy (as multiboot2 hands it over),
 * then physical memory from address 0 (flag bit 0: from 0xE0000, where the
 * BIOS scan for the RSDP looks). With flag bit 2 (or bit 0) the BIOS scan runs
 * first (from address 0, the EBDA segment at 0x40E can lead into the input)
 * and what it finds replaces the copy. The RSDP copy is given as 20 bytes
 * with flag bit 1, else 36.
 *
 * Every map() answer is a fresh heap copy of exactly the bytes asked for, and
 * the previous one is freed: acpi.c promises to read no more than it mapped and
 * never to use a pointer after its next map() call, and ASan holds it to both.
 */
#include <stdbool.h>
#include <string.h>

#include "acpi.h"
#include "dmar.h"
#include "fuzz.h"
#include "le.h"

#define SCAN_BASE 0xE0000ull

static struct {
	const uint8_t *mem;
	uint64_t base, size;
	uint8_t *last;               /* the window handed out last */
	uint64_t last_phys, last_len;
} g;

NO_COVERAGE static const void *map(void *ctx, uint64_t phys, uint64_t len)
{
	(void)ctx;
	if (g.last)               /* free(NULL) still costs ASan a stack trace, and the scan maps a lot */
		free(g.last);
	g.last = NULL;
	if (len == 0 || phys < g.base || phys - g.base >= g.size || len > g.size - (phys - g.base))
		return NULL;
	g.last = malloc(len);
	FUZZ_CHECK(g.last);
	memcpy(g.last, g.mem + (phys - g.base), len);
	g.last_phys = phys;
	g.last_len = len;
	return g.last;
}

NO_COVERAGE static uint8_t sum8(const uint8_t *p, uint64_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

/* Does the MADT at t (len bytes) list a usable CPU with this APIC ID? */
NO_COVERAGE static bool madt_lists(const uint8_t *t, uint32_t len, uint32_t id)
{
	for (uint32_t off = 44; off + 2 <= len && t[off + 1] >= 2; off += t[off + 1]) {
		const uint8_t *e = t + off;
		if (off + e[1] > len)
			break;
		if (e[0] == 0 && e[1] >= 8 && e[3] == id && (le32(e + 4) & 3))
			return true;
		if (e[0] == 9 && e[1] >= 16 && le32(e + 4) == id && (le32(e + 8) & 3))
			return true;
	}
	return false;
}

/*
 * After a successful walk the last window mapped is the whole MADT (its
 * entries are read from it after the last map() call): the CPUs found come
 * from it and cannot outnumber its 8-byte minimum entries.
 */
NO_COVERAGE static void check_cpus(const struct acpi_cpus *c)
{
	FUZZ_CHECK(g.last && g.last_len >= 44 && memcmp(g.last, "APIC", 4) == 0);
	uint32_t len = le32(g.last + 4);
	FUZZ_CHECK(len == g.last_len && sum8(g.last, len) == 0);
	FUZZ_CHECK(c->n <= ACPI_MAX_CPUS);
	FUZZ_CHECK(c->dropped == 0 || c->n == ACPI_MAX_CPUS);
	FUZZ_CHECK((uint64_t)c->n + c->disabled + c->dropped <= (len - 44) / 8);
	for (unsigned i = 0; i < c->n; i++) {
		FUZZ_CHECK(madt_lists(g.last, len, c->apic_id[i]));
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(c->apic_id[i] != c->apic_id[j]);
	}
}

/* A found RSDP: 16-byte aligned, in the scanned areas, signature and checksum right. */
static void check_scan(uint64_t at)
{
	FUZZ_CHECK(at % 16 == 0);
	FUZZ_CHECK(at >= g.base && at - g.base + 20 <= g.size);
	const uint8_t *p = g.mem + (at - g.base);
	FUZZ_CHECK(memcmp(p, "RSD PTR ", 8) == 0 && sum8(p, 20) == 0);
}

/*
 * A parsed DMAR: within the arrays, each unit and RMRR as the spec demands,
 * no more structures than the table has room for (16 bytes per DRHD, 24 per
 * RMRR, 8 per scope), and every PCI function under at most a listed unit.
 */
NO_COVERAGE static void check_dmar(const struct dmar_info *d, uint32_t len)
{
	FUZZ_CHECK(d->nunits <= DMAR_MAX_UNITS && d->nrmrrs <= DMAR_MAX_RMRRS);
	uint64_t bytes = 48;
	for (unsigned i = 0; i < d->nunits; i++) {
		const struct dmar_unit *u = &d->unit[i];
		FUZZ_CHECK(u->base && !(u->base & 0xfff) && u->nscopes <= DMAR_MAX_SCOPES);
		bytes += 16 + 8ull * (u->nscopes + u->scopes_dropped);
		for (unsigned k = 0; k < u->nscopes; k++)
			FUZZ_CHECK(u->scope[k].depth >= 1);
	}
	for (unsigned i = 0; i < d->nrmrrs; i++) {
		const struct dmar_rmrr *r = &d->rmrr[i];
		FUZZ_CHECK(!(r->base & 0xfff) && (r->limit & 0xfff) == 0xfff && r->limit >= r->base);
		bytes += 24 + 8ull * (r->nscopes + r->scopes_dropped);
	}
	bytes += 16ull * d->dropped + 4ull * d->others;
	FUZZ_CHECK(bytes <= len);
	for (unsigned bdf = 0; bdf < 0x10000; bdf += 0x81) {
		int u = dmar_unit_of(d, (uint16_t)bdf);
		FUZZ_CHECK(u >= -1 && u < (int)d->nunits);
	}
}

NO_COVERAGE static void walk_dmar(const uint8_t *rsdp, unsigned rsdp_len)
{
	uint64_t at = 0;
	uint32_t len = 0;
	const char *err = NULL;
	int rc = acpi_find_table(map, NULL, rsdp, rsdp_len, "DMAR", &at, &len, &err);
	FUZZ_CHECK(rc >= -1 && rc <= 1 && (rc >= 0 || err));
	if (rc != 1)
		return;
	const uint8_t *t = map(NULL, at, len);   /* a fresh copy of exactly the checked table */
	FUZZ_CHECK(t && len >= 36 && memcmp(t, "DMAR", 4) == 0 && sum8(t, len) == 0);
	struct dmar_info d;
	if (dmar_parse(t, len, &d, &err) == 0)
		check_dmar(&d, len);
	else
		FUZZ_CHECK(err != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 + 36)
		return 0;
	uint8_t flags = data[0];
	unsigned rsdp_len = (flags & 2) ? 20 : 36;
	uint8_t *rsdp = malloc(rsdp_len);
	FUZZ_CHECK(rsdp);
	memcpy(rsdp, data + 1, rsdp_len);
	memset(&g, 0, sizeof(g));
	g.mem = data + 37;
	g.size = size - 37;
	g.base = (flags & 1) ? SCAN_BASE : 0;

	if (flags & 5) {
		uint64_t at = 0;
		if (acpi_scan_rsdp(map, NULL, &at) == 0) {
			check_scan(at);
			/* Use what was found, as odv-hv does when the boot loader gave no copy. */
			uint64_t n = g.size - (at - g.base) < 36 ? 20 : 36;
			rsdp_len = (unsigned)n;
			free(rsdp);
			rsdp = malloc(n);
			FUZZ_CHECK(rsdp);
			memcpy(rsdp, g.mem + (at - g.base), n);
		}
	}
	struct acpi_cpus c;
	const char *err = NULL;
	if (acpi_find_cpus(map, NULL, rsdp, rsdp_len, &c, &err) == 0) {
		FUZZ_CHECK(err == NULL);
		check_cpus(&c);
	} else {
		FUZZ_CHECK(err != NULL);
	}
	walk_dmar(rsdp, rsdp_len);
	free(g.last);
	free(rsdp);
	return 0;
}
