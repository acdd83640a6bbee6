/* The odv agent: shared declarations. */
#ifndef ODV_AGENT_H
#define ODV_AGENT_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "odv_handoff.h"

/* Exit codes (README): */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,          /* failed; nothing changed */
	EXIT_USAGE = 2,
	EXIT_NATIVE = 3,        /* go-virtual: the system came back, but natively (fail-safe) */
	EXIT_PRECONDITION = 4,  /* a precondition (odv check) is not met; nothing changed */
};

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

/* ---- odv-hv image (hvimage.c) ---- */
#define ODV_DEFAULT_HV_PATH "/usr/lib/odv/odv-hv.bin"
#include "odv_hvimage.h"
/* The handoff block's kexec segment: whole pages, right after odv-hv's memory. */
#define ODV_HANDOFF_BYTES ((sizeof(struct odv_handoff) + 4095) & ~(size_t)4095)
struct hv_image { uint8_t *data; size_t size; struct odv_hvimage_header hdr; };
int hv_image_load(const char *path, struct hv_image *hv, char *why, size_t wl);
void hv_image_free(struct hv_image *hv);
/* Bytes of the reservation odv-hv and the handoff block take. */
uint64_t hv_image_region_need(const struct hv_image *hv);

/* ---- segment planning (plan.c), pure ---- */
struct phys_run { uint64_t pfn, pages; };
/*
 * Free runs of RAM: pages in `ram` that are neither in the sorted list
 * `used` (ascending PFNs) nor in [excl_base, excl_base+excl_len) nor below
 * 1 MiB. Returns the number written to `out` (at most max, largest kept).
 */
int plan_free_runs(const struct odv_handoff_mem *ram, int nr_ram, const uint64_t *used, uint64_t nr_used,
		   uint64_t excl_base, uint64_t excl_len, struct phys_run *out, int max);
/* Choose at most max_segs runs (largest first) covering `pages`; fills segs in stream order. */
int plan_stream_segments(struct phys_run *runs, int nr_runs, uint64_t pages,
			 struct odv_handoff_seg *segs, int max_segs);

/* ---- odv-hv hypercalls through the msr driver (hvcall.c) ---- */
int hv_open(int cpu, char *why, size_t wl);            /* fd, or -1 with why */
int hv_read(int fd, uint32_t msr, uint64_t *val);      /* 0, or -1 (no odv-hv) */
bool hv_present(void);                                 /* CPUID says odv-hv (odv.c) */
int hv_present_on(int cpu);                            /* ... when run on that CPU; -1 cannot */
int online_cpus(int *out, int max);                    /* /sys/devices/system/cpu/online */

/* ---- commands ---- */
int cmd_log(int argc, char **argv);
int cmd_go_native(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_go_virtual(int argc, char **argv);

/* ---- guest-visible time (odv.c) ----
 * The TSC runs through the conversions, while the kernel's clocks treat the
 * gap as sleep: downtime is TSC ticks, calibrated against CLOCK_MONOTONIC. */
uint64_t rdtsc(void);
double tsc_hz(void);          /* calibrates once (about 50 ms), then cached */

/* ---- output ---- */
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool opt_json;
extern bool progress_after_snapshot;   /* set once the snapshot exists: see progress() */

#endif
