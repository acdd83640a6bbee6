/* Multiboot2 boot information, parsed into what odv-hv uses. Pure logic. */
#ifndef ODV_MB2_H
#define ODV_MB2_H
#include "types.h"

#define MB2_BOOTLOADER_MAGIC 0x36d76289u
#define MB2_MAX_MODULES 8
#define MB2_MAX_MMAP 64

enum mem_type { MEM_RAM = 1, MEM_RESERVED = 2, MEM_ACPI = 3, MEM_NVS = 4, MEM_BAD = 5 };

struct mem_range { uint64_t base, len; uint32_t type; };

struct mb2_module { uint64_t start, end; const char *string; };

struct boot_info {
	const char *cmdline;
	unsigned nr_modules;
	struct mb2_module modules[MB2_MAX_MODULES];
	unsigned nr_mmap;
	struct mem_range mmap[MB2_MAX_MMAP];
	uint64_t mbi_start, mbi_end;
	/*
	 * Copy of the ACPI RSDP from tag 15 (new, ACPI 2.0+) or else tag 14
	 * (old, ACPI 1.0); rsdp_len 0 if neither. Copied rather than pointed
	 * to so it survives whatever later reuses the MBI's memory. Not
	 * validated here: acpi_find_cpus checks it.
	 */
	uint8_t rsdp[36];
	unsigned rsdp_len;
};

/*
 * Parse the MBI at `mbi` (a pointer the caller can read; addresses inside
 * are physical). Returns 0, or a negative value with *err set to why.
 */
int mb2_parse(const void *mbi, uint64_t mbi_phys, struct boot_info *out, const char **err);

#endif
