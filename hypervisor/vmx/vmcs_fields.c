/* Names of VMCS fields and exit reasons, for the exit dump and the log. */
#include "types.h"
#include "vmcs.h"

#define F(x) { VMCS_##x, #x }
const struct vmcs_field_desc vmcs_field_table[] = {
	F(VPID),
	F(GUEST_ES_SEL), F(GUEST_CS_SEL), F(GUEST_SS_SEL), F(GUEST_DS_SEL),
	F(GUEST_FS_SEL), F(GUEST_GS_SEL), F(GUEST_LDTR_SEL), F(GUEST_TR_SEL),
	F(HOST_ES_SEL), F(HOST_CS_SEL), F(HOST_SS_SEL), F(HOST_DS_SEL),
	F(HOST_FS_SEL), F(HOST_GS_SEL), F(HOST_TR_SEL),
	F(IO_BITMAP_A), F(IO_BITMAP_B), F(MSR_BITMAP), F(EXIT_MSR_STORE_ADDR),
	F(EXIT_MSR_LOAD_ADDR), F(ENTRY_MSR_LOAD_ADDR), F(TSC_OFFSET),
	F(VIRTUAL_APIC_ADDR), F(APIC_ACCESS_ADDR), F(EPT_POINTER),
	F(GUEST_PHYS_ADDR),
	F(LINK_POINTER), F(GUEST_DEBUGCTL), F(GUEST_PAT), F(GUEST_EFER),
	F(GUEST_PERF_GLOBAL_CTRL), F(GUEST_PDPTE0), F(GUEST_PDPTE1),
	F(GUEST_PDPTE2), F(GUEST_PDPTE3),
	F(HOST_PAT), F(HOST_EFER),
	F(PIN_CONTROLS), F(PROC_CONTROLS), F(EXCEPTION_BITMAP), F(PF_ERROR_MASK),
	F(PF_ERROR_MATCH), F(CR3_TARGET_COUNT), F(EXIT_CONTROLS),
	F(EXIT_MSR_STORE_COUNT), F(EXIT_MSR_LOAD_COUNT), F(ENTRY_CONTROLS),
	F(ENTRY_MSR_LOAD_COUNT), F(ENTRY_INTR_INFO), F(ENTRY_EXCEPTION_ERROR),
	F(ENTRY_INSTR_LEN), F(TPR_THRESHOLD), F(PROC_CONTROLS2),
	F(VM_INSTR_ERROR), F(EXIT_REASON), F(EXIT_INTR_INFO), F(EXIT_INTR_ERROR),
	F(IDT_VECTORING_INFO), F(IDT_VECTORING_ERROR), F(EXIT_INSTR_LEN),
	F(EXIT_INSTR_INFO),
	F(GUEST_ES_LIMIT), F(GUEST_CS_LIMIT), F(GUEST_SS_LIMIT), F(GUEST_DS_LIMIT),
	F(GUEST_FS_LIMIT), F(GUEST_GS_LIMIT), F(GUEST_LDTR_LIMIT), F(GUEST_TR_LIMIT),
	F(GUEST_GDTR_LIMIT), F(GUEST_IDTR_LIMIT),
	F(GUEST_ES_AR), F(GUEST_CS_AR), F(GUEST_SS_AR), F(GUEST_DS_AR),
	F(GUEST_FS_AR), F(GUEST_GS_AR), F(GUEST_LDTR_AR), F(GUEST_TR_AR),
	F(GUEST_INTERRUPTIBILITY), F(GUEST_ACTIVITY_STATE), F(GUEST_SMBASE),
	F(GUEST_SYSENTER_CS), F(PREEMPTION_TIMER),
	F(HOST_SYSENTER_CS),
	F(CR0_MASK), F(CR4_MASK), F(CR0_SHADOW), F(CR4_SHADOW), F(CR3_TARGET0),
	F(EXIT_QUALIFICATION), F(GUEST_LINEAR_ADDR),
	F(GUEST_CR0), F(GUEST_CR3), F(GUEST_CR4), F(GUEST_ES_BASE), F(GUEST_CS_BASE),
	F(GUEST_SS_BASE), F(GUEST_DS_BASE), F(GUEST_FS_BASE), F(GUEST_GS_BASE),
	F(GUEST_LDTR_BASE), F(GUEST_TR_BASE), F(GUEST_GDTR_BASE), F(GUEST_IDTR_BASE),
	F(GUEST_DR7), F(GUEST_RSP), F(GUEST_RIP), F(GUEST_RFLAGS),
	F(GUEST_PENDING_DBG), F(GUEST_SYSENTER_ESP), F(GUEST_SYSENTER_EIP),
	F(HOST_CR0), F(HOST_CR3), F(HOST_CR4), F(HOST_FS_BASE), F(HOST_GS_BASE),
	F(HOST_TR_BASE), F(HOST_GDTR_BASE), F(HOST_IDTR_BASE),
	F(HOST_SYSENTER_ESP), F(HOST_SYSENTER_EIP), F(HOST_RSP), F(HOST_RIP),
};
#undef F
const unsigned vmcs_field_table_len = ARRAY_SIZE(vmcs_field_table);

const char *vmcs_field_name(uint32_t enc)
{
	for (unsigned i = 0; i < vmcs_field_table_len; i++)
		if (vmcs_field_table[i].enc == enc)
			return vmcs_field_table[i].name;
	return "?";
}

static const char *const exit_names[EXIT_REASON_MAX] = {
	[EXIT_EXCEPTION_NMI] = "exception-or-nmi", [EXIT_EXTERNAL_INTERRUPT] = "external-interrupt",
	[EXIT_TRIPLE_FAULT] = "triple-fault", [EXIT_INIT] = "init", [EXIT_SIPI] = "sipi",
	[EXIT_IO_SMI] = "io-smi", [EXIT_OTHER_SMI] = "other-smi",
	[EXIT_INTERRUPT_WINDOW] = "interrupt-window", [EXIT_NMI_WINDOW] = "nmi-window",
	[EXIT_TASK_SWITCH] = "task-switch", [EXIT_CPUID] = "cpuid", [EXIT_GETSEC] = "getsec",
	[EXIT_HLT] = "hlt", [EXIT_INVD] = "invd", [EXIT_INVLPG] = "invlpg",
	[EXIT_RDPMC] = "rdpmc", [EXIT_RDTSC] = "rdtsc", [EXIT_RSM] = "rsm",
	[EXIT_VMCALL] = "vmcall", [EXIT_VMCLEAR] = "vmclear", [EXIT_VMLAUNCH] = "vmlaunch",
	[EXIT_VMPTRLD] = "vmptrld", [EXIT_VMPTRST] = "vmptrst", [EXIT_VMREAD] = "vmread",
	[EXIT_VMRESUME] = "vmresume", [EXIT_VMWRITE] = "vmwrite", [EXIT_VMXOFF] = "vmxoff",
	[EXIT_VMXON] = "vmxon", [EXIT_CR_ACCESS] = "cr-access", [EXIT_DR_ACCESS] = "dr-access",
	[EXIT_IO] = "io", [EXIT_RDMSR] = "rdmsr", [EXIT_WRMSR] = "wrmsr",
	[EXIT_INVALID_GUEST_STATE] = "entry-fail-guest-state",
	[EXIT_MSR_LOADING] = "entry-fail-msr-load", [EXIT_MWAIT] = "mwait",
	[EXIT_MTF] = "monitor-trap-flag", [EXIT_MONITOR] = "monitor", [EXIT_PAUSE] = "pause",
	[EXIT_MACHINE_CHECK] = "entry-fail-machine-check",
	[EXIT_TPR_BELOW_THRESHOLD] = "tpr-below-threshold", [EXIT_APIC_ACCESS] = "apic-access",
	[EXIT_VIRTUALIZED_EOI] = "virtualized-eoi", [EXIT_GDTR_IDTR] = "gdtr-idtr-access",
	[EXIT_LDTR_TR] = "ldtr-tr-access", [EXIT_EPT_VIOLATION] = "ept-violation",
	[EXIT_EPT_MISCONFIG] = "ept-misconfig", [EXIT_INVEPT] = "invept", [EXIT_RDTSCP] = "rdtscp",
	[EXIT_PREEMPTION_TIMER] = "preemption-timer", [EXIT_INVVPID] = "invvpid",
	[EXIT_WBINVD] = "wbinvd", [EXIT_XSETBV] = "xsetbv", [EXIT_APIC_WRITE] = "apic-write",
	[EXIT_RDRAND] = "rdrand", [EXIT_INVPCID] = "invpcid", [EXIT_VMFUNC] = "vmfunc",
	[EXIT_ENCLS] = "encls", [EXIT_RDSEED] = "rdseed", [EXIT_PML_FULL] = "pml-full",
	[EXIT_XSAVES] = "xsaves", [EXIT_XRSTORS] = "xrstors",
};

const char *exit_reason_name(uint32_t reason)
{
	reason &= 0xffff;
	if (reason < EXIT_REASON_MAX && exit_names[reason])
		return exit_names[reason];
	return "unknown";
}
