/*
 * ACPI: RSDP -> RSDT or XSDT -> MADT -> the local APIC ID of every CPU; the
 * same walk finds any other table by its signature (the DMAR, for VT-d).
 *
 * The tables are firmware input we do not control. Every length read from
 * them is checked against what was mapped before anything behind it is
 * read, and every loop moves forward toward a checked end. Multi-byte
 * fields are read byte by byte: nothing in ACPI promises alignment.
 */
#include "le.h"
#include "acpi.h"

#define SDT_HDR      36         /* signature, length, revision, checksum, OEM ids */
#define MADT_ENTRIES 44         /* header, local APIC address, flags */
#define TABLE_MAX    0x10000    /* 64 KiB: thousands of CPUs' entries; more is corruption */
#define RSDP_MAX     0x1000     /* the RSDP is 36 bytes today; leave room for growth */

/* ACPI checksums: all bytes of the structure add up to 0 modulo 256. */
static uint8_t sum8(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

static bool sig_is(const uint8_t *p, const char *sig, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i] != (uint8_t)sig[i])
			return false;
	return true;
}

/*
 * Check an RSDP of which `avail` bytes are readable. ACPI 1.0 defines the
 * first 20 bytes with one checksum; revision 2+ adds a length, the XSDT
 * address and an extended checksum over that length. A revision 2 RSDP
 * given as only 20 bytes (a loader's "old RSDP" copy) is used as 1.0.
 * Returns NULL if valid, *ext telling whether the 2.0 part was checked.
 */
static const char *rsdp_check(const uint8_t *p, uint32_t avail, bool *ext)
{
	*ext = false;
	if (avail < 20 || !sig_is(p, "RSD PTR ", 8))
		return "RSDP signature wrong";
	if (sum8(p, 20))
		return "RSDP checksum mismatch";
	if (p[15] < 2 || avail < 36)
		return NULL;
	uint32_t len = le32(p + 20);
	if (len < 36 || len > avail)
		return "RSDP length field out of range";
	if (sum8(p, len))
		return "RSDP extended checksum mismatch";
	*ext = true;
	return NULL;
}

/* Is there a valid RSDP at physical a? Maps 20 bytes, then the full length. */
static bool rsdp_at(acpi_map_fn map, void *ctx, uint64_t a)
{
	bool ext;
	const uint8_t *p = map(ctx, a, 20);
	if (!p || rsdp_check(p, 20, &ext))
		return false;
	if (p[15] < 2)
		return true;
	if (!(p = map(ctx, a, 36)))
		return false;
	uint32_t len = le32(p + 20);
	if (len < 36 || len > RSDP_MAX || !(p = map(ctx, a, len)))
		return false;
	return !rsdp_check(p, len, &ext) && ext;
}

static bool scan(acpi_map_fn map, void *ctx, uint64_t from, uint64_t len, uint64_t *found)
{
	for (uint64_t a = from; a < from + len; a += 16)   /* the RSDP is 16-byte aligned */
		if (rsdp_at(map, ctx, a)) {
			*found = a;
			return true;
		}
	return false;
}

unsigned acpi_rsdp_len(const void *rsdp)
{
	return ((const uint8_t *)rsdp)[15] < 2 ? 20 : 36;
}

int acpi_scan_rsdp(acpi_map_fn map, void *ctx, uint64_t *rsdp_phys)
{
	/* The BIOS data area word at 0x40E holds the EBDA's real-mode segment. */
	const uint8_t *w = map(ctx, 0x40E, 2);
	uint64_t ebda = w ? (uint64_t)(w[0] | w[1] << 8) << 4 : 0;
	if (ebda && scan(map, ctx, ebda, 1024, rsdp_phys))
		return 0;
	return scan(map, ctx, 0xE0000, 0x20000, rsdp_phys) ? 0 : -1;
}

enum { RSDT, XSDT, MADT, OTHER };

static const char sigs[3][5] = { "RSDT", "XSDT", "APIC" };
static const char *const bad[4][5] = {
	{ "RSDT not readable", "RSDT signature wrong", "RSDT length field implausible",
	  "RSDT length runs past readable memory", "RSDT checksum mismatch" },
	{ "XSDT not readable", "XSDT signature wrong", "XSDT length field implausible",
	  "XSDT length runs past readable memory", "XSDT checksum mismatch" },
	{ "MADT not readable", "MADT signature wrong", "MADT length field implausible",
	  "MADT length runs past readable memory", "MADT checksum mismatch" },
	/* Any other table: the caller names it in its message. */
	{ "table not readable", "table signature wrong", "table length field implausible",
	  "table length runs past readable memory", "table checksum mismatch" },
};

/*
 * Map the whole table of `kind` at phys: header first (for the length,
 * at least `min`), then exactly that length for the checksum. Returns it
 * with *len set, or NULL with *err set.
 */
static const uint8_t *table(acpi_map_fn map, void *ctx, uint64_t phys, int kind, const char *sig,
			    uint32_t min, uint32_t *len, const char **err)
{
	const uint8_t *p = map(ctx, phys, SDT_HDR);
	int why = 0;
	if (!p)
		goto fail;
	why = 1;
	if (!sig_is(p, kind == OTHER ? sig : sigs[kind], 4))
		goto fail;
	why = 2;
	*len = le32(p + 4);
	if (*len < min || *len > TABLE_MAX)
		goto fail;
	why = 3;
	if (!(p = map(ctx, phys, *len)))
		goto fail;
	why = 4;
	if (sum8(p, *len))
		goto fail;
	return p;
fail:
	*err = bad[kind][why];
	return NULL;
}

static void add_cpu(struct acpi_cpus *c, uint32_t id, uint32_t flags)
{
	/*
	 * Bit 0 Enabled: running now. Bit 1 Online Capable (ACPI 6.3+): present
	 * but left for the OS to start later. The guest may start such a CPU at
	 * any time, so odv-hv must know it as well as the enabled ones.
	 */
	if (!(flags & 3)) {
		c->disabled++;
		return;
	}
	for (unsigned i = 0; i < c->n; i++)
		if (c->apic_id[i] == id)
			return;   /* listed before, e.g. as both a type 0 and a type 9 entry */
	if (c->n < ACPI_MAX_CPUS)
		c->apic_id[c->n++] = id;
	else
		c->dropped++;
}

/*
 * The address of the first table with signature sig listed in the RSDT or
 * XSDT at root (0 if none), and whether an MCFG is listed: 0, or -1 with *err.
 */
static int root_find(acpi_map_fn map, void *ctx, uint64_t root, bool x, const char *sig,
		     uint64_t *found, bool *mcfg, const char **err)
{
	uint32_t esz = x ? 8 : 4, len;
	if (!table(map, ctx, root, x ? XSDT : RSDT, NULL, SDT_HDR, &len, err))
		return -1;
	*found = 0;
	for (uint32_t off = SDT_HDR; off + esz <= len; off += esz) {
		/* Re-map per entry: map may reuse its window for each call. */
		const uint8_t *e = map(ctx, root + off, esz);
		if (!e) {
			*err = bad[x ? XSDT : RSDT][0];
			return -1;
		}
		uint64_t a = x ? le64(e) : le32(e);
		/* Null or unreadable entries are skipped: any of them may be a table we do not need. */
		const uint8_t *h = a ? map(ctx, a, 4) : NULL;
		if (h && sig_is(h, sig, 4) && !*found)
			*found = a;
		/* ECAM: odv-hv must know, it emulates configuration space on ports 0xCF8/0xCFC only. */
		if (h && sig_is(h, "MCFG", 4))
			*mcfg = true;
	}
	return 0;
}

/* The root table named by a checked RSDP copy: the XSDT (64-bit entries) wins where firmware gives one. */
static uint64_t root_of(const uint8_t *r, bool ext, bool *x)
{
	*x = ext && le64(r + 24);
	return *x ? le64(r + 24) : le32(r + 16);
}

int acpi_find_table(acpi_map_fn map, void *ctx, const void *rsdp, unsigned rsdp_len, const char *sig,
		    uint64_t *phys, uint32_t *len, const char **err)
{
	bool ext, x, mcfg = false;
	if ((*err = rsdp_check(rsdp, rsdp_len, &ext)))
		return -1;
	uint64_t root = root_of(rsdp, ext, &x);
	if (root_find(map, ctx, root, x, sig, phys, &mcfg, err))
		return -1;
	if (!*phys)
		return 0;
	return table(map, ctx, *phys, OTHER, sig, SDT_HDR, len, err) ? 1 : -1;
}

/* One MADT entry at e with `left` bytes to the table's end: its length, or 0 with *err. */
static uint32_t madt_entry(const uint8_t *e, uint32_t left, struct acpi_cpus *out, const char **err)
{
	if (left < 2 || e[1] > left) {
		*err = "MADT entry runs past the table end";
		return 0;
	}
	if (e[1] < 2) {
		*err = "MADT entry length below 2";   /* 0 would never advance */
		return 0;
	}
	/* Minimum lengths of the types read: 8, 16 and 12 bytes. */
	if ((e[0] == 0 && e[1] < 8) || (e[0] == 9 && e[1] < 16) || (e[0] == 5 && e[1] < 12)) {
		*err = "MADT entry too short for its type";
		return 0;
	}
	/*
	 * Type 0 holds an 8-bit APIC ID; CPUs with IDs of 255 and up (x2APIC)
	 * can only be listed as type 9, and firmware may list every CPU either
	 * way, so both count. The all-ones IDs are the broadcast address, never
	 * a CPU: placeholders, skipped.
	 */
	if (e[0] == 0 && e[3] != 0xff)
		add_cpu(out, e[3], le32(e + 4));
	else if (e[0] == 9 && le32(e + 4) != 0xffffffffu)
		add_cpu(out, le32(e + 4), le32(e + 8));
	else if (e[0] == 5)   /* Local APIC Address Override: the 64-bit address wins */
		out->lapic_base = le64(e + 4);
	return e[1];
}

int acpi_find_cpus(acpi_map_fn map, void *ctx, const void *rsdp, unsigned rsdp_len,
		   struct acpi_cpus *out, const char **err)
{
	bool ext, x;
	*out = (struct acpi_cpus){ 0 };
	if ((*err = rsdp_check(rsdp, rsdp_len, &ext)))
		return -1;
	uint64_t madt, root = root_of(rsdp, ext, &x);
	if (root_find(map, ctx, root, x, "APIC", &madt, &out->has_mcfg, err))
		return -1;
	if (!madt) {
		*err = x ? "no MADT in the XSDT" : "no MADT in the RSDT";
		return -1;
	}
	uint32_t len;
	const uint8_t *t = table(map, ctx, madt, MADT, NULL, MADT_ENTRIES, &len, err);
	if (!t)
		return -1;
	out->lapic_base = le32(t + 36);
	for (uint32_t off = MADT_ENTRIES, n; off < len; off += n)
		if (!(n = madt_entry(t + off, len - off, out, err)))
			return -1;
	return 0;
}
