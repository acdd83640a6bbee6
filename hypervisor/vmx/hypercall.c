/*
 * The odv hypercalls (include/odv_abi.h). One table of functions serves both
 * transports: VMCALL at guest CPL 0 (function in RAX, argument in RBX,
 * results in RAX/RBX/RCX) and RDMSR of the synthetic ODV MSRs, which the
 * agent issues through the stock msr driver (the value read is the result).
 * The transports only marshal; what a function does is written once.
 */
#include "exit.h"
#include "arch.h"
#include "hv.h"
#include "odv_abi.h"
#include "percpu.h"
#include "smp.h"
#include "vdev.h"
#include "vmx.h"

enum transport { BY_VMCALL = 1, BY_MSR };

struct hc_call {
	enum transport via;
	uint64_t arg;            /* VMCALL: RBX; MSR: the index's offset in the function's range */
	uint64_t out[3];         /* VMCALL: RAX, RBX, RCX; MSR: out[0] is the value read */
	unsigned nr_out;         /* VMCALL: how many of RAX, RBX, RCX the function wrote */
};

struct hypercall {
	const char *name;
	int vmcall;              /* enum odv_hc, or -1: not reachable by VMCALL */
	uint32_t msr, nr_msrs;   /* the ODV MSRs that reach it (nr_msrs 0: none) */
	void (*fn)(struct vcpu *v, struct hc_call *c);
};

static void ret1(struct hc_call *c, uint64_t a) { c->out[0] = a; c->nr_out = 1; }
static void ret3(struct hc_call *c, uint64_t a, uint64_t b, uint64_t d)
{
	c->out[0] = a; c->out[1] = b; c->out[2] = d; c->nr_out = 3;
}

static void hc_info(struct vcpu *v, struct hc_call *c)
{
	if (c->via == BY_VMCALL)
		ret3(c, ODV_HC_OK, ODV_ABI_VERSION, 1);
	else
		ret1(c, ODV_ABI_VERSION | ((uint64_t)smp_vcpus() << 32) | ((uint64_t)v->id << 48));
}

/* Leaving VMX waits for the end of the exit (hypercall_finish): RIP must be past the request. */
static void hc_devirt(struct vcpu *v, struct hc_call *c)
{
	v->devirt_request = c->via;
	ret1(c, ODV_HC_OK);
}

/* VMCALL: RBX = total, RCX = exits of reason RBX-in. MSR: the total. */
static void hc_exit_count(struct vcpu *v, struct hc_call *c)
{
	uint64_t r = c->arg;
	if (c->via == BY_VMCALL)
		ret3(c, ODV_HC_OK, v->exits_total, r < EXIT_REASON_MAX ? v->exit_count[r] : 0);
	else
		ret1(c, v->exits_total);
}

static void hc_exit_reason(struct vcpu *v, struct hc_call *c) { ret1(c, v->exit_count[c->arg]); }
static void hc_log_head(struct vcpu *v, struct hc_call *c) { ret1(c, hv_log_ring.head); }

static void hc_log_reset(struct vcpu *v, struct hc_call *c)
{
	v->log_cursor = log_ring_oldest(&hv_log_ring);
	ret1(c, v->log_cursor);
}

/* The next 8 bytes of the log at this vCPU's cursor, little-endian, NUL-padded. */
static void hc_log_read(struct vcpu *v, struct hc_call *c)
{
	char b[8] = { 0 };
	if (v->log_cursor < log_ring_oldest(&hv_log_ring))
		v->log_cursor = log_ring_oldest(&hv_log_ring);  /* the ring moved past the reader */
	v->log_cursor += log_ring_read(&hv_log_ring, v->log_cursor, b, sizeof(b));
	uint64_t val = 0;
	for (int i = 7; i >= 0; i--)
		val = (val << 8) | (uint8_t)b[i];
	ret1(c, val);
}

/* Where the agent finds the ring with /dev/mem once the CPUs are native (odv_abi.h). */
static void hc_log_place(struct vcpu *v, struct hc_call *c)
{
	if (c->arg == 0)
		ret1(c, hv_virt_to_phys(hv_log_ring.buf));
	else if (c->arg == 1)
		ret1(c, hv_virt_to_phys(&hv_log_ring.head));
	else
		ret1(c, hv_log_ring.size);
}

static const struct hypercall hypercalls[] = {
	{ "info",        ODV_HC_INFO,       ODV_MSR_INFO,         1, hc_info },
	{ "devirt",      ODV_HC_DEVIRT,     ODV_MSR_DEVIRT,       1, hc_devirt },
	{ "exit-count",  ODV_HC_EXIT_COUNT, ODV_MSR_EXITS,        1, hc_exit_count },
	{ "exit-reason", -1, ODV_MSR_EXIT_REASON0, EXIT_REASON_MAX, hc_exit_reason },
	{ "log-head",    -1, ODV_MSR_LOG_HEAD,     1, hc_log_head },
	{ "log-reset",   -1, ODV_MSR_LOG_RESET,    1, hc_log_reset },
	{ "log-read",    -1, ODV_MSR_LOG_READ,     1, hc_log_read },
	{ "log-place",   -1, ODV_MSR_LOG_PLACE,    3, hc_log_place },
};

enum exit_result exit_vmcall(struct vcpu *v, struct vm_exit *x)
{
	if (guest_cpl() != 0) {
		/* Not for user mode: behave like a CPU without VMX. RIP stays at the VMCALL. */
		v->user_vmcalls_refused++;
		inject_ud();
		return EXIT_RESUME;
	}
	struct hc_call c = { BY_VMCALL, v->regs.rbx, { ODV_HC_EUNKNOWN }, 1 };
	for (unsigned i = 0; i < ARRAY_SIZE(hypercalls); i++)
		if (hypercalls[i].vmcall >= 0 && (uint64_t)hypercalls[i].vmcall == v->regs.rax)
			hypercalls[i].fn(v, &c);
	v->regs.rax = c.out[0];
	if (c.nr_out > 1)
		v->regs.rbx = c.out[1];
	if (c.nr_out > 2)
		v->regs.rcx = c.out[2];
	return EXIT_EMULATED;
}

/* An ODV MSR (the whole range is odv's: unassigned ones read 0)? Then *val is what RDMSR returns. */
bool hypercall_msr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	if (msr < ODV_MSR_BASE || msr >= ODV_MSR_BASE + ODV_MSR_COUNT)
		return false;
	struct hc_call c = { BY_MSR, 0, { 0 }, 1 };
	for (unsigned i = 0; i < ARRAY_SIZE(hypercalls); i++) {
		const struct hypercall *h = &hypercalls[i];
		if (msr >= h->msr && msr - h->msr < h->nr_msrs) {
			c.arg = msr - h->msr;
			h->fn(v, &c);
		}
	}
	*val = c.out[0];
	return true;
}

/*
 * Hand this CPU back to the guest natively (devirt.c), the guest's RIP
 * already past its request; returns only if refused, with nothing changed.
 */
static void devirt_this_cpu(struct vcpu *v, const char *how, bool quiet)
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
	/* The agent asks through the msr driver and prints these lines itself afterwards (log.h). */
	if (quiet)
		log_console_quiet(true);
	pr_info("devirtualize requested %s at rip=0x%lx (cpu %u)", how, vmread(VMCS_GUEST_RIP), v->id);
	/* From now on the guest's IPIs to this CPU go out for real (lapic_trap.c). */
	this_cpu()->state = CPU_NATIVE;
	if (v->id == 0)
		vdev_release();      /* the physical devices go back to the guest's drivers, quiet */
	devirt(v);
	/* Refused: whatever odv-hv says next is for the console again. */
	this_cpu()->state = CPU_IN_VMX;
	log_console_quiet(false);
}

void hypercall_finish(struct vcpu *v)
{
	unsigned via = v->devirt_request;
	if (!via)
		return;
	v->devirt_request = 0;
	devirt_this_cpu(v, via == BY_VMCALL ? "by the guest" : "through the msr driver", via == BY_MSR);
	/* Still here: refused. The request's result says so (RDMSR: EDX:EAX). */
	v->regs.rax = ODV_HC_EUNSUPPORTED;
	if (via == BY_MSR)
		v->regs.rdx = 0;
}
