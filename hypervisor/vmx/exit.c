/*
 * The one VM-exit dispatch. Every exit is counted, its qualification read
 * once, and the handler the table names is called (exit.h gives the
 * contract). Here, and only here, RIP moves past an emulated instruction
 * and an exit nobody handles ends in a dump and a stop.
 */
#include "exit.h"
#include "arch.h"
#include "guest.h"
#include "hv.h"
#include "mm.h"
#include "smp.h"
#include "vdev.h"
#include "vmx.h"

uint64_t vcpu_gpr(struct vcpu *v, unsigned n)
{
	if (n == 4)
		return vmread(VMCS_GUEST_RSP);
	return ((uint64_t *)&v->regs)[n & 15];
}

void vcpu_set_gpr(struct vcpu *v, unsigned n, uint64_t val)
{
	if (n == 4)
		vmwrite(VMCS_GUEST_RSP, val);
	else
		((uint64_t *)&v->regs)[n & 15] = val;
}

void inject_gp(void) { vmx_inject(VEC_GP, INTR_TYPE_HW_EXCEPTION, true, 0); }
void inject_ud(void) { vmx_inject(VEC_UD, INTR_TYPE_HW_EXCEPTION, false, 0); }

unsigned guest_cpl(void)
{
	return (vmread(VMCS_GUEST_SS_AR) >> 5) & 3;
}

static const exit_handler handlers[EXIT_REASON_MAX] = {
	[EXIT_EXCEPTION_NMI] = exit_exception_nmi,
	[EXIT_TRIPLE_FAULT]  = exit_triple_fault,
	[EXIT_INIT]          = exit_init,
	[EXIT_SIPI]          = exit_sipi,
	[EXIT_CPUID]         = exit_cpuid,
	[EXIT_VMCALL]        = exit_vmcall,
	[EXIT_CR_ACCESS]     = exit_cr_access,
	[EXIT_IO]            = exit_io,
	[EXIT_RDMSR]         = exit_rdmsr,
	[EXIT_WRMSR]         = exit_wrmsr,
	[EXIT_EPT_VIOLATION] = exit_ept_violation,
	[EXIT_XSETBV]        = exit_xsetbv,
	[EXIT_PREEMPTION_TIMER] = exit_preemption_timer,
	[EXIT_VMCLEAR] = exit_vmx_insn, [EXIT_VMLAUNCH] = exit_vmx_insn, [EXIT_VMPTRLD] = exit_vmx_insn,
	[EXIT_VMPTRST] = exit_vmx_insn, [EXIT_VMREAD] = exit_vmx_insn, [EXIT_VMRESUME] = exit_vmx_insn,
	[EXIT_VMWRITE] = exit_vmx_insn, [EXIT_VMXOFF] = exit_vmx_insn, [EXIT_VMXON] = exit_vmx_insn,
	[EXIT_INVEPT] = exit_vmx_insn, [EXIT_INVVPID] = exit_vmx_insn, [EXIT_VMFUNC] = exit_vmx_insn,
};

/* The one tail for what odv-hv cannot go on from. */
static __noreturn void exit_stop(struct vcpu *v, const struct vm_exit *x)
{
	const char *why = x->stop ? x->stop : "unhandled VM exit";
	dump_guest(v, why);
	guest_stop_all(why);
	hv_halt(x->halt ? x->halt : why);
}

/* Work that waits for the end of any exit: polling, INIT requests, held NMIs. */
static void exit_epilogue(struct vcpu *v)
{
	/* Another CPU stopped the guest while this one was in VMX root. */
	if (guest_stopping())
		guest_stopped_here(true);
	ept_sync();
	if (v->id == 0)
		vdev_poll(false);
	/* An INIT request whose NMI came while this CPU was in VMX root. */
	if (vcpu_take_init_request())
		vcpu_do_init(v, "request seen in VMX root");
	if (v->nmi_pending && !(vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID) &&
	    vmread(VMCS_GUEST_IDTR_LIMIT) >= 2 * 16 + 15) {
		v->nmi_pending = false;
		vmx_inject(VEC_NMI, INTR_TYPE_NMI, false, 0);
	}
}

/* Called from vmx_exit_stub with the guest GPRs saved in v->regs. */
void vmx_handle_exit(struct vcpu *v)
{
	uint32_t full = (uint32_t)vmread(VMCS_EXIT_REASON);
	struct vm_exit x = { .reason = full & 0xffff, .qual = vmread(VMCS_EXIT_QUALIFICATION) };
	v->exits_total++;
	if (x.reason < EXIT_REASON_MAX)
		v->exit_count[x.reason]++;
	if (full & EXIT_REASON_ENTRY_FAIL) {
		pr_err("VM entry failed with exit reason %u (%s), qualification 0x%lx",
		       x.reason, exit_reason_name(x.reason), x.qual);
		x.stop = "VM entry failure";
		exit_stop(v, &x);
	}
	exit_handler h = x.reason < EXIT_REASON_MAX ? handlers[x.reason] : NULL;
	switch (h ? h(v, &x) : EXIT_UNHANDLED) {
	case EXIT_EMULATED:
		guest_skip_insn(x.insn_len ? x.insn_len : (unsigned)vmread(VMCS_EXIT_INSTR_LEN));
		hypercall_finish(v);
		break;
	case EXIT_RESUME:
		break;
	case EXIT_UNHANDLED:
		exit_stop(v, &x);
	}
	exit_epilogue(v);
}
