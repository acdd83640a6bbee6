/* SPDX-License-Identifier: MIT */
/*
 * Test-guest contract between odv-hv and the tiny guests in tests/guests.
 *
 * A test guest is a flat binary loaded by GRUB as a multiboot2 module.
 * It starts with struct odv_tg_header. odv-hv copies the binary to
 * load_addr and starts it in 64-bit mode (the same entry shape as a
 * hibernation-image resume): CS=0x10, SS/DS/ES=0x18, CR3 = header.cr3
 * (the guest ships its own identity page tables), RIP = header.entry,
 * RDI = guest-physical address of the struct odv_tg_info that odv-hv
 * wrote at header.info_addr, IF=0.
 */
#ifndef ODV_TESTGUEST_H
#define ODV_TESTGUEST_H

#include <stdint.h>

#define ODV_TG_MAGIC      0x5453455456444f00ull   /* "\0ODVTEST" little-endian */
#define ODV_TG_INFO_MAGIC 0x4f464e4956444f00ull   /* "\0ODVINFO" */
#define ODV_TG_MAX_RANGES 32

struct odv_tg_header {
	uint64_t magic;
	uint64_t load_addr;     /* where the binary must be placed */
	uint64_t image_end;     /* load_addr + size incl. bss */
	uint64_t entry;
	uint64_t cr3;
	uint64_t info_addr;     /* where odv-hv writes struct odv_tg_info */
};

enum odv_tg_range_type { ODV_TG_RAM = 1, ODV_TG_RESERVED = 2 };

struct odv_tg_range {
	uint64_t base;
	uint64_t len;
	uint32_t type;
	uint32_t pad;
};

struct odv_tg_info {
	uint64_t magic;
	/*
	 * Test-only: the region odv-hv occupies. A real guest is never told;
	 * guest B uses it to prove that the region is not mapped.
	 */
	uint64_t hv_base;
	uint64_t hv_size;
	uint32_t nr_ranges;
	uint32_t pad;
	struct odv_tg_range ranges[ODV_TG_MAX_RANGES]; /* guest view, hv region reserved */
	char cmdline[128];      /* the module's string from grub.cfg */
};

#endif
