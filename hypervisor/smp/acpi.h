/* ACPI tables, just enough to find every CPU for SMP bring-up and to find other tables (DMAR). Pure logic. */
#ifndef ODV_ACPI_H
#define ODV_ACPI_H
#include "types.h"

/*
 * Make physical [phys, phys+len) readable: a pointer valid for len bytes,
 * or NULL if that range cannot be read. acpi.c asks for exactly the bytes
 * it reads and never uses a pointer after its next call, so the callback
 * may hand out one reused window.
 */
typedef const void *(*acpi_map_fn)(void *ctx, uint64_t phys, uint64_t len);

#define ACPI_MAX_CPUS 64

struct acpi_cpus {
	uint64_t lapic_base;     /* MADT local APIC address, replaced by a type-5 override if present */
	unsigned n;              /* usable CPUs listed */
	uint32_t apic_id[ACPI_MAX_CPUS];
	unsigned disabled;       /* entries with neither Enabled nor Online Capable set */
	unsigned dropped;        /* usable entries beyond ACPI_MAX_CPUS */
	bool has_mcfg;           /* the root table lists an MCFG: PCI config space is memory-mapped (ECAM) too */
};

/*
 * Legacy BIOS search for the RSDP: the first KiB of the EBDA, then
 * 0xE0000-0xFFFFF. Returns 0 with its address in *rsdp_phys, or -1.
 * (Its length is 20 for revision 0, else the 32-bit field at offset 20.)
 */
int acpi_scan_rsdp(acpi_map_fn map, void *ctx, uint64_t *rsdp_phys);

/* The bytes of an RSDP to copy or check: 20 for revision 0 (ACPI 1.0), else
 * 36 (the extended RSDP). Reads its revision byte only. */
unsigned acpi_rsdp_len(const void *rsdp);

/*
 * From a copy of the RSDP (rsdp_len bytes, e.g. struct boot_info's),
 * follow the XSDT (or RSDT) to the MADT and list the CPUs in *out.
 * Returns 0, or -1 with *err set to why.
 */
int acpi_find_cpus(acpi_map_fn map, void *ctx, const void *rsdp, unsigned rsdp_len,
		   struct acpi_cpus *out, const char **err);

/*
 * The first table with the 4-character signature sig (e.g. "DMAR") that the
 * XSDT (or RSDT) lists, its length and checksum checked: 1 with *phys and
 * *len; 0 if none is listed; -1 with *err (a broken RSDP, root table or
 * table). map(ctx, *phys, *len) then gives the whole table.
 */
int acpi_find_table(acpi_map_fn map, void *ctx, const void *rsdp, unsigned rsdp_len, const char *sig,
		    uint64_t *phys, uint32_t *len, const char **err);

#endif
