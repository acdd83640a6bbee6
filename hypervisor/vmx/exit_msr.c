/*
 * RDMSR and WRMSR exits, as the MSR table decides (msr_policy.h): forwarded
 * to the real MSR, refused with #GP, kept, or answered by odv-hv. The
 * synthetic odv MSRs (hypercall.c) come first: they are how the agent talks
 * to odv-hv through the stock msr driver.
 */
#include "exit.h"
#include "arch.h"
#include "exit_info.h"
#include "hv.h"
#include "msr_policy.h"
#include "smp.h"
#include "vmx.h"

/* Refusals are logged, each MSR once and at most 16 of them: the guest chooses how often. */
static void log_refused(uint32_t msr, uint64_t val, const char *what)
{
	static uint32_t seen[16];
	static unsigned nseen;
	for (unsigned i = 0; i < nseen; i++)
		if (seen[i] == msr)
			return;
	if (nseen == 16)
		return;
	seen[nseen++] = msr;
	const struct msr_rule *r = msr_rule_of(msr);
	pr_info("guest %s MSR 0x%x (value 0x%lx) refused with #GP: %s", what, msr, val,
		r ? r->why : "not in odv-hv's MSR table");
}

/* Reads odv-hv answers itself. false: #GP. */
static bool emulate_read(uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_IA32_FEATURE_CONTROL:      /* locked, VMX off: the guest has no VMX */
		*val = (rdmsr(MSR_IA32_FEATURE_CONTROL) | FEATURE_CONTROL_LOCK) & ~FEATURE_CONTROL_VMX_ANY;
		return true;
	case MSR_PERF_GLOBAL_CTRL:          /* the guest's value lives in the VMCS (loaded at entry) */
		*val = vmread(VMCS_GUEST_PERF_GLOBAL_CTRL);
		return true;
	}
	return false;
}

/* Writes odv-hv carries out itself. false: #GP. */
static bool emulate_write(uint32_t msr, uint64_t val)
{
	uint64_t old;
	switch (msr) {
	case MSR_X2APIC_ICR:                /* INIT/SIPI on SMP (lapic_trap.c) */
		lapic_icr_write((uint32_t)val, (uint32_t)(val >> 32), true);
		return true;
	case MSR_APIC_BASE:
		return !rdmsr_safe(MSR_APIC_BASE, &old) && apic_base_write_ok(old, val) &&
		       !wrmsr_safe(MSR_APIC_BASE, val);
	case MSR_MISC_ENABLE:
		return !rdmsr_safe(msr, &old) && misc_enable_write_ok(old, val) && !wrmsr_safe(msr, val);
	case MSR_MTRR_DEF_TYPE:
		return mtrr_def_type_write_ok(hv.msr_env.mtrr_def_type, val) && !wrmsr_safe(msr, val);
	case MSR_PERF_GLOBAL_CTRL:
		/* Reserved bits would fail the next VM entry: let the CPU judge them, then stop counting again. */
		if (wrmsr_safe(MSR_PERF_GLOBAL_CTRL, val))
			return false;
		wrmsr(MSR_PERF_GLOBAL_CTRL, 0);
		vmwrite(VMCS_GUEST_PERF_GLOBAL_CTRL, val);
		return true;
	}
	return false;
}

enum exit_result exit_rdmsr(struct vcpu *v, struct vm_exit *x)
{
	struct msr_exit m = exit_msr_info(false, v->regs.rcx, v->regs.rax, v->regs.rdx);
	uint64_t val = 0;
	bool ok;
	if (hypercall_msr(v, m.index, &val))
		ok = true;
	else switch (msr_read_action(&hv.msr_env, m.index)) {
	case MSR_EMULATE:
		ok = emulate_read(m.index, &val);
		break;
	case MSR_REFUSE:
		log_refused(m.index, 0, "read of");
		ok = false;
		break;
	default:                            /* PASS (outside the bitmap's ranges), FORWARD */
		ok = !rdmsr_safe(m.index, &val);
		break;
	}
	if (!ok) {
		inject_gp();
		return EXIT_RESUME;
	}
	/* RDMSR semantics: EDX:EAX, upper halves cleared. */
	v->regs.rax = (uint32_t)val;
	v->regs.rdx = val >> 32;
	return EXIT_EMULATED;
}

enum exit_result exit_wrmsr(struct vcpu *v, struct vm_exit *x)
{
	struct msr_exit m = exit_msr_info(true, v->regs.rcx, v->regs.rax, v->regs.rdx);
	uint64_t cur;
	bool ok, by_policy = true;       /* false: the CPU itself refused a forwarded write */
	switch (msr_write_action(&hv.msr_env, m.index)) {
	case MSR_EMULATE:
		ok = emulate_write(m.index, m.value);
		break;
	case MSR_KEEP:                      /* the same value again is harmless; a change is not */
		ok = !rdmsr_safe(m.index, &cur) && cur == m.value;
		break;
	case MSR_REFUSE:
		ok = false;
		break;
	default:                            /* PASS (outside the bitmap's ranges), FORWARD */
		ok = !wrmsr_safe(m.index, m.value);
		by_policy = false;
		break;
	}
	if (!ok) {
		if (by_policy)
			log_refused(m.index, m.value, "write to");
		inject_gp();
		return EXIT_RESUME;
	}
	return EXIT_EMULATED;
}
