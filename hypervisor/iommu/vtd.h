/*
 * VT-d DMA remapping (iommu/vtd.c): every device may reach RAM but odv-hv's
 * region; the devices odv-hv drives itself may also reach their own DMA
 * buffers. Legacy-mode root and context tables, second-level tables built by
 * the EPT identity builder (mm/ept.c), register-based invalidation.
 */
#ifndef ODV_VTD_H
#define ODV_VTD_H
#include "types.h"

/*
 * Is there VT-d? Finds and parses the ACPI DMAR once and logs what it found,
 * or plainly that DMA isolation is absent. 1: no DMAR; 0: found; -1: unusable.
 */
int vtd_probe(void);

/*
 * Find the DMAR and the remapping units, and build the tables (nothing is
 * enabled yet). 1: there is no DMAR (logged as a warning: DMA isolation is
 * absent); 0: ready for vtd_enable; -1: a DMAR that odv-hv cannot use (why
 * logged).
 */
int vtd_prepare(void);
/* Device bdf (bus << 8 | dev << 3 | fn), driven by odv-hv, may also reach [base, base + size). 0 or -1. */
int vtd_allow_dma(uint16_t bdf, uint64_t base, uint64_t size);
/* Point every unit at the tables, invalidate, turn translation on. 0 or -1 (logged). */
int vtd_enable(void);
/* Translation off on every unit (go-native, fail-safe: the kernel had it off). */
void vtd_disable(void);

/* A recorded fault (FRCD). */
struct vtd_fault { uint16_t sid; uint8_t reason; bool read; uint64_t addr; };
/* Read, log and clear the faults unit 0 recorded, up to max into out: how many. */
unsigned vtd_faults(struct vtd_fault *out, unsigned max);

/*
 * odv-hv's devices note each DMA buffer as they allocate it (vdev_nic.c):
 * vtd_protect lets that device, and no other, reach it.
 */
void vtd_note_dma(uint16_t bdf, uint64_t base, uint64_t size);
/*
 * On the VMX paths, after the devices and before the EPT: with a DMAR, set up
 * remapping (odv-hv's region out of every device's reach), hide the units'
 * registers from the guest and turn translation on. 0 (on, or no DMAR),
 * -1 (a DMAR odv-hv could not use; logged). vtd_disable undoes it at
 * go-native and at a fail-safe native resume.
 */
int vtd_protect(void);

/* vtd_test.c: with test-vtd on the multiboot2 command line, run the VT-d test natively and stop. */
void vtd_test_if_asked(const char *cmdline);

#endif
