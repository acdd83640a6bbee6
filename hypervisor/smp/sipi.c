/*
 * INIT and SIPI for vCPUs, as the hardware does them (SDM Vol. 3, "Processor
 * state after INIT" and the MP start-up sequence). lapic_trap.c takes the
 * guest's INIT and SIPI IPIs off the sender; the INIT reaches the target as an
 * NMI plus init_requested (or, from elsewhere, as an INIT exit), and its vCPU
 * takes the state after INIT and waits in VMX root for the SIPI vector that
 * lapic_trap.c leaves in its mailbox (struct percpu). A vCPU never sits in
 * the wait-for-SIPI activity state. Real mode after SIPI needs the
 * unrestricted-guest control. The real local APIC is the guest's and is not
 * reset by these INITs (LVTs, TPR stay); Linux programs it anew on each start.
 */
#include "hv.h"
#include "arch.h"
#include "percpu.h"
#include "smp.h"
#include "vmx.h"

#define RESET_PAT 0x0007040600070406ull
/* CD, NW, ET: CR0 after RESET. After INIT a CPU keeps CD and NW; VM entry takes
 * them from odv-hv's CR0 anyway (Bochs), and the guest's start-up code sets CR0. */
#define CR0_RESET (BIT(30) | BIT(29) | BIT(4))

static void real_mode_seg(unsigned k, uint16_t sel, uint64_t base, uint32_t ar)
{
	vmwrite(VMCS_GUEST_ES_SEL + 2 * k, sel);
	vmwrite(VMCS_GUEST_ES_BASE + 2 * k, base);
	vmwrite(VMCS_GUEST_ES_LIMIT + 2 * k, 0xffff);
	vmwrite(VMCS_GUEST_ES_AR + 2 * k, ar);
}

/* The state after INIT, vCPU waiting for SIPI. Acts on the current VMCS. */
void vcpu_init_state(struct vcpu *v)
{
	struct vmx_caps *c = &hv.caps;
	/* PE and PG may be 0 (unrestricted guest); the other fixed bits (NE) stay. */
	uint64_t fixed0 = c->cr0_fixed0 & ~(uint64_t)(CR0_PE | CR0_PG);
	vmwrite(VMCS_GUEST_CR0, (CR0_RESET | fixed0) & c->cr0_fixed1);
	vmwrite(VMCS_CR0_SHADOW, CR0_RESET);
	vmwrite(VMCS_GUEST_CR4, c->cr4_fixed0);
	vmwrite(VMCS_CR4_SHADOW, 0);
	vmwrite(VMCS_GUEST_CR3, 0);
	vmwrite(VMCS_GUEST_EFER, 0);
	vmwrite(VMCS_ENTRY_CONTROLS, vmread(VMCS_ENTRY_CONTROLS) & ~(uint64_t)ENTRY_CTL_IA32E_GUEST);

	/* ES CS SS DS FS GS LDTR TR, in VMCS field order. */
	for (unsigned k = 0; k < 6; k++)
		real_mode_seg(k, 0, 0, 0x93);
	real_mode_seg(1, 0xf000, 0xffff0000, 0x9b);
	real_mode_seg(6, 0, 0, 0x82);
	real_mode_seg(7, 0, 0, 0x8b);
	vmwrite(VMCS_GUEST_GDTR_BASE, 0);
	vmwrite(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	vmwrite(VMCS_GUEST_IDTR_BASE, 0);
	vmwrite(VMCS_GUEST_IDTR_LIMIT, 0xffff);
	vmwrite(VMCS_GUEST_RIP, 0xfff0);
	vmwrite(VMCS_GUEST_RSP, 0);
	vmwrite(VMCS_GUEST_RFLAGS, 0x2);
	vmwrite(VMCS_GUEST_DR7, 0x400);
	vmwrite(VMCS_GUEST_PENDING_DBG, 0);
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmwrite(VMCS_GUEST_SYSENTER_CS, 0);
	vmwrite(VMCS_GUEST_SYSENTER_ESP, 0);
	vmwrite(VMCS_GUEST_SYSENTER_EIP, 0);
	vmwrite(VMCS_GUEST_DEBUGCTL, 0);
	if (vmread(VMCS_ENTRY_CONTROLS) & ENTRY_CTL_LOAD_PAT)
		vmwrite(VMCS_GUEST_PAT, RESET_PAT);
	vmwrite(VMCS_ENTRY_INTR_INFO, 0);
	for (unsigned n = 0; n < 16; n++)
		vcpu_set_gpr(v, n, 0);
	uint32_t a, b, cc, d;
	cpuid(1, 0, &a, &b, &cc, &d);
	v->regs.rdx = a;                 /* EDX after INIT: family, model, stepping */
	v->nmi_pending = false;
	vmwrite(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
}

/* SIPI: start in real mode at vector * 4 KiB (CS = vector << 8, IP = 0). */
void vcpu_sipi(struct vcpu *v, uint8_t vector)
{
	real_mode_seg(1, (uint16_t)(vector << 8), (uint64_t)vector << 12, 0x9b);
	vmwrite(VMCS_GUEST_RIP, 0);
	/* A started CPU blocks nothing (after an INIT or SIPI exit Bochs reports
	 * blocking by SMI, which VM entry then rejects outside SMM). */
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmwrite(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
	pr_debug("cpu %u: SIPI vector 0x%x; vCPU starts in real mode at 0x%x", v->id, vector, vector << 12);
}

/*
 * Wait in VMX root for the SIPI lapic_trap.c holds for this CPU, and take it
 * (or stop, if another CPU stopped the guest meanwhile). This spins with
 * PAUSE: MONITOR/MWAIT on the mailbox would sleep instead, but Bochs 2.7, the
 * VMX test platform, never woke from it on the sender's store (a test guest
 * starting its CPU 1 waited for good: vmx-guest-c-smp-stop), and a wait-for-
 * SIPI vCPU that never wakes is a CPU the guest has lost.
 */
static uint8_t wait_for_sipi(void)
{
	struct percpu *c = this_cpu();
	__atomic_store_n(&c->waiting_sipi, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		if (guest_stopping())
			guest_stopped_here(false);
		int32_t vec = __atomic_exchange_n(&c->sipi_vector, -1, __ATOMIC_SEQ_CST);
		if (vec >= 0) {
			__atomic_store_n(&c->waiting_sipi, 0, __ATOMIC_SEQ_CST);
			return (uint8_t)vec;
		}
		cpu_relax();
	}
}

/*
 * Wait in VMX root for the SIPI and start the vCPU there. The guest's INIT
 * that led here is done with, and NMIs that arrived meanwhile are dropped, as
 * a CPU waiting for SIPI drops them (one of them was lapic_trap.c's wake-up).
 */
void vcpu_start_on_sipi(struct vcpu *v)
{
	uint8_t vector = wait_for_sipi();
	__atomic_store_n(&this_cpu()->init_requested, 0, __ATOMIC_SEQ_CST);
	v->nmi_pending = false;
	vcpu_sipi(v, vector);
}

/*
 * The guest's INIT reached this vCPU (an INIT exit, or lapic_trap.c's
 * init_requested): take the state after INIT, then wait for the SIPI.
 */
void vcpu_do_init(struct vcpu *v, const char *how)
{
	/* Debug level: in the log ring (odv log), not on the console, where a
	 * line from another CPU would cut into the guest's own output. */
	uint64_t at = vmread(VMCS_GUEST_CS_BASE) + vmread(VMCS_GUEST_RIP);
	vcpu_init_state(v);
	pr_debug("cpu %u: INIT (%s; guest was at 0x%lx); vCPU waits for SIPI", v->id, how, at);
	vcpu_start_on_sipi(v);
}

/*
 * lapic_trap.c asked for an INIT on this CPU: consume the request. waiting_sipi
 * goes up before init_requested goes down, so a SIPI sent meanwhile always
 * finds one of them set (lapic_trap.c stores it only then).
 */
bool vcpu_take_init_request(void)
{
	struct percpu *c = this_cpu();
	if (!__atomic_load_n(&c->init_requested, __ATOMIC_SEQ_CST))
		return false;
	__atomic_store_n(&c->waiting_sipi, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&c->init_requested, 0, __ATOMIC_SEQ_CST);
	return true;
}
