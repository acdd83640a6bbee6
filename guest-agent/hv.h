/* odv-hv as the agent sees it: its image (hvimage.c), its hypercalls (hvcall.c),
 * whether it is below us (odv.c), and the TSC time that runs through a conversion (odv.c). */
#ifndef ODV_HV_H
#define ODV_HV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "odv_handoff.h"

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

/* ---- odv-hv hypercalls through the msr driver (hvcall.c) ---- */
int hv_open(int cpu, char *why, size_t wl);            /* fd, or -1 with why */
int hv_read(int fd, uint32_t msr, uint64_t *val);      /* 0, or -1 (no odv-hv) */
bool hv_present(void);                                 /* CPUID says odv-hv (odv.c) */
int hv_present_on(int cpu);                            /* ... when run on that CPU; -1 cannot */
int online_cpus(int *out, int max);                    /* /sys/devices/system/cpu/online */

/* ---- guest-visible time (odv.c) ----
 * The TSC runs through the conversions, while the kernel's clocks treat the
 * gap as sleep: downtime is TSC ticks, calibrated against CLOCK_MONOTONIC. */
uint64_t rdtsc(void);
double tsc_hz(void);          /* calibrates once (about 50 ms), then cached */

#endif
