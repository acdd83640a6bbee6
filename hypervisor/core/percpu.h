/*
 * Per-CPU state of odv-hv: everything one physical CPU needs in VMX root
 * mode (VMXON region, VMCS, stacks, TSS) and the vCPU it runs. The host GS
 * base of each CPU points at its own struct percpu, so any code in VMX root
 * finds its CPU with this_cpu() (gs:0 holds the struct's own address).
 */
#ifndef ODV_PERCPU_H
#define ODV_PERCPU_H
#include "types.h"
#include "odv_abi.h"
#include "vcpu.h"

#define MAX_CPUS ODV_MAX_CPUS

struct __packed tss64 {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3, iomap_base;
};

/* Life of an application processor, as the boot CPU sees it. */
enum cpu_state { CPU_ABSENT, CPU_STARTING, CPU_SETTING_UP, CPU_IN_VMX, CPU_FAILED, CPU_NATIVE };

struct percpu {
	struct percpu *self;            /* gs:0: must stay first */
	unsigned index;                 /* 0 = the CPU odv-hv started on */
	uint32_t apic_id;
	volatile uint32_t state;        /* enum cpu_state, written by the CPU itself */
	bool vmx_on;
	volatile int32_t sipi_vector;   /* SIPI held for this CPU's vCPU (lapic_trap.c), -1 none */
	volatile uint32_t init_requested;  /* the guest sent this vCPU an INIT (lapic_trap.c) */
	volatile uint32_t waiting_sipi;    /* its vCPU waits for SIPI in VMX root (sipi.c) */
	unsigned vmwrite_failures;      /* VMWRITEs that failed on this CPU (vmx.c) */
	uint32_t ept_gen_seen;          /* EPT changes this CPU has invalidated (ept_trap_range) */
	struct vcpu vcpu;
	struct tss64 tss __aligned(16);
	uint8_t vmxon_region[PAGE_SIZE] __aligned(4096);
	uint8_t vmcs_region[PAGE_SIZE] __aligned(4096);
	uint8_t stack[16384] __aligned(16);
	uint8_t nmi_stack[4096] __aligned(16);
};

extern struct percpu percpus[MAX_CPUS];
extern unsigned nr_cpus;            /* percpus[0..nr_cpus-1] are in use (some may have FAILED) */

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

#endif
