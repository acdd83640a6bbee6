/*
 * VMX bring-up on one CPU: read and check the capability MSRs, VMXON,
 * and fill the VMCS controls and host state. Guest state is the entry
 * path's business (guest_test.c now; image restore and Linux boot later).
 */
#include "hv.h"
#include "arch.h"
#include "ept.h"
#include "percpu.h"
#include "vdev.h"
#include "vmx.h"
#include "msr_policy.h"

extern char vmx_exit_stub[];

/* Shared by every vCPU: the CPU only reads them. */
static uint8_t msr_bitmap[PAGE_SIZE] __aligned(4096);
static uint8_t io_bitmap[2][PAGE_SIZE] __aligned(4096);
static bool caps_read;

void vmx_off(void)
{
	struct percpu *c = this_cpu();
	if (!c->vmx_on)
		return;
	vmxoff();
	write_cr4(read_cr4() & ~CR4_VMXE);
	c->vmx_on = false;
}

uint64_t vmread(uint32_t field)
{
	uint64_t v;
	if (vmread_raw(field, &v)) {
		pr_err("vmread of %s (0x%x) failed", vmcs_field_name(field), field);
		return 0;
	}
	return v;
}

/*
 * A failed VMWRITE is logged and counted on this CPU: the VMCS setups
 * check the count (vmwrite_failures) instead of every call site.
 */
void vmwrite(uint32_t field, uint64_t value)
{
	if (vmwrite_raw(field, value)) {
		uint64_t err = 0;
		this_cpu()->vmwrite_failures++;
		vmread_raw(VMCS_VM_INSTR_ERROR, &err);
		pr_err("vmwrite of %s (0x%x) = 0x%lx failed, VM-instruction error %lu",
		       vmcs_field_name(field), field, value, err);
	}
}

static void read_caps(struct vmx_caps *caps)
{
	struct vmx_caps_raw r = {
		.basic = rdmsr(MSR_IA32_VMX_BASIC),
		.misc = rdmsr(MSR_IA32_VMX_MISC),
		.pin = rdmsr(MSR_IA32_VMX_PINBASED),
		.proc = rdmsr(MSR_IA32_VMX_PROCBASED),
		.exit = rdmsr(MSR_IA32_VMX_EXIT),
		.entry = rdmsr(MSR_IA32_VMX_ENTRY),
		.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0),
		.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1),
		.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0),
		.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1),
	};
	if (r.basic & BIT(55)) {
		r.true_pin = rdmsr(MSR_IA32_VMX_TRUE_PINBASED);
		r.true_proc = rdmsr(MSR_IA32_VMX_TRUE_PROCBASED);
		r.true_exit = rdmsr(MSR_IA32_VMX_TRUE_EXIT);
		r.true_entry = rdmsr(MSR_IA32_VMX_TRUE_ENTRY);
	}
	/* Only read MSRs the CPU says exist (a missing one would #GP). */
	if (r.proc & BIT(63)) {
		r.proc2 = rdmsr(MSR_IA32_VMX_PROCBASED2);
		if ((r.proc2 >> 32) & ((1u << 1) | (1u << 5)))
			r.ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	}
	vmx_caps_decode(&r, caps);
	pr_info("vmx: basic=0x%016lx revision=0x%x vmcs-size=%u true-controls=%s",
		r.basic, caps->revision, caps->vmcs_size, caps->true_ctls ? "yes" : "no");
	pr_info("vmx: pin=0x%016lx proc=0x%016lx proc2=0x%016lx",
		caps->true_ctls ? r.true_pin : r.pin, caps->true_ctls ? r.true_proc : r.proc, r.proc2);
	pr_info("vmx: exit=0x%016lx entry=0x%016lx misc=0x%016lx",
		caps->true_ctls ? r.true_exit : r.exit, caps->true_ctls ? r.true_entry : r.entry, r.misc);
	pr_info("vmx: ept_vpid=0x%016lx cr0 fixed0/1=0x%lx/0x%lx cr4 fixed0/1=0x%lx/0x%lx",
		r.ept_vpid, r.cr0_fixed0, r.cr0_fixed1, r.cr4_fixed0, r.cr4_fixed1);
	pr_info("vmx: ept=%s 2M=%s 1G=%s vpid=%s unrestricted-guest=%s wait-for-sipi=%s",
		has_ept(caps) ? "yes" : "no", has_ept_2m(caps) ? "yes" : "no",
		has_ept_1g(caps) ? "yes" : "no", has_vpid(caps) ? "yes" : "no",
		has_unrestricted_guest(caps) ? "yes" : "no", has_wait_for_sipi(caps) ? "yes" : "no");
}

/* Why VMX cannot be used on this CPU right now, or NULL. */
const char *vmx_unusable_reason_now(void)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	bool cpuid_vmx = c & BIT(5);
	return vmx_unusable_reason(cpuid_vmx, cpuid_vmx ? rdmsr(MSR_IA32_FEATURE_CONTROL) : 0);
}

/* Check that VMX may be used and switch it on (VMXON). */
int vmx_init_cpu(struct vcpu *v)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	const char *why = vmx_unusable_reason_now();
	if (why) {
		pr_err("fatal: %s", why);
		return -1;
	}
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCK)) {
		/* Firmware left it unlocked: enable VMX outside SMX and lock. */
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
		pr_info("vmx: IA32_FEATURE_CONTROL was unlocked; locked with VMX enabled");
	}
	/* The boot CPU reads and reports the capabilities; the others have the same. */
	struct vmx_caps *caps = &hv.caps;
	if (!caps_read)
		read_caps(caps);
	caps_read = true;

	/* Everything odv-hv cannot run without, named one by one. */
	const char *missing = NULL;
	if (!has_secondary(caps))
		missing = "secondary processor-based controls";
	else if (!has_ept(caps))
		missing = "EPT with 4-level walk, write-back and INVEPT";
	else if (!has_msr_bitmaps(caps))
		missing = "MSR bitmaps";
	else if (!has_io_bitmaps(caps))
		missing = "I/O bitmaps";
	else if (!(caps->exit.allowed1 & EXIT_CTL_LOAD_EFER) || !(caps->entry.allowed1 & ENTRY_CTL_LOAD_EFER))
		missing = "loading IA32_EFER on VM entry and exit";
	else if (caps->vmcs_size > PAGE_SIZE)
		missing = "a VMCS that fits in 4 KiB";
	if (missing) {
		pr_err("fatal: this CPU's VMX lacks %s, which odv-hv needs", missing);
		return -1;
	}

	uint64_t cr0 = read_cr0(), cr4 = read_cr4() | CR4_VMXE;
	write_cr0(vmx_fix_cr(cr0, caps->cr0_fixed0, caps->cr0_fixed1));
	write_cr4(vmx_fix_cr(cr4, caps->cr4_fixed0, caps->cr4_fixed1));
	if (c & BIT(26))      /* XSAVE: OSXSAVE lets odv-hv execute XSETBV for the guest */
		write_cr4(read_cr4() | CR4_OSXSAVE);

	struct percpu *pc = this_cpu();
	*(uint32_t *)pc->vmxon_region = caps->revision;
	int rc = vmxon(hv_virt_to_phys(pc->vmxon_region));
	if (rc) {
		pr_err("fatal: VMXON failed (%d) on cpu %u", rc, v->id);
		return -1;
	}
	pc->vmx_on = true;
	pr_info("vmx: VMXON ok on cpu %u", v->id);

	*(uint32_t *)pc->vmcs_region = caps->revision;
	v->vmcs = pc->vmcs_region;
	v->vmcs_phys = hv_virt_to_phys(pc->vmcs_region);
	if (vmclear(v->vmcs_phys) || vmptrld(v->vmcs_phys)) {
		pr_err("fatal: VMCLEAR/VMPTRLD failed");
		vmx_off();
		return -1;
	}
	v->host_stack_top = (uint64_t)(pc->stack + sizeof(pc->stack));
	return 0;
}

/* Make the guest's accesses to `port` exit (the bitmap is shared by every vCPU's VMCS). */
void vmx_trap_port(uint16_t port)
{
	io_bitmap[port >> 15][(port & 0x7fff) / 8] |= (uint8_t)(1u << (port % 8));
}

static int set_ctl(const char *name, uint32_t field, const struct vmx_ctl_cap *cap,
		   uint32_t need, uint32_t want, uint32_t *out)
{
	uint32_t missing;
	if (vmx_ctl_adjust(cap, need, want, out, &missing)) {
		pr_err("fatal: %s controls: needed bits 0x%x not allowed by the CPU", name, missing);
		return -1;
	}
	vmwrite(field, *out);
	return 0;
}

/* The execution controls: what exits, as the CPU allows it. 0, or -1 with the reason logged. */
static int setup_controls(struct vcpu *v, uint32_t *proc2_out, uint32_t *exit_out)
{
	struct vmx_caps *c = &hv.caps;
	uint32_t pin, proc, proc2, exit, entry;
	/* CPU 0 polls odv-hv's NIC (vdev.c): the preemption timer bounds the time between exits. */
	bool poll = v->id == 0 && vdev_poll_period();
	if (set_ctl("pin-based", VMCS_PIN_CONTROLS, &c->pin, PIN_NMI_EXIT,
		    PIN_VIRTUAL_NMIS | (poll ? PIN_PREEMPT_TIMER : 0), &pin) ||
	    set_ctl("processor-based", VMCS_PROC_CONTROLS, &c->proc,
		    PROC_USE_MSR_BITMAPS | PROC_USE_IO_BITMAPS | PROC_SECONDARY, 0, &proc) ||
	    set_ctl("secondary", VMCS_PROC_CONTROLS2, &c->proc2, PROC2_EPT,
		    (has_vpid(c) ? PROC2_VPID : 0) | PROC2_UNRESTRICTED | PROC2_RDTSCP |
		    PROC2_INVPCID | PROC2_XSAVES, &proc2) ||
	    set_ctl("vm-exit", VMCS_EXIT_CONTROLS, &c->exit,
		    EXIT_CTL_HOST_64 | EXIT_CTL_SAVE_EFER | EXIT_CTL_LOAD_EFER,
		    EXIT_CTL_SAVE_PAT | EXIT_CTL_LOAD_PAT | EXIT_CTL_SAVE_DEBUG, &exit) ||
	    set_ctl("vm-entry", VMCS_ENTRY_CONTROLS, &c->entry,
		    ENTRY_CTL_IA32E_GUEST | ENTRY_CTL_LOAD_EFER,
		    ENTRY_CTL_LOAD_PAT | ENTRY_CTL_LOAD_DEBUG, &entry))
		return -1;
	pr_info("vmx: controls pin=0x%x proc=0x%x proc2=0x%x exit=0x%x entry=0x%x",
		pin, proc, proc2, exit, entry);
	if (poll && (pin & PIN_PREEMPT_TIMER)) {
		/* Reloaded on every VM entry; it counts TSC >> IA32_VMX_MISC[4:0]. */
		uint64_t t = vdev_poll_period() >> (c->misc & 0x1f);
		vmwrite(VMCS_PREEMPTION_TIMER, t > 0xffffffffull ? 0xffffffffull : t);
	} else if (poll) {
		pr_warn("vmx: no preemption timer: the NIC is polled only when the guest exits anyway");
	}
	*proc2_out = proc2;
	*exit_out = exit;
	return 0;
}

/* MSRs as the MSR table says (msr_env_init built the bitmap); ports pass through but for those devices claim. */
static void setup_bitmaps(void)
{
	vmwrite(VMCS_MSR_BITMAP, hv_virt_to_phys(msr_bitmap));
	vmwrite(VMCS_IO_BITMAP_A, hv_virt_to_phys(io_bitmap[0]));
	vmwrite(VMCS_IO_BITMAP_B, hv_virt_to_phys(io_bitmap[1]));
}

/*
 * Performance counters: where the CPU can load IA32_PERF_GLOBAL_CTRL at VM
 * exit and entry, the guest keeps its counters and they stop whenever
 * odv-hv runs (host value 0), so no counter, PMI or PEBS record happens in
 * VMX root. Elsewhere the table refuses the guest's counter writes.
 */
static bool pmu_switch(void)
{
	uint64_t g;
	return has_perf_global_switch(&hv.caps) && !rdmsr_safe(MSR_PERF_GLOBAL_CTRL, &g);
}

/*
 * The run-time facts of the MSR table and the MSR bitmap built from them,
 * once on the boot CPU before any VMCS is set up: every CPU has the same
 * capabilities, trap_icr and MTRRs, and all share the one bitmap.
 */
static void msr_env_init(void)
{
	hv.msr_env.trap_icr = hv.trap_icr;
	hv.msr_env.pmu_switched = pmu_switch();
	if (rdmsr_safe(MSR_MTRR_DEF_TYPE, &hv.msr_env.mtrr_def_type))
		hv.msr_env.mtrr_def_type = 0;
	msr_bitmap_build(&hv.msr_env, msr_bitmap);
	pr_info(hv.msr_env.pmu_switched ?
		"vmx: performance counters stop in VMX root (PERF_GLOBAL_CTRL loaded at VM exit and entry)" :
		"vmx: performance counters cannot be switched off in VMX root: the guest's counter writes get #GP");
}

/* The guest's address spaces: its VPID and the EPT, both invalidated before first use. */
static void setup_address_space(struct vcpu *v, uint32_t proc2)
{
	struct vmx_caps *c = &hv.caps;
	if (proc2 & PROC2_VPID) {
		v->vpid = (uint16_t)(v->id + 1);
		vmwrite(VMCS_VPID, v->vpid);
		invvpid(INVVPID_SINGLE_CONTEXT, v->vpid);
	}
	vmwrite(VMCS_EPT_POINTER, hv.eptp);
	invept(has_ept(c) && (c->ept_vpid & EPTCAP_INVEPT_SINGLE) ? INVEPT_SINGLE_CONTEXT : INVEPT_ALL_CONTEXTS,
	       hv.eptp);
	/*
	 * CR0/CR4 bits that VMX fixes are owned by odv-hv (mask), the guest
	 * sees its own values in the read shadows. With unrestricted guest,
	 * PE and PG are the guest's.
	 */
	uint64_t cr0_own = c->cr0_fixed0 | ~c->cr0_fixed1;
	if (proc2 & PROC2_UNRESTRICTED)
		cr0_own &= ~(CR0_PE | CR0_PG);
	uint64_t cr4_own = c->cr4_fixed0 | ~c->cr4_fixed1;
	vmwrite(VMCS_CR0_MASK, cr0_own & 0xffffffffull);
	vmwrite(VMCS_CR4_MASK, cr4_own & 0xffffffffull);
}

/* Host state: odv-hv's own tables, stack and exit stub. */
static void setup_host_state(struct vcpu *v, uint32_t exit)
{
	vmwrite(VMCS_HOST_CR0, read_cr0());
	vmwrite(VMCS_HOST_CR3, read_cr3());
	vmwrite(VMCS_HOST_CR4, read_cr4());
	vmwrite(VMCS_HOST_CS_SEL, SEL_CODE);
	vmwrite(VMCS_HOST_SS_SEL, SEL_DATA);
	vmwrite(VMCS_HOST_DS_SEL, SEL_DATA);
	vmwrite(VMCS_HOST_ES_SEL, SEL_DATA);
	vmwrite(VMCS_HOST_FS_SEL, 0);
	vmwrite(VMCS_HOST_GS_SEL, 0);
	vmwrite(VMCS_HOST_TR_SEL, host_tr_selector());
	vmwrite(VMCS_HOST_FS_BASE, 0);
	vmwrite(VMCS_HOST_GS_BASE, (uint64_t)this_cpu());   /* this_cpu() after an exit */
	vmwrite(VMCS_HOST_TR_BASE, host_tss_base());
	struct dtr g, i;
	sgdt(&g);
	sidt(&i);
	vmwrite(VMCS_HOST_GDTR_BASE, g.base);
	vmwrite(VMCS_HOST_IDTR_BASE, i.base);
	vmwrite(VMCS_HOST_SYSENTER_CS, 0);
	vmwrite(VMCS_HOST_SYSENTER_ESP, 0);
	vmwrite(VMCS_HOST_SYSENTER_EIP, 0);
	vmwrite(VMCS_HOST_EFER, rdmsr(MSR_IA32_EFER));
	if (exit & EXIT_CTL_LOAD_PAT)
		vmwrite(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
	if (exit & EXIT_CTL_LOAD_PERF_GLOBAL) {
		vmwrite(VMCS_HOST_PERF_GLOBAL_CTRL, 0);     /* nothing counts in VMX root */
		vmwrite(VMCS_GUEST_PERF_GLOBAL_CTRL, rdmsr(MSR_PERF_GLOBAL_CTRL));
	}
	/* The exit stub finds its vcpu at [rsp]. */
	uint64_t rsp = v->host_stack_top - 16;
	*(struct vcpu **)rsp = v;
	vmwrite(VMCS_HOST_RSP, rsp);
	vmwrite(VMCS_HOST_RIP, (uint64_t)vmx_exit_stub);
}

int vmx_setup_vmcs(struct vcpu *v)
{
	unsigned failed_before = this_cpu()->vmwrite_failures;
	uint32_t proc2, exit;
	if (v->id == 0)
		msr_env_init();
	if (setup_controls(v, &proc2, &exit))
		return -1;
	/* Exceptions stay with the guest; NMIs exit (pin control) and are re-injected. */
	vmwrite(VMCS_EXCEPTION_BITMAP, 0);
	vmwrite(VMCS_PF_ERROR_MASK, 0);
	vmwrite(VMCS_PF_ERROR_MATCH, 0);
	vmwrite(VMCS_CR3_TARGET_COUNT, 0);
	vmwrite(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_ENTRY_INTR_INFO, 0);
	vmwrite(VMCS_LINK_POINTER, ~0ull);
	vmwrite(VMCS_TSC_OFFSET, 0);
	setup_bitmaps();
	setup_address_space(v, proc2);
	setup_host_state(v, exit);
	if (this_cpu()->vmwrite_failures != failed_before) {
		pr_err("fatal: VMCS setup: %u VMWRITEs failed (logged above)",
		       this_cpu()->vmwrite_failures - failed_before);
		return -1;
	}
	return 0;
}

/*
 * Guest state for a 64-bit start, the shape a hibernation-image resume
 * needs (the kernel's restore entry expects it): CS=0x10 (64-bit code), SS/DS/ES=0x18, IF=0, CR4.PAE,
 * a minimal busy TSS, and no GDT/IDT yet: the guest loads its own before
 * it can take any exception.
 */
void vmx_guest_long_mode(uint64_t cr3, uint64_t rip, uint64_t efer)
{
	struct vmx_caps *c = &hv.caps;
	uint64_t cr0 = CR0_PE | CR0_NE | CR0_PG | BIT(4) /* ET */;
	uint64_t cr4 = CR4_PAE | (read_cr4() & CR4_LA57);
	vmwrite(VMCS_GUEST_CR0, vmx_fix_cr(cr0, c->cr0_fixed0, c->cr0_fixed1));
	vmwrite(VMCS_CR0_SHADOW, cr0);
	vmwrite(VMCS_GUEST_CR4, vmx_fix_cr(cr4, c->cr4_fixed0, c->cr4_fixed1));
	vmwrite(VMCS_CR4_SHADOW, cr4);
	vmwrite(VMCS_GUEST_CR3, cr3);
	vmwrite(VMCS_GUEST_EFER, efer | EFER_LME | EFER_LMA);
	vmwrite(VMCS_ENTRY_CONTROLS, vmread(VMCS_ENTRY_CONTROLS) | ENTRY_CTL_IA32E_GUEST);

	static const struct { uint32_t sel_field; uint16_t sel; uint32_t ar; uint32_t limit; } segs[] = {
		{ VMCS_GUEST_ES_SEL, 0x18, 0xc093, 0xffffffff },
		{ VMCS_GUEST_CS_SEL, 0x10, 0xa09b, 0xffffffff },
		{ VMCS_GUEST_SS_SEL, 0x18, 0xc093, 0xffffffff },
		{ VMCS_GUEST_DS_SEL, 0x18, 0xc093, 0xffffffff },
		{ VMCS_GUEST_FS_SEL, 0, AR_UNUSABLE, 0 },
		{ VMCS_GUEST_GS_SEL, 0, AR_UNUSABLE, 0 },
		{ VMCS_GUEST_LDTR_SEL, 0, AR_UNUSABLE, 0 },
		{ VMCS_GUEST_TR_SEL, 0, 0x008b, 0x67 },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(segs); k++) {
		vmwrite(VMCS_GUEST_ES_SEL + 2 * k, segs[k].sel);
		vmwrite(VMCS_GUEST_ES_LIMIT + 2 * k, segs[k].limit);
		vmwrite(VMCS_GUEST_ES_AR + 2 * k, segs[k].ar);
		vmwrite(VMCS_GUEST_ES_BASE + 2 * k, 0);
	}
	vmwrite(VMCS_GUEST_GDTR_BASE, 0);
	vmwrite(VMCS_GUEST_GDTR_LIMIT, 0);
	vmwrite(VMCS_GUEST_IDTR_BASE, 0);
	vmwrite(VMCS_GUEST_IDTR_LIMIT, 0);   /* any exception before the guest's IDT: triple fault */
	vmwrite(VMCS_GUEST_DR7, 0x400);
	vmwrite(VMCS_GUEST_RSP, 0);
	vmwrite(VMCS_GUEST_RIP, rip);
	vmwrite(VMCS_GUEST_RFLAGS, 0x2);
	vmwrite(VMCS_GUEST_PENDING_DBG, 0);
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmwrite(VMCS_GUEST_ACTIVITY_STATE, 0);
	vmwrite(VMCS_GUEST_SYSENTER_CS, 0);
	vmwrite(VMCS_GUEST_SYSENTER_ESP, 0);
	vmwrite(VMCS_GUEST_SYSENTER_EIP, 0);
	vmwrite(VMCS_GUEST_DEBUGCTL, 0);
	if (vmread(VMCS_ENTRY_CONTROLS) & ENTRY_CTL_LOAD_PAT)
		vmwrite(VMCS_GUEST_PAT, rdmsr(MSR_IA32_PAT));
}

void vmx_inject(uint32_t vector, uint32_t type, bool has_error, uint32_t error)
{
	vmwrite(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | type | vector | (has_error ? INTR_INFO_ERROR_CODE : 0));
	if (has_error)
		vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, error);
}

__noreturn void vmx_entry_failed(struct vcpu *v);
__noreturn void vmx_entry_failed(struct vcpu *v)
{
	uint64_t err = 0, reason = 0;
	vmread_raw(VMCS_VM_INSTR_ERROR, &err);
	vmread_raw(VMCS_EXIT_REASON, &reason);
	pr_err("VM entry failed: VM-instruction error %lu (exit reason field 0x%lx)", err, reason);
	dump_guest(v, "VM entry failed");
	hv_halt("VM entry failed");
}
