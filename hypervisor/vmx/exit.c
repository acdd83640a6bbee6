/*
 * The one VM-exit dispatch: every exit reason is counted, then handled by
 * the function the table names; reasons without a handler go to
 * exit_unexpected (full dump, halt). Handlers return HANDLED (resume the
 * guest) or never return (halt / devirtualize).
 */
#include "hv.h"
#include "arch.h"
#include "odv_abi.h"
#include "percpu.h"

enum exit_result { HANDLED = 0 };
typedef enum exit_result (*exit_handler)(struct vcpu *v, uint64_t qual);

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

static void skip_instruction(void)
{
	guest_skip_insn((unsigned)vmread(VMCS_EXIT_INSTR_LEN));
}

static void inject_gp(void) { vmx_inject(VEC_GP, INTR_TYPE_HW_EXCEPTION, true, 0); }
static void inject_ud(void) { vmx_inject(VEC_UD, INTR_TYPE_HW_EXCEPTION, false, 0); }

static unsigned guest_cpl(void)
{
	return (vmread(VMCS_GUEST_SS_AR) >> 5) & 3;
}

static enum exit_result exit_unexpected(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	dump_guest(v, "unhandled VM exit");
	hv_halt("unhandled VM exit");
}

static enum exit_result exit_triple_fault(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	dump_guest(v, "guest triple fault");
	hv_halt("guest triple fault");
}

static enum exit_result exit_exception_nmi(struct vcpu *v, uint64_t qual)
{
	uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);
	if ((info & 0x700) == INTR_TYPE_NMI && (info & 0xff) == VEC_NMI) {
		nmi_unblock();   /* or this CPU never sees another NMI (nor INIT request) */
		/* The NMI that carries a guest INIT to this CPU (lapic_trap.c). */
		if (vcpu_take_init_request()) {
			vcpu_do_init(v, "carried by NMI");
			return HANDLED;
		}
		/*
		 * An NMI that arrived while the guest ran is the guest's: give it
		 * back. Before the guest has an IDT (a resume in progress) it
		 * would be fatal; hold it until the guest has one.
		 */
		if (vmread(VMCS_GUEST_IDTR_LIMIT) < 2 * 16 + 15)
			v->nmi_pending = true;
		else
			vmx_inject(VEC_NMI, INTR_TYPE_NMI, false, 0);
		return HANDLED;
	}
	return exit_unexpected(v, qual);
}

static enum exit_result exit_cpuid(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	uint32_t leaf = (uint32_t)v->regs.rax, sub = (uint32_t)v->regs.rcx;
	uint32_t a, b, c, d;
	if (leaf >= ODV_CPUID_LEAF_BASE && leaf <= 0x4fffffff) {
		a = b = c = d = 0;
		if (leaf == ODV_CPUID_LEAF_BASE) {
			const char *sig = ODV_CPUID_SIGNATURE;
			a = ODV_CPUID_LEAF_MAX;
			b = *(const uint32_t *)sig;
			c = *(const uint32_t *)(sig + 4);
			d = *(const uint32_t *)(sig + 8);
		} else if (leaf == ODV_CPUID_LEAF_VERSION) {
			a = ODV_ABI_VERSION;
		}
	} else {
		cpuid(leaf, sub, &a, &b, &c, &d);
		/*
		 * CPUID runs here in VMX root, so bits that mirror CR4 describe
		 * odv-hv's CR4, not the guest's: put the guest's back. (A guest
		 * told OSXSAVE=1 while its CR4.OSXSAVE is 0 gets #UD on XGETBV.)
		 */
		uint64_t cr4 = vmread(VMCS_GUEST_CR4);
		if (leaf == 1) {
			c |= (uint32_t)BIT(31);     /* hypervisor present */
			c &= ~(uint32_t)BIT(5);     /* no VMX for the guest */
			c = (c & ~(uint32_t)BIT(27)) | ((cr4 & CR4_OSXSAVE) ? (uint32_t)BIT(27) : 0);
		} else if (leaf == 7 && sub == 0) {
			c = (c & ~(uint32_t)BIT(4)) | ((cr4 & BIT(22)) ? (uint32_t)BIT(4) : 0);   /* OSPKE */
		}
	}
	v->regs.rax = a;
	v->regs.rbx = b;
	v->regs.rcx = c;
	v->regs.rdx = d;
	skip_instruction();
	return HANDLED;
}

/*
 * Hand this CPU back to the guest natively (devirt.c), the guest's RIP already
 * past its request; returns only if refused, with nothing changed.
 */
static void devirt_this_cpu(struct vcpu *v, const char *how)
{
	/* A vCPU waiting for SIPI (offline in the guest) could not be handed back later. */
	for (unsigned i = 0; i < nr_cpus; i++)
		if (percpus[i].state == CPU_IN_VMX && percpus[i].waiting_sipi) {
			pr_info("devirtualize refused on cpu %u: cpu %u waits for SIPI (offline in the guest)",
				v->id, i);
			return;
		}
	const char *busy = vdev_busy();
	if (busy) {
		pr_info("devirtualize refused on cpu %u: the guest still drives %s (remove the function first; "
			"odv go-native does)", v->id, busy);
		return;
	}
	pr_info("devirtualize requested %s at rip=0x%lx (cpu %u)", how, vmread(VMCS_GUEST_RIP), v->id);
	/* From now on the guest's IPIs to this CPU go out for real (lapic_trap.c). */
	this_cpu()->state = CPU_NATIVE;
	if (v->id == 0)
		vdev_release();      /* the physical devices go back to the guest's drivers, quiet */
	devirt(v);
	this_cpu()->state = CPU_IN_VMX;
}

static enum exit_result exit_vmcall(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	if (guest_cpl() != 0) {
		/* Not for user mode: behave like a CPU without VMX. RIP stays at the VMCALL. */
		v->user_vmcalls_refused++;
		inject_ud();
		return HANDLED;
	}
	switch (v->regs.rax) {
	case ODV_HC_INFO:
		v->regs.rax = ODV_HC_OK;
		v->regs.rbx = ODV_ABI_VERSION;
		v->regs.rcx = 1;
		break;
	case ODV_HC_EXIT_COUNT: {
		uint64_t r = v->regs.rbx;
		v->regs.rax = ODV_HC_OK;
		v->regs.rcx = r < EXIT_REASON_MAX ? v->exit_count[r] : 0;
		v->regs.rbx = v->exits_total;
		break;
	}
	case ODV_HC_DEVIRT:
		skip_instruction();
		v->regs.rax = ODV_HC_OK;
		devirt_this_cpu(v, "by the guest");   /* returns only if refused */
		v->regs.rax = ODV_HC_EUNSUPPORTED;
		return HANDLED;
	default:
		v->regs.rax = ODV_HC_EUNKNOWN;
		break;
	}
	skip_instruction();
	return HANDLED;
}

static bool msr_is_vmx_cap(uint32_t msr)
{
	return msr >= MSR_IA32_VMX_BASIC && msr <= MSR_IA32_VMX_VMFUNC;
}

/*
 * The synthetic-MSR hypercalls (include/odv_abi.h). Returns true when `msr`
 * is one of them; *val is the value the RDMSR returns. DEVIRT does not
 * return when it succeeds.
 */
static bool msr_hypercall(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	if (msr < ODV_MSR_BASE || msr >= ODV_MSR_BASE + ODV_MSR_COUNT)
		return false;
	switch (msr) {
	case ODV_MSR_INFO:
		*val = ODV_ABI_VERSION | ((uint64_t)smp_vcpus() << 32) | ((uint64_t)v->id << 48);
		break;
	case ODV_MSR_DEVIRT:
		skip_instruction();
		v->regs.rax = ODV_HC_OK;          /* EDX carries the CR3 switch (devirt.c) */
		devirt_this_cpu(v, "through the msr driver");
		/* Refused: undo the skip so the common path below completes the RDMSR. */
		vmwrite(VMCS_GUEST_RIP, vmread(VMCS_GUEST_RIP) - vmread(VMCS_EXIT_INSTR_LEN));
		*val = ODV_HC_EUNSUPPORTED;
		break;
	case ODV_MSR_EXITS:
		*val = v->exits_total;
		break;
	case ODV_MSR_LOG_HEAD:
		*val = hv_log_ring.head;
		break;
	case ODV_MSR_LOG_RESET:
		v->log_cursor = log_ring_oldest(&hv_log_ring);
		*val = v->log_cursor;
		break;
	case ODV_MSR_LOG_READ: {
		char b[8] = { 0 };
		if (v->log_cursor < log_ring_oldest(&hv_log_ring))
			v->log_cursor = log_ring_oldest(&hv_log_ring);  /* the ring moved past the reader */
		size_t n = log_ring_read(&hv_log_ring, v->log_cursor, b, sizeof(b));
		v->log_cursor += n;
		*val = 0;
		for (int i = 7; i >= 0; i--)
			*val = (*val << 8) | (uint8_t)b[i];
		break;
	}
	default:
		if (msr >= ODV_MSR_EXIT_REASON0 && msr < ODV_MSR_EXIT_REASON0 + EXIT_REASON_MAX)
			*val = v->exit_count[msr - ODV_MSR_EXIT_REASON0];
		else
			*val = 0;
		break;
	}
	return true;
}

static enum exit_result exit_rdmsr(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t val;
	if (msr_hypercall(v, msr, &val)) {
		/* RDMSR semantics: EDX:EAX, upper halves cleared. */
		v->regs.rax = (uint32_t)val;
		v->regs.rdx = val >> 32;
		skip_instruction();
		return HANDLED;
	}
	if (msr_is_vmx_cap(msr)) {
		inject_gp();                /* as on a CPU without VMX */
		return HANDLED;
	}
	if (msr == MSR_IA32_FEATURE_CONTROL) {
		/* Locked, VMX off: the guest must not try to use VMX. */
		val = (rdmsr(MSR_IA32_FEATURE_CONTROL) | FEATURE_CONTROL_LOCK) & ~(uint64_t)0x6;
	} else if (rdmsr_safe(msr, &val)) {
		inject_gp();
		return HANDLED;
	}
	v->regs.rax = (uint32_t)val;
	v->regs.rdx = val >> 32;
	skip_instruction();
	return HANDLED;
}

static enum exit_result exit_wrmsr(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
	if (msr == 0x830 && hv.trap_icr) {       /* x2APIC ICR: trapped on SMP (lapic_trap.c) */
		lapic_icr_write((uint32_t)val, (uint32_t)(val >> 32), true);
		skip_instruction();
		return HANDLED;
	}
	if (msr_is_vmx_cap(msr) || msr == MSR_IA32_FEATURE_CONTROL || wrmsr_safe(msr, val)) {
		inject_gp();
		return HANDLED;
	}
	skip_instruction();
	return HANDLED;
}

static enum exit_result exit_xsetbv(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	uint32_t a, b, c, d;
	uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
	cpuid(0xd, 0, &a, &b, &c, &d);
	uint64_t supported = ((uint64_t)d << 32) | a;
	/* SDM XSETBV: XCR0 index only, x87 bit set, AVX needs SSE, nothing unsupported. */
	if ((uint32_t)v->regs.rcx != 0 || !(val & 1) || (val & ~supported) ||
	    ((val & 4) && !(val & 2))) {
		inject_gp();
		return HANDLED;
	}
	xsetbv(0, val);
	skip_instruction();
	return HANDLED;
}

static void set_guest_cr0(uint64_t val)
{
	struct vmx_caps *c = &hv.caps;
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
}

static enum exit_result exit_cr_access(struct vcpu *v, uint64_t qual)
{
	unsigned cr = qual & 15, type = (qual >> 4) & 3, gpr = (qual >> 8) & 15;
	struct vmx_caps *c = &hv.caps;
	switch (type) {
	case 0: {   /* MOV to CR */
		uint64_t val = vcpu_gpr(v, gpr);
		if (cr == 0) {
			set_guest_cr0(val);
		} else if (cr == 4) {
			if (val & CR4_VMXE) {   /* the guest has no VMX */
				inject_gp();
				return HANDLED;
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
		} else if (cr == 3) {
			vmwrite(VMCS_GUEST_CR3, val & ~BIT(63));
		} else if (cr == 8) {
			write_cr8(val);
		} else {
			return exit_unexpected(v, qual);
		}
		break;
	}
	case 1:     /* MOV from CR (only CR3 and CR8 can exit this way) */
		if (cr == 3)
			vcpu_set_gpr(v, gpr, vmread(VMCS_GUEST_CR3));
		else if (cr == 8)
			vcpu_set_gpr(v, gpr, read_cr8());
		else
			return exit_unexpected(v, qual);
		break;
	case 2:     /* CLTS */
		vmwrite(VMCS_GUEST_CR0, vmread(VMCS_GUEST_CR0) & ~BIT(3));
		vmwrite(VMCS_CR0_SHADOW, vmread(VMCS_CR0_SHADOW) & ~BIT(3));
		break;
	case 3: {   /* LMSW: low 4 bits; cannot clear PE */
		uint64_t src = (qual >> 16) & 0xf, shadow = vmread(VMCS_CR0_SHADOW);
		uint64_t val = (shadow & ~0xeull) | (src & 0xf) | (shadow & CR0_PE);
		set_guest_cr0(val);
		break;
	}
	}
	skip_instruction();
	return HANDLED;
}

static enum exit_result exit_io(struct vcpu *v, uint64_t qual)
{
	unsigned size = (qual & 7) + 1;
	bool in = qual & BIT(3), string = qual & BIT(4);
	uint16_t port = (uint16_t)(qual >> 16);
	if (string && vdev_port_owned(port, size)) {
		/* INS/OUTS on a port of odv-hv's devices: not emulated; refused like a faulting access. */
		static unsigned logged;
		if (logged++ < 4)
			pr_err("string I/O on port 0x%x (odv-hv's device) at rip=0x%lx: #GP to the guest",
			       port, vmread(VMCS_GUEST_RIP));
		inject_gp();
		return HANDLED;
	}
	if (string || (size != 1 && size != 2 && size != 4))
		return exit_unexpected(v, qual);
	/* A port of odv-hv's devices (vdev.c), or else the real port: other trapped ports are watched, not emulated. */
	uint32_t val = (uint32_t)v->regs.rax;
	if (!vdev_io(port, size, in, &val)) {
		if (in)
			val = port_in(port, size);
		else
			port_out(port, size, val);
	}
	if (in) {
		/* IN writes AL/AX (the rest of RAX kept) or EAX (bits 63:32 cleared). */
		uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;
		v->regs.rax = size == 4 ? val : (v->regs.rax & ~mask) | (val & mask);
	}
	skip_instruction();
	return HANDLED;
}

static enum exit_result exit_ept_violation(struct vcpu *v, uint64_t qual)
{
	uint64_t gpa = vmread(VMCS_GUEST_PHYS_ADDR);
	/* A store to the local APIC page, read-only in EPT on SMP (lapic_trap.c). */
	if ((qual & BIT(1)) && lapic_trap_covers(gpa) && lapic_trap_write(v, gpa) == 0)
		return HANDLED;
	/*
	 * A load or store to a BAR of odv-hv's devices (vdev.c): emulated, or #GP
	 * if it is no plain MOV. Not a fetch, and not the guest's page walk
	 * (qualification bit 7 set with bit 8 clear): those stop the guest below.
	 */
	if (vdev_mmio_covers(gpa) && !(qual & BIT(2)) && !((qual & BIT(7)) && !(qual & BIT(8)))) {
		if (vdev_mmio(v, gpa))
			inject_gp();
		return HANDLED;
	}
	const char *access = qual & BIT(1) ? "write" : qual & BIT(2) ? "instruction fetch" : "read";
	pr_err("EPT violation: gpa=0x%lx access=%s qualification=0x%lx rip=0x%lx%s",
	       gpa, access, qual, vmread(VMCS_GUEST_RIP),
	       gpa >= hv.load_base && gpa < hv.load_base + hv.size ? " (inside odv-hv's region)" : "");
	if (qual & BIT(7))
		pr_err("EPT violation: guest linear address 0x%lx", vmread(VMCS_GUEST_LINEAR_ADDR));
	dump_guest(v, "EPT violation");
	hv_halt("guest stopped after EPT violation");
}

/* INIT: the vCPU takes the state after INIT and waits for SIPI (sipi.c). */
static enum exit_result exit_init(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	vcpu_do_init(v, "INIT exit");
	return HANDLED;
}

/*
 * SIPI: exits only in the wait-for-SIPI activity state, which odv-hv never
 * uses (sipi.c); handled as the CPU would, should a vCPU ever get there.
 */
static enum exit_result exit_sipi(struct vcpu *v, uint64_t qual)
{
	vcpu_sipi(v, (uint8_t)qual);
	return HANDLED;
}

/* The preemption timer ran out: time to poll odv-hv's NIC (vdev.c). */
static enum exit_result exit_preemption_timer(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	vdev_poll(true);
	return HANDLED;
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
};

/* Called from vmx_exit_stub with the guest GPRs saved in v->regs. */
void vmx_handle_exit(struct vcpu *v)
{
	uint32_t full = (uint32_t)vmread(VMCS_EXIT_REASON);
	uint32_t reason = full & 0xffff;
	v->exits_total++;
	if (reason < EXIT_REASON_MAX)
		v->exit_count[reason]++;
	if (full & EXIT_REASON_ENTRY_FAIL) {
		pr_err("VM entry failed with exit reason %u (%s), qualification 0x%lx",
		       reason, exit_reason_name(reason), vmread(VMCS_EXIT_QUALIFICATION));
		dump_guest(v, "VM entry failure");
		hv_halt("VM entry failure");
	}
	exit_handler h = reason < EXIT_REASON_MAX && handlers[reason] ? handlers[reason] : exit_unexpected;
	h(v, vmread(VMCS_EXIT_QUALIFICATION));
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
