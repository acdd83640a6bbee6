/* SPDX-License-Identifier: MIT */
/*
 * The header inside odv-hv's flat image (build/odv-hv.bin) that tells the
 * agent how to kexec it: found by scanning the first 32 KiB for the magic
 * at an 8-byte boundary (it follows the multiboot2 header).
 */
#ifndef ODV_HVIMAGE_H
#define ODV_HVIMAGE_H
#include <stdint.h>

#define ODV_HVIMAGE_MAGIC   0x474d49564856444full   /* "ODHVIMG" + 'G' */
#define ODV_HVIMAGE_VERSION 1

struct odv_hvimage_header {
	uint64_t magic;
	uint32_t version;
	uint32_t kexec_entry;     /* offset of the 64-bit kexec entry from the image start */
	uint64_t load_size;       /* bytes of the file that must be loaded */
	uint64_t mem_size;        /* bytes odv-hv occupies with its bss (2 MiB multiple) */
	uint64_t abi_version;     /* ODV_ABI_VERSION of this build */
};

/* odv-hv's hv_main() is told how it was entered */
#define ODV_ENTRY_KEXEC_MAGIC 0x4f44564bu   /* "KVDO" */

#endif
