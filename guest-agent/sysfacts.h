/* Facts about the running system (sysfacts.c) and the allocation headroom (headroom.c). */
#ifndef ODV_SYSFACTS_H
#define ODV_SYSFACTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "odv_handoff.h"

/* ---- system facts (sysfacts.c) ---- */
struct reservation { uint64_t base, size; bool found; };
/* Parse one memmap= value "SIZE$ADDR" (K/M/G suffixes). Pure. 0 ok, -1 not a $-reservation. */
int parse_memmap_reservation(const char *val, uint64_t *base, uint64_t *size);
/* Find memmap=SIZE$ADDR in a kernel command line. Pure. */
bool find_reservation(const char *cmdline, struct reservation *r);
int read_file(const char *path, char *buf, size_t size);
/* Firmware memory map (/sys/firmware/memmap); returns count or -1. */
int read_firmware_memmap(struct odv_handoff_mem *out, int max);
const char *lockdown_state(char *buf, size_t size);   /* "none", "integrity", ... or NULL */
uint64_t meminfo_kb(const char *key);                 /* 0 if unknown */
/* The swap areas in /proc/swaps text (after its header line), each name cut
 * to `len` bytes. Pure. Returns how many were stored (at most max). */
int proc_swaps_names(const char *text, char *names, size_t len, int max);
/* CPUs in a kernel CPU list ("0-3,6"). Pure. -1 if malformed. */
int cpulist_count(const char *list);
/* Bytes of "System RAM" at or above `limit` in /proc/iomem text (top-level
 * lines only). Pure. 0 with *bytes and *first (lowest such address, or 0), or
 * -1 if no System RAM line can be read (not root: addresses show as 0). */
int iomem_ram_above(const char *text, uint64_t limit, uint64_t *bytes, uint64_t *first);
/* The RSDP's address in /sys/firmware/efi/systab text ("ACPI20=0x..." preferred
 * over "ACPI=0x..."). Pure. 0 with *phys, or -1 if neither is there. */
int systab_rsdp(const char *text, uint64_t *phys);
/* The RSDP the EFI system table names, 0 if none (not UEFI, or unreadable). */
uint64_t efi_rsdp(void);
/* CPUs present (/sys/devices/system/cpu/present); 0 if unknown. */
unsigned cpus_present(void);
/* The page frame of each of `pages` pages from `addr` (this process, mapped and
 * present), from /proc/self/pagemap (root). 0, or -errno (-ENOENT: a page not
 * present or its frame hidden). */
int pagemap_pfns(const void *addr, uint64_t pages, uint64_t *pfns);

/* ---- allocation headroom (headroom.c, pure) ---- */
#define ZONE_MAX_PROT 8
struct zone_pages {
	char name[16];
	int node, index;                 /* index: the zone's place in its node (DMA 0, DMA32 1, ...) */
	uint64_t free, min, low, high;   /* pages */
	uint64_t prot[ZONE_MAX_PROT];    /* lowmem_reserve against allocations whose highest zone is i */
	int nprot;
};
/* Parse /proc/zoneinfo text: zones written to z (at most max); count, or -1 too many. */
int zoneinfo_parse(const char *text, struct zone_pages *z, int max);
/* Pages a GFP_KERNEL/GFP_HIGHUSER allocation can take without leaving the page
 * allocator's fast path: free pages above each zone's high watermark and its
 * lowmem reserve. */
uint64_t zones_headroom(const struct zone_pages *z, int n);
/* The same, read now from /proc/zoneinfo (sysfacts.c); -1 if it cannot be read. */
int64_t alloc_headroom_pages(void);

/* Pages kept free beyond what go-virtual allocates: interrupts and the
 * kernel's own allocations meanwhile must not push a zone to its watermark. */
#define HEADROOM_SLACK_PAGES 4096   /* 16 MiB */
/* Pages kexec_load allocates for segments of seg_pages pages. */
uint64_t kexec_copy_pages(uint64_t seg_pages);
/*
 * go-virtual's memory rule: the pages it allocates after the snapshot, with
 * slack, for an image of img_pages and odv-hv of hv_bytes. direct: the data
 * pages stay in the snapshot's frames (snapframes.h), so only the header and
 * metadata are buffered; else the whole stream is. go-virtual applies it to
 * the image the kernel made; odv check to what is in use now.
 */
uint64_t go_virtual_need_pages(uint64_t img_pages, uint64_t hv_bytes, bool direct);

#endif
