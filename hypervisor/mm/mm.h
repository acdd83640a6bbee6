/* odv-hv's memory views: its own page tables and the guest's EPT (host_paging.c, ept_guest.c). */
#ifndef ODV_MM_H
#define ODV_MM_H
#include "types.h"

/* host_paging.c: map one 4 KiB page in odv-hv's tables; -1 if va is taken by a large page */
int host_map_4k(uint64_t va, uint64_t pa);

/*
 * direct_map.c: odv-hv's identity map of physical memory (phys_to_virt).
 * extend: map [0, end) (rounded up to 1 GiB); 0, or -1 with the reason logged.
 */
int direct_map_extend(uint64_t end);
bool direct_map_covers(uint64_t pa, uint64_t len);
uint64_t direct_map_top(void);
/* All the machine has: the memory map's top, every 64-bit PCI BAR. 0 or -1. */
int direct_map_machine(void);

/* ept_guest.c: the guest's identity EPT; trap_lapic: the local APIC page read-only (SMP) */
int ept_setup(bool trap_lapic);
int ept_trap_range(uint64_t base, uint64_t size);   /* a new EPT hole, live; 0 or -1 */
void ept_sync(void);                                /* this CPU catches up with EPT changes */

#endif
