/*
 * The MSR table (msr_policy.h). Every entry states a decision and its
 * reason; "the guest owns" means the state is the running system's own and
 * nothing of odv-hv depends on it (odv-hv uses no SYSCALL, FS/GS, CET, PKS
 * or performance counter of its own; the VMCS switches EFER, PAT, DEBUGCTL
 * and SYSENTER). Numbers are from the SDM vol. 4 MSR tables.
 */
#include "msr_policy.h"

#define P MSR_PASS
#define F MSR_FORWARD
#define R MSR_REFUSE
#define K MSR_KEEP
#define E MSR_EMULATE
#define PMU MSR_CLASS_PMU

static const struct msr_rule rules[] = {
	{ 0x10, 0x10, P, R, "TSC: read freely; a write would shift odv-hv's clock under every CPU" },
	{ 0x1b, 0x1b, P, E, "APIC base: odv-hv traps the APIC page; no move, no disable (apic_base_write_ok)" },
	{ 0x3a, 0x3a, E, R, "feature control: reads locked with VMX off, the guest has no VMX" },
	{ 0x3b, 0x3b, P, F, "TSC adjust: the guest's time (Linux repairs it at resume)" },
	{ 0x48, 0x49, P, P, "SPEC_CTRL, PRED_CMD: the guest's own speculation controls" },
	{ 0x4e, 0x4f, P, F, "PPIN control and number: Linux enables the read-only serial number" },
	{ 0x79, 0x79, R, R, "BIOS_UPDT_TRIG: no late microcode load under odv-hv" },
	{ 0x8b, 0x8b, F, F, "BIOS_SIGN_ID: Linux writes 0 and reads back the microcode revision" },
	{ 0x9b, 0x9b, R, R, "SMM monitor control: dual-monitor SMM is not the guest's" },
	{ 0xc1, 0xc8, PMU, PMU, "general-purpose counters" },
	{ 0xe7, 0xe8, P, F, "MPERF, APERF: frequency feedback" },
	{ 0xfe, 0xfe, P, R, "MTRR capabilities: read-only" },
	{ 0x10a, 0x10a, P, R, "ARCH_CAPABILITIES: read-only" },
	{ 0x10b, 0x10b, P, P, "FLUSH_CMD: L1D flush, the guest's mitigation" },
	{ 0x122, 0x123, F, F, "TSX_CTRL, MCU_OPT_CTRL: mitigation switches Linux restores at resume" },
	{ 0x140, 0x140, F, F, "MISC_FEATURE_ENABLES: CPUID faulting per task" },
	{ 0x150, 0x150, R, R, "overclocking mailbox: voltage and frequency offsets (Plundervolt)" },
	{ 0x174, 0x176, P, P, "SYSENTER: VMCS guest state" },
	{ 0x179, 0x17b, P, F, "MCG_CAP/STATUS/CTL: the guest owns machine-check handling" },
	{ 0x186, 0x18d, PMU, PMU, "event selects" },
	{ 0x198, 0x199, P, F, "PERF_STATUS/CTL: the guest's frequency requests" },
	{ 0x19a, 0x19c, P, F, "clock modulation, thermal interrupt and status: the guest's" },
	{ 0x1a0, 0x1a0, F, E, "MISC_ENABLE: the guest's, but for XD disable (odv-hv's page tables use NX)" },
	{ 0x1a2, 0x1a2, P, R, "TEMPERATURE_TARGET: read-only here" },
	{ 0x1aa, 0x1aa, P, F, "MISC_PWR_MGMT: the guest's power management" },
	{ 0x1b0, 0x1b2, P, F, "energy bias, package thermal: the guest's" },
	{ 0x1c4, 0x1c5, P, P, "XFD, XFD_ERR: the guest's AMX state" },
	{ 0x1c8, 0x1c9, F, F, "LBR select and top: recorded only while the guest runs (DEBUGCTL is cleared at exit)" },
	{ 0x1d9, 0x1d9, P, P, "DEBUGCTL: VMCS guest state, cleared at every VM exit" },
	{ 0x1fc, 0x1fc, P, F, "POWER_CTL: C1E promotion, the guest's idle policy" },
	{ 0x200, 0x21f, P, K, "variable MTRRs: odv-hv's memory and the EPT rely on them, and every CPU must agree" },
	{ 0x250, 0x250, P, K, "fixed MTRR 64K" },
	{ 0x258, 0x259, P, K, "fixed MTRRs 16K" },
	{ 0x268, 0x26f, P, K, "fixed MTRRs 4K" },
	{ 0x277, 0x277, P, P, "PAT: VMCS guest state" },
	{ 0x280, 0x29f, P, F, "MCi_CTL2: corrected-error thresholds, the guest's" },
	{ 0x2ff, 0x2ff, P, E, "MTRR default type: kept, but for the enable bits Linux clears while it reloads the MTRRs" },
	{ 0x309, 0x30b, PMU, PMU, "fixed counters" },
	{ 0x345, 0x345, P, R, "PERF_CAPABILITIES: read-only" },
	{ 0x38d, 0x38e, PMU, PMU, "fixed-counter control, global status" },
	{ 0x38f, 0x38f, MSR_CLASS_PMU_GLOBAL, MSR_CLASS_PMU_GLOBAL, "PERF_GLOBAL_CTRL: off whenever odv-hv runs" },
	{ 0x390, 0x391, PMU, PMU, "global overflow reset and set" },
	{ 0x3f1, 0x3f1, P, R, "PEBS_ENABLE: PEBS is not offered under odv-hv (records could land after a VM exit)" },
	{ 0x3f6, 0x3f7, P, R, "PEBS load latency, frontend: with PEBS" },
	{ 0x400, 0x47f, P, F, "machine-check banks: the guest owns error handling" },
	{ 0x480, 0x493, R, R, "VMX capabilities: the guest has no VMX" },
	{ 0x4c1, 0x4c8, PMU, PMU, "full-width counters" },
	{ 0x560, 0x561, R, R, "Intel PT output base and mask: PT writes physical memory EPT does not check" },
	{ 0x570, 0x572, R, R, "Intel PT control, status, CR3 match" },
	{ 0x580, 0x587, R, R, "Intel PT address ranges" },
	{ 0x600, 0x600, P, F, "DS_AREA: a guest linear address, used only while the guest runs (no PEBS, BTS stops at exit)" },
	{ 0x680, 0x69f, F, F, "LBR from: while the guest runs only" },
	{ 0x6a0, 0x6a8, P, P, "CET: the guest's; CR4.CET is off in VMX root" },
	{ 0x6c0, 0x6df, F, F, "LBR to: while the guest runs only" },
	{ 0x6e0, 0x6e0, P, P, "TSC deadline: the guest's local APIC timer" },
	{ 0x6e1, 0x6e1, P, P, "PKRS: the guest's; CR4.PKS is off in VMX root" },
	{ 0x770, 0x777, P, F, "HWP: the guest's frequency requests" },
	{ 0x800, 0x82f, P, P, "x2APIC registers: the guest's local APIC" },
	{ 0x830, 0x830, P, MSR_CLASS_ICR, "x2APIC ICR: INIT/SIPI go through lapic_trap.c on SMP" },
	{ 0x831, 0x8ff, P, P, "x2APIC registers: the guest's local APIC" },
	{ 0xda0, 0xda0, P, P, "XSS: the guest's supervisor XSAVE state; odv-hv does not use XSAVES" },
	{ 0xdc0, 0xddf, F, F, "LBR info: while the guest runs only" },
	{ 0xc0000080, 0xc0000080, P, P, "EFER: VMCS guest state" },
	{ 0xc0000081, 0xc0000084, P, P, "STAR, LSTAR, CSTAR, SFMASK: odv-hv never executes SYSCALL" },
	{ 0xc0000100, 0xc0000102, P, P, "FS, GS, kernel GS base: VMCS guest state, or unused by odv-hv (no SWAPGS)" },
	{ 0xc0000103, 0xc0000103, P, P, "TSC_AUX: RDTSCP/RDPID value, the guest's" },
};

const struct msr_rule *msr_rule_at(unsigned i)
{
	return i < sizeof(rules) / sizeof(rules[0]) ? &rules[i] : NULL;
}

const struct msr_rule *msr_rule_of(uint32_t msr)
{
	for (unsigned i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (msr >= rules[i].first && msr <= rules[i].last)
			return &rules[i];
	return NULL;
}

static enum msr_action resolve(const struct msr_policy_env *env, unsigned a, bool write)
{
	switch (a) {
	case MSR_CLASS_PMU:
		return env->pmu_switched || !write ? MSR_PASS : MSR_REFUSE;
	case MSR_CLASS_PMU_GLOBAL:
		return env->pmu_switched ? MSR_EMULATE : write ? MSR_REFUSE : MSR_PASS;
	case MSR_CLASS_ICR:
		return env->trap_icr ? MSR_EMULATE : MSR_PASS;
	default:
		return (enum msr_action)a;
	}
}

enum msr_action msr_read_action(const struct msr_policy_env *env, uint32_t msr)
{
	const struct msr_rule *r = msr_rule_of(msr);
	return r ? resolve(env, r->read, false) : MSR_FORWARD;
}

/* An MSR the table does not name: a write that leaves it as it is (Linux restoring it at resume) is harmless. */
enum msr_action msr_write_action(const struct msr_policy_env *env, uint32_t msr)
{
	const struct msr_rule *r = msr_rule_of(msr);
	return r ? resolve(env, r->write, true) : MSR_KEEP;
}

/* Layout (SDM 25.6.9): read low, read high, write low, write high; 1 KiB each, a bit per MSR. */
static void clear_bit(uint8_t *half, uint32_t index)
{
	half[index / 8] &= (uint8_t)~(1u << (index % 8));
}

/*
 * Everything exits (an MSR the table does not name is read FORWARD, written
 * KEEP), then the rules that pass clear their bits: work in the size of the
 * table's ranges, not of the bitmap's 16 Ki MSRs.
 */
void msr_bitmap_build(const struct msr_policy_env *env, uint8_t bitmap[MSR_BITMAP_SIZE])
{
	for (unsigned i = 0; i < MSR_BITMAP_SIZE; i++)
		bitmap[i] = 0xff;
	for (unsigned i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct msr_rule *r = &rules[i];
		bool rd = resolve(env, r->read, false) == MSR_PASS, wr = resolve(env, r->write, true) == MSR_PASS;
		for (uint64_t m = r->first; m <= r->last; m++) {
			unsigned h = m >= 0xc0000000u;
			uint32_t n = (uint32_t)m - (h ? 0xc0000000u : 0);
			if (n >= 0x2000)
				continue;                      /* outside the bitmap: always exits */
			if (rd)
				clear_bit(bitmap + 1024 * h, n);
			if (wr)
				clear_bit(bitmap + 2048 + 1024 * h, n);
		}
	}
}

bool misc_enable_write_ok(uint64_t old, uint64_t val)
{
	return !((old ^ val) & MISC_ENABLE_XD_DISABLE);
}

bool mtrr_def_type_write_ok(uint64_t orig, uint64_t val)
{
	const uint64_t type = 0xff;
	if (!(val & MTRR_DEF_E))          /* disabled: all memory UC, the type field does not count */
		return (val & ~(type | MTRR_DEF_E | MTRR_DEF_FE)) == (orig & ~(type | MTRR_DEF_E | MTRR_DEF_FE));
	return (val & ~MTRR_DEF_FE) == (orig & ~MTRR_DEF_FE) && !(val & MTRR_DEF_FE & ~orig);
}

bool apic_base_write_ok(uint64_t old, uint64_t val)
{
	const uint64_t base_mask = ~0xfffull;
	if ((val & base_mask) != (old & base_mask))           /* moving it (onto RAM, odv-hv, above 4 GiB) */
		return false;
	if (!(val & APIC_BASE_ENABLE))                        /* disabling the APIC odv-hv delivers through */
		return false;
	if ((val ^ old) & (APIC_BASE_BSP | 0x2ffull))         /* BSP flag is read-only; bits 0-7, 9 reserved */
		return false;
	if ((old & APIC_BASE_X2APIC) && !(val & APIC_BASE_X2APIC))
		return false;                                 /* x2APIC -> xAPIC is illegal (SDM 11.12.5) */
	return true;
}
