/* odv-hv's memory views: its own page tables and the guest's EPT (host_paging.c, ept_guest.c). */
#ifndef ODV_MM_H
#define ODV_MM_H
#include "types.h"

/* host_paging.c: map one 4 KiB page in odv-hv's tables; -1 if va is taken by a large page */
int host_map_4k(uint64_t va, uint64_t pa);

/* ept_guest.c: the guest's identity EPT; trap_lapic: the local APIC page read-only (SMP) */
int ept_setup(bool trap_lapic);
int ept_trap_range(uint64_t base, uint64_t size);   /* a new EPT hole, live; 0 or -1 */
void ept_sync(void);                                /* this CPU catches up with EPT changes */

#endif
