/* SPDX-License-Identifier: MIT */
/*
 * The handoff block: what the odv agent tells odv-hv when it kexecs it
 * (DESIGN.md "go-virtual, step by step"), and what odv-hv answers back
 * after the resume. It is one kexec segment placed right after odv-hv's
 * image in the reserved region, at a 4 KiB boundary: odv-hv finds it at
 * its own load address + ODV_HANDOFF_OFFSET. Versioned and CRC-checked;
 * the codec (hypervisor/handoff.c) is shared by the agent and odv-hv.
 *
 * All fields are little-endian, fixed width; the struct has no padding
 * holes (checked by static asserts), so it is the wire format.
 */
#ifndef ODV_HANDOFF_H
#define ODV_HANDOFF_H
#include <stdint.h>

#define ODV_HANDOFF_MAGIC    0x31464f4844564f44ull   /* "DOVDHOF1" */
#define ODV_HANDOFF_VERSION  2    /* 2: hv_args */
#define ODV_HANDOFF_MAX_MEM  64
#define ODV_HANDOFF_MAX_SEGS 16

enum odv_handoff_mem_type { ODV_MEM_RAM = 1, ODV_MEM_RESERVED = 2, ODV_MEM_ACPI = 3, ODV_MEM_NVS = 4 };

struct odv_handoff_mem { uint64_t base, len; uint32_t type, pad; };

/* A run of consecutive image-stream pages, placed at `phys` by kexec. */
struct odv_handoff_seg { uint64_t phys, pages; };

/* Filled by odv-hv after the resume, read back by the agent through /dev/mem. */
enum odv_result_mode { ODV_RESULT_NONE = 0, ODV_RESULT_VIRTUAL = 1, ODV_RESULT_NATIVE = 2 };

struct odv_handoff {
	uint64_t magic;
	uint32_t version;
	uint32_t size;            /* sizeof(struct odv_handoff) */
	uint32_t crc32;           /* over the whole struct with crc32 = 0, result excluded */
	uint32_t flags;
	uint64_t region_base;     /* the reserved region (memmap=size$base) */
	uint64_t region_size;
	uint64_t hv_size;         /* bytes of odv-hv's image at region_base */
	/* restore entry, from the image header (struct restore_data_record) */
	uint64_t jump_address;
	uint64_t jump_address_phys;
	uint64_t image_cr3;
	uint64_t image_pages;     /* data pages in the stream */
	uint64_t stream_pages;    /* header + meta + data pages */
	uint32_t nr_mem;
	uint32_t nr_segs;
	struct odv_handoff_mem mem[ODV_HANDOFF_MAX_MEM];    /* /sys/firmware/memmap */
	struct odv_handoff_seg seg[ODV_HANDOFF_MAX_SEGS];   /* the stream, in order */
	uint64_t serial_port;
	uint64_t log_level;
	uint64_t test_flags;      /* ODV_TEST_*: test-only behaviour switches */
	/* odv-hv's command line (NUL-terminated), as on the multiboot2 path: e.g.
	   "disk=ata0-slave nic=00:02.0", the devices it takes over (hypervisor/vdev.c). */
	char     hv_args[128];
	/* ---- result: written by odv-hv, not covered by the CRC ---- */
	uint32_t result_mode;     /* enum odv_result_mode */
	uint32_t result_pad;
	char     result_reason[120];
};

#define ODV_HANDOFF_OFFSET_ALIGN 4096
/* test_flags */
#define ODV_TEST_FORCE_NATIVE 1   /* take the fail-safe path even if VMX works */

enum odv_handoff_err {
	ODV_HANDOFF_OK = 0,
	ODV_HANDOFF_EMAGIC = -1,
	ODV_HANDOFF_EVERSION = -2,
	ODV_HANDOFF_ESIZE = -3,
	ODV_HANDOFF_ECRC = -4,
	ODV_HANDOFF_ERANGE = -5,
};

uint32_t odv_crc32(const void *data, uint64_t len);
/* Fill magic/version/size and the CRC. */
void odv_handoff_seal(struct odv_handoff *h);
/* Check magic, version, size, CRC and internal consistency; returns enum odv_handoff_err. */
int odv_handoff_check(const struct odv_handoff *h);
const char *odv_handoff_strerror(int err);

#endif
