/*
 * The ACPI DMAR table (Intel VT-d spec, chapter 8): where the DMA-remapping
 * hardware units are, which devices each one translates, and the memory
 * firmware says devices keep using (RMRRs). Pure logic, unit-tested and
 * fuzzed on the host.
 */
#ifndef ODV_DMAR_H
#define ODV_DMAR_H
#include "types.h"

#define DMAR_MAX_UNITS  8
#define DMAR_MAX_RMRRS  8
#define DMAR_MAX_SCOPES 8          /* per unit or RMRR; the rest are counted */

/* Device scope types (8.3.1). */
enum { DMAR_SCOPE_ENDPOINT = 1, DMAR_SCOPE_BRIDGE = 2, DMAR_SCOPE_IOAPIC = 3, DMAR_SCOPE_HPET = 4,
       DMAR_SCOPE_ACPI = 5 };

/*
 * One device scope. The path leads from start_bus through `depth` bridges
 * and endpoints; bdf is its first hop (start_bus:dev.fn), which is the
 * device itself when depth is 1.
 */
struct dmar_scope { uint8_t type, enum_id, depth; uint16_t bdf; };

struct dmar_unit {                 /* DRHD, type 0 */
	uint64_t base;                 /* register base, 4 KiB aligned */
	uint16_t segment;
	bool include_all;              /* INCLUDE_PCI_ALL: every device of the segment not under another unit */
	unsigned nscopes, scopes_dropped;
	struct dmar_scope scope[DMAR_MAX_SCOPES];
};

struct dmar_rmrr {                 /* RMRR, type 1: [base, limit] stays identity-mapped for its devices */
	uint64_t base, limit;          /* limit is the last byte */
	uint16_t segment;
	unsigned nscopes, scopes_dropped;
	struct dmar_scope scope[DMAR_MAX_SCOPES];
};

struct dmar_info {
	uint8_t haw;                   /* host address width: the field + 1 */
	uint8_t flags;                 /* bit 0 INTR_REMAP, bit 1 X2APIC_OPT_OUT, bit 2 DMA_CTRL_PLATFORM_OPT_IN */
	unsigned nunits, nrmrrs, dropped;   /* dropped: units or RMRRs beyond the arrays */
	unsigned others;               /* structures of other types (ATSR, RHSA, ANDD, SATC), skipped */
	struct dmar_unit unit[DMAR_MAX_UNITS];
	struct dmar_rmrr rmrr[DMAR_MAX_RMRRS];
};

/*
 * Parse the whole DMAR table t of len bytes (as acpi_find_table checked it:
 * length and checksum). 0 with *out, or -1 with *err: a structure that runs
 * past its container, is too short for its type, or states an address the
 * spec forbids (unaligned register base or RMRR, limit below base).
 */
int dmar_parse(const uint8_t *t, uint32_t len, struct dmar_info *out, const char **err);

/*
 * The unit that translates PCI function bdf on segment 0 (bus << 8 | dev << 3 | fn):
 * the one whose scope lists it as an endpoint directly on its start bus
 * (paths through bridges are not followed), else the INCLUDE_PCI_ALL unit.
 * Its index, or -1 if no unit covers it (its DMA is not remapped at all).
 */
int dmar_unit_of(const struct dmar_info *d, uint16_t bdf);

#endif
