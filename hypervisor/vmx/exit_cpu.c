/*
 * Exits for the CPU's own instructions and events: CPUID, control
 * registers, XSETBV, VMX instructions, NMI, INIT/SIPI, the preemption timer. Each
 * behaves as the instruction would on a CPU without VMX (exit.h: what the
 * results mean).
 */
#include "exit.h"
#include "arch.h"
#include "cr_rules.h"
#include "exit_info.h"
#include "hv.h"
#include "odv_abi.h"
#include "percpu.h"
#include "smp.h"
#include "vdev.h"
#include "vmx.h"

#define IDT_HOLDS_NMI (2 * 16 + 15)      /* IDTR limit that covers vector 2 */

enum exit_result exit_triple_fault(struct vcpu *v, struct vm_exit *x)
{
	x->stop = "guest triple fault";
	return EXIT_UNHANDLED;
}

enum exit_result exit_exception_nmi(struct vcpu *v, struct vm_exit *x)
{
	uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);
	if ((info & INTR_INFO_TYPE_MASK) != INTR_TYPE_NMI || (info & INTR_INFO_VECTOR_MASK) != VEC_NMI)
		return EXIT_UNHANDLED;
	nmi_unblock();   /* or this CPU never sees another NMI (nor INIT request) */
	/* The NMI that tells this CPU another one stopped the guest (guest_stop.c). */
	if (guest_stopping())
		guest_stopped_here(true);
	/* The NMI that carries a guest INIT to this CPU (lapic_trap.c). */
	if (vcpu_take_init_request()) {
		vcpu_do_init(v, "carried by NMI");
		return EXIT_RESUME;
	}
	/*
	 * An NMI that arrived while the guest ran is the guest's: give it back.
	 * Before the guest has an IDT (a resume in progress) it would be fatal;
	 * hold it until the guest has one.
	 */
	if (vmread(VMCS_GUEST_IDTR_LIMIT) < IDT_HOLDS_NMI)
		v->nmi_pending = true;
	else
		vmx_inject(VEC_NMI, INTR_TYPE_NMI, false, 0);
	return EXIT_RESUME;
}

/* odv's own leaves 0x40000000-0x4fffffff (include/odv_abi.h). */
static void cpuid_odv(uint32_t leaf, uint32_t r[4])
{
	r[0] = r[1] = r[2] = r[3] = 0;
	if (leaf == ODV_CPUID_LEAF_BASE) {
		const char *sig = ODV_CPUID_SIGNATURE;
		r[0] = ODV_CPUID_LEAF_MAX;
		r[1] = *(const uint32_t *)sig;
		r[2] = *(const uint32_t *)(sig + 4);
		r[3] = *(const uint32_t *)(sig + 8);
	} else if (leaf == ODV_CPUID_LEAF_VERSION) {
		r[0] = ODV_ABI_VERSION;
	}
}

enum exit_result exit_cpuid(struct vcpu *v, struct vm_exit *x)
{
	uint32_t leaf = (uint32_t)v->regs.rax, sub = (uint32_t)v->regs.rcx;
	uint32_t r[4];
	if (leaf >= ODV_CPUID_LEAF_BASE && leaf <= 0x4fffffff) {
		cpuid_odv(leaf, r);
	} else {
		cpuid(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
		/*
		 * CPUID runs here in VMX root, so bits that mirror CR4 describe
		 * odv-hv's CR4, not the guest's: put the guest's back. (A guest
		 * told OSXSAVE=1 while its CR4.OSXSAVE is 0 gets #UD on XGETBV.)
		 */
		uint64_t cr4 = vmread(VMCS_GUEST_CR4);
		if (leaf == 1) {
			r[2] |= CPUID1_ECX_HYPERVISOR;
			r[2] &= ~CPUID1_ECX_VMX;                 /* no VMX for the guest */
			r[2] = (r[2] & ~CPUID1_ECX_OSXSAVE) | ((cr4 & CR4_OSXSAVE) ? CPUID1_ECX_OSXSAVE : 0);
		} else if (leaf == 7 && sub == 0) {
			r[2] = (r[2] & ~CPUID7_ECX_OSPKE) | ((cr4 & CR4_PKE) ? CPUID7_ECX_OSPKE : 0);
			r[1] &= ~CPUID7_EBX_PT;                  /* Intel PT: refused (msr_policy.c) */
		} else if (leaf == 0x14 || (leaf == 0xa && !hv.msr_env.pmu_switched)) {
			/* No PT; no counters where odv-hv cannot switch them off in VMX root. */
			r[0] = r[1] = r[2] = r[3] = 0;
		}
	}
	v->regs.rax = r[0];
	v->regs.rbx = r[1];
	v->regs.rcx = r[2];
	v->regs.rdx = r[3];
	return EXIT_EMULATED;
}

/* A control register as the guest sees it: the bits odv-hv owns come from the read shadow. */
static uint64_t guest_view(uint32_t cr, uint32_t shadow, uint32_t mask)
{
	return (vmread(cr) & ~vmread(mask)) | (vmread(shadow) & vmread(mask));
}

/* What a MOV to CR0/CR4 is judged against (cr_rules.h). */
static struct cr_context cr_context(void)
{
	uint64_t efer = vmread(VMCS_GUEST_EFER);
	return (struct cr_context){
		.cr0 = guest_view(VMCS_GUEST_CR0, VMCS_CR0_SHADOW, VMCS_CR0_MASK),
		.cr4 = guest_view(VMCS_GUEST_CR4, VMCS_CR4_SHADOW, VMCS_CR4_MASK),
		.cr3 = vmread(VMCS_GUEST_CR3),
		.lma = efer & EFER_LMA, .lme = efer & EFER_LME,
		.cs_l = vmread(VMCS_GUEST_CS_AR) & BIT(13),
	};
}

/* CR4 bits the guest's CPU has: the real CPUID's, less VMX (odv-hv hides it, exit_cpuid). */
static uint64_t guest_cr4_valid(void)
{
	struct cr4_cpuid c;
	uint32_t a, b;
	cpuid(1, 0, &a, &b, &c.l1_ecx, &c.l1_edx);
	cpuid(7, 0, &a, &c.l7_ebx, &c.l7_ecx, &c.l7_edx);
	c.l1_ecx &= ~CPUID1_ECX_VMX;
	return cr4_valid_bits(&c);
}

static enum exit_result set_guest_cr0(uint64_t val)
{
	struct vmx_caps *c = &hv.caps;
	struct cr_context ctx = cr_context();
	if (!cr0_write_ok(&ctx, val)) {
		inject_gp();
		return EXIT_RESUME;
	}
	uint64_t fixed0 = c->cr0_fixed0;
	if (vmread(VMCS_PROC_CONTROLS2) & PROC2_UNRESTRICTED)
		fixed0 &= ~(CR0_PE | CR0_PG);
	uint64_t old = vmread(VMCS_GUEST_CR0);
	uint64_t real = vmx_fix_cr(val, fixed0, c->cr0_fixed1);
	/* Paging switched on/off with EFER.LME set enters/leaves IA-32e mode. */
	uint64_t efer = vmread(VMCS_GUEST_EFER);
	if ((efer & EFER_LME) && ((old ^ real) & CR0_PG)) {
		uint64_t entry = vmread(VMCS_ENTRY_CONTROLS);
		if (real & CR0_PG) {
			efer |= EFER_LMA;
			entry |= ENTRY_CTL_IA32E_GUEST;
		} else {
			efer &= ~EFER_LMA;
			entry &= ~(uint64_t)ENTRY_CTL_IA32E_GUEST;
		}
		vmwrite(VMCS_GUEST_EFER, efer);
		vmwrite(VMCS_ENTRY_CONTROLS, entry);
	}
	vmwrite(VMCS_GUEST_CR0, real);
	vmwrite(VMCS_CR0_SHADOW, val);
	return EXIT_EMULATED;
}

/*
 * MOV to CR4: #GP where the CPU would raise it (VMXE among them: the guest
 * has no VMX); bits the CPU has but cannot hold in VMX non-root are dropped.
 */
static enum exit_result set_guest_cr4(struct vcpu *v, uint64_t val)
{
	struct vmx_caps *c = &hv.caps;
	struct cr_context ctx = cr_context();
	if (!cr4_write_ok(&ctx, val, guest_cr4_valid())) {
		inject_gp();
		return EXIT_RESUME;
	}
	uint64_t dropped = val & ~c->cr4_fixed1;
	if (dropped && dropped != v->cr4_dropped_logged) {
		/* The guest believes these are on; it will #UD on what needs them. */
		pr_err("guest CR4 bits 0x%lx cannot be set in VMX non-root on this CPU "
		       "(IA32_VMX_CR4_FIXED1=0x%lx): dropped", dropped, c->cr4_fixed1);
		v->cr4_dropped_logged = dropped;
	}
	vmwrite(VMCS_GUEST_CR4, vmx_fix_cr(val, c->cr4_fixed0, c->cr4_fixed1));
	vmwrite(VMCS_CR4_SHADOW, val);
	return EXIT_EMULATED;
}

static enum exit_result mov_to_cr(struct vcpu *v, const struct cr_exit *c)
{
	uint64_t val = vcpu_gpr(v, c->gpr);
	switch (c->cr) {
	case 0: return set_guest_cr0(val);
	case 3: vmwrite(VMCS_GUEST_CR3, val & ~BIT(63)); return EXIT_EMULATED;   /* bit 63: keep PCID TLB */
	case 4: return set_guest_cr4(v, val);
	case 8: write_cr8(val); return EXIT_EMULATED;
	default: return EXIT_UNHANDLED;
	}
}

enum exit_result exit_cr_access(struct vcpu *v, struct vm_exit *x)
{
	struct cr_exit c = exit_cr_info(x->qual);
	switch (c.type) {
	case CR_MOV_TO:
		return mov_to_cr(v, &c);
	case CR_MOV_FROM:     /* only CR3 and CR8 can exit this way */
		if (c.cr == 3)
			vcpu_set_gpr(v, c.gpr, vmread(VMCS_GUEST_CR3));
		else if (c.cr == 8)
			vcpu_set_gpr(v, c.gpr, read_cr8());
		else
			return EXIT_UNHANDLED;
		return EXIT_EMULATED;
	case CR_CLTS:
		vmwrite(VMCS_GUEST_CR0, vmread(VMCS_GUEST_CR0) & ~CR0_TS);
		vmwrite(VMCS_CR0_SHADOW, vmread(VMCS_CR0_SHADOW) & ~CR0_TS);
		return EXIT_EMULATED;
	case CR_LMSW: {       /* the low 4 bits; LMSW cannot clear PE */
		uint64_t shadow = vmread(VMCS_CR0_SHADOW);
		return set_guest_cr0((shadow & ~0xeull) | (c.lmsw_source & 0xf) | (shadow & CR0_PE));
	}
	}
	return EXIT_UNHANDLED;
}

/* XSETBV: #GP at CPL > 0, for an XCR other than XCR0, or an XCR0 the CPU would refuse (cr_rules.c). */
enum exit_result exit_xsetbv(struct vcpu *v, struct vm_exit *x)
{
	uint32_t a, b, c, d;
	uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
	cpuid(0xd, 0, &a, &b, &c, &d);
	if (guest_cpl() != 0 || (uint32_t)v->regs.rcx != 0 || !xcr0_ok(val, ((uint64_t)d << 32) | a)) {
		inject_gp();
		return EXIT_RESUME;
	}
	xsetbv(0, val);
	return EXIT_EMULATED;
}

/*
 * VMX instructions (VMXON ... VMFUNC, INVEPT, INVVPID). In VMX non-root they
 * exit before the CPU checks CPL, so any user process reaches here. odv-hv
 * shows the guest a CPU without VMX (CPUID.1:ECX.VMX clear, CR4.VMXE
 * refused), and on such a CPU each of them raises #UD at every CPL.
 */
enum exit_result exit_vmx_insn(struct vcpu *v, struct vm_exit *x)
{
	inject_ud();
	return EXIT_RESUME;
}

/* INIT: the vCPU takes the state after INIT and waits for SIPI (sipi.c). */
enum exit_result exit_init(struct vcpu *v, struct vm_exit *x)
{
	vcpu_do_init(v, "INIT exit");
	return EXIT_RESUME;
}

/*
 * SIPI: exits only in the wait-for-SIPI activity state, which odv-hv never
 * uses (sipi.c); handled as the CPU would, should a vCPU ever get there.
 */
enum exit_result exit_sipi(struct vcpu *v, struct vm_exit *x)
{
	vcpu_sipi(v, (uint8_t)x->qual);
	return EXIT_RESUME;
}

/* The preemption timer ran out: time to poll odv-hv's NIC (vdev.c). */
enum exit_result exit_preemption_timer(struct vcpu *v, struct vm_exit *x)
{
	vdev_poll(true);
	return EXIT_RESUME;
}
