/*
 * odv-hv's global state, its page pool, descriptor tables, delays and the
 * one place it stops. Each subsystem has its own header: vmx/vmx.h,
 * mm/mm.h, mm/guest.h, entry/entry.h, smp/smp.h, platform/vdev.h.
 */
#ifndef ODV_HV_H
#define ODV_HV_H
#include "types.h"
#include "mb2.h"
#include "vmx_caps.h"
#include "log.h"
void *memmove(void *d, const void *s, size_t n);
void *memcpy(void *d, const void *s, size_t n);

#define HV_VIRT_BASE 0xFFFFFFFF80000000ull

#include "msr_policy.h"

struct vcpu;

struct hv {
	uint64_t tsc_entry;                /* TSC at hv_main: go-virtual's phase times */
	uint64_t load_base, size;          /* odv-hv's physical region */
	struct boot_info boot;
	struct mem_range guest_map[MB2_MAX_MMAP];   /* RAM view given to the guest */
	unsigned nr_guest_map;
	struct vmx_caps caps;
	uint64_t eptp;
	struct vcpu *bsp;
	bool trap_icr;                     /* SMP: the guest's IPIs pass through lapic_trap.c */
	struct msr_policy_env msr_env;     /* run-time facts of the MSR table (vmx/msr_policy.h) */
	bool has_ecam;                     /* ACPI lists an MCFG: config space is memory-mapped too */
};
extern struct hv hv;

/* page pool (pool.c): zeroed 4 KiB pages from odv-hv's own region */
void *page_alloc(uint64_t *phys);
unsigned page_pool_free(void);                /* pages page_alloc can still hand out */

/* host descriptor tables (idt.c): the same layout on every CPU */
#define SEL_CODE 0x08          /* 64-bit code */
#define SEL_DATA 0x10          /* data, for SS/DS/ES */
void host_tables_init(unsigned cpu);          /* on each CPU; cpu 0 first */
uint16_t host_tr_selector(void);
uint64_t host_tss_base(void);

/* selfcheck.c: odv-hv's code and read-only data unchanged since start? (logged either way) */
void selfcheck_start(void);
bool selfcheck_end(const char *when);

/* delay.c */
void udelay(uint32_t us);
uint64_t tsc_per_ms(void);                          /* calibrated against the PIT */

/* The end of every path odv-hv cannot go on from (log.c): log why, stop this CPU. */
__noreturn void hv_halt(const char *why);

#endif
