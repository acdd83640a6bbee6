/* SPDX-License-Identifier: MIT */
/*
 * The handoff block: what the odv agent tells odv-hv when it kexecs it
 * (docs/ARCHITECTURE.md, go-virtual), and what odv-hv answers back after
 * the resume. It is one kexec segment placed right after odv-hv's image in
 * the reserved region, at a 4 KiB boundary: odv-hv finds it at its own load
 * address + ODV_HANDOFF_OFFSET. Versioned and CRC-checked; the codec
 * (hypervisor/handoff.c) is shared by the agent and odv-hv.
 *
 * The hibernation image stream is not part of the kexec: it stays in the
 * frames where the agent read it, and the run table (its own kexec segment
 * in the reserved region, after the handoff block, with its own CRC) lists
 * those frames in stream order. So kexec_load copies only odv-hv, the
 * handoff and the table: it never has to place the image among the free
 * pages it allocates from, which made its page placement quadratic.
 *
 * All fields are little-endian, fixed width; the struct has no padding
 * holes (checked by static asserts), so it is the wire format.
 */
#ifndef ODV_HANDOFF_H
#define ODV_HANDOFF_H
#include <stdint.h>

#define ODV_HANDOFF_MAGIC    0x31464f4844564f44ull   /* "DOVDHOF1" */
#define ODV_HANDOFF_VERSION  6    /* 2: hv_args; 3: the stream as a run table; 4: acpi_rsdp; 5: phase times;
                                     6: the least free memory after the snapshot */
#define ODV_HANDOFF_MAX_MEM  64
#define ODV_HANDOFF_MAX_RUNS (1ull << 24)   /* a run table of at most 256 MiB */

enum odv_handoff_mem_type { ODV_MEM_RAM = 1, ODV_MEM_RESERVED = 2, ODV_MEM_ACPI = 3, ODV_MEM_NVS = 4 };

struct odv_handoff_mem { uint64_t base, len; uint32_t type, pad; };

/* A run of consecutive image-stream pages in consecutive frames from `phys`. */
struct odv_handoff_run { uint64_t phys, pages; };

/*
 * Where go-virtual's time goes: TSC stamps at the ends of the phases after the
 * snapshot, which the resumed system cannot remember itself (its memory is
 * the image, made before them). The agent writes its own into a page of its
 * memory up to the kexec (agent_tsc_phys: this block is copied at kexec_load,
 * before the last of them); odv-hv copies them into the result beside its
 * own. The TSC runs on across kexec, so the agent turns both into durations
 * with its own TSC frequency. 0: not reached.
 */
enum odv_agent_tsc {
	ODV_TSC_SNAPSHOT,     /* CREATE_IMAGE returned */
	ODV_TSC_READ,         /* image read, its frames found */
	ODV_TSC_LOADED,       /* kexec_load returned */
	ODV_TSC_REBOOT,       /* console drained: reboot(KEXEC) */
	/* Not stamps: go-virtual's peak memory. */
	ODV_AGENT_IMAGE_PAGES,    /* the image's size in pages (the snapshot's copy) */
	ODV_AGENT_SNAP_FREE_KIB,  /* MemFree (KiB) right after the snapshot */
	ODV_AGENT_LOW_FREE_KIB,   /* the least MemFree (KiB) the agent saw after it */
	ODV_TSC_AGENT_N
};
enum odv_hv_tsc {
	ODV_TSC_HV_ENTRY,     /* odv-hv's first instruction in C */
	ODV_TSC_HV_CHECKED,   /* handoff and image checked, other CPUs parked */
	ODV_TSC_HV_PLACED,    /* every image page at its frame */
	ODV_TSC_HV_VMX,       /* VMX, devices, EPT and VMCS set up */
	ODV_TSC_HV_LAUNCH,    /* other CPUs started: VMLAUNCH of vCPU 0 (or the native jump) */
	ODV_TSC_HV_N = 6
};

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
	uint32_t runs_crc32;      /* over the run table */
	struct odv_handoff_mem mem[ODV_HANDOFF_MAX_MEM];    /* /sys/firmware/memmap */
	uint64_t runs_phys;       /* the run table: nr_runs entries, the stream in order, */
	uint64_t nr_runs;         /*   inside the reserved region after odv-hv */
	uint64_t serial_port;
	uint64_t log_level;
	uint64_t test_flags;      /* ODV_TEST_*: test-only behaviour switches */
	/* Physical address of the ACPI RSDP the firmware gave the kernel, 0 if the
	   agent does not know it (BIOS machines: odv-hv finds it in the BIOS areas;
	   UEFI machines have none there, the EFI system table names it). */
	uint64_t acpi_rsdp;
	uint64_t agent_tsc_phys;  /* a page with the agent's ODV_TSC_AGENT_N stamps, 0 if none */
	/* odv-hv's command line (NUL-terminated), as on the multiboot2 path: e.g.
	   "disk=ata0-slave nic=00:02.0", the devices it takes over (hypervisor/vdev.c). */
	char     hv_args[128];
	/* ---- result: written by odv-hv, not covered by the CRC ---- */
	uint32_t result_mode;     /* enum odv_result_mode */
	uint32_t result_pad;
	char     result_reason[120];
	uint64_t result_agent_tsc[ODV_TSC_AGENT_N];   /* copied from agent_tsc_phys */
	uint64_t result_tsc[ODV_TSC_HV_N];            /* enum odv_hv_tsc */
};

#define ODV_HANDOFF_OFFSET_ALIGN 4096
/* test_flags */
#define ODV_TEST_FORCE_NATIVE 1   /* take the fail-safe path even if VMX works */
#define ODV_TEST_FAIL_HV_START 2  /* fail as a VMX setup failure would, after VMXON, the devices,
				     the EPT and the VMCS, before the APs and the guest start */

enum odv_handoff_err {
	ODV_HANDOFF_OK = 0,
	ODV_HANDOFF_EMAGIC = -1,
	ODV_HANDOFF_EVERSION = -2,
	ODV_HANDOFF_ESIZE = -3,
	ODV_HANDOFF_ECRC = -4,
	ODV_HANDOFF_ERANGE = -5,
};

uint32_t odv_crc32(const void *data, uint64_t len);
/* Fill magic/version/size and the CRCs (of the block and of the run table). */
void odv_handoff_seal(struct odv_handoff *h, const struct odv_handoff_run *runs);
/* Check magic, version, size, CRC and internal consistency, including where
 * the run table lies (not its contents); returns enum odv_handoff_err. */
int odv_handoff_check(const struct odv_handoff *h);
/* Check the run table itself: CRC, page alignment, no empty run, the runs
 * add up to stream_pages. Call after odv_handoff_check. */
int odv_handoff_check_runs(const struct odv_handoff *h, const struct odv_handoff_run *runs);
const char *odv_handoff_strerror(int err);

#endif
