/*
 * Port I/O and EPT-violation exits: the guest touched a port or a page that
 * odv-hv traps. The region registry (platform/region.h) names the device
 * that answers; everything else here is what x86 does with the answer.
 */
#include "exit.h"
#include "arch.h"
#include "exit_info.h"
#include "hv.h"
#include "mmio.h"
#include "region.h"
#include "vmx.h"

/* IN writes AL/AX (the rest of RAX kept) or EAX (bits 63:32 cleared). */
static uint64_t in_result(uint64_t rax, unsigned size, uint32_t val)
{
	if (size == 4)
		return val;
	uint64_t mask = (1ull << (8 * size)) - 1;
	return (rax & ~mask) | (val & mask);
}

enum exit_result exit_io(struct vcpu *v, struct vm_exit *x)
{
	struct io_exit io = exit_io_info(x->qual);
	const struct pio_region *r = region_find_pio(&hv_regions, io.port, io.size);
	if (io.string) {
		/*
		 * INS/OUTS on a trapped port: odv-hv does not emulate them (it would
		 * need the guest's segments, paging and REP state); the guest gets
		 * #GP, as for a port the TSS's I/O bitmap refuses. Never a halt.
		 */
		static unsigned logged;
		if (logged++ < 4)
			pr_info("string I/O on trapped port 0x%x at rip=0x%lx: #GP to the guest",
			       io.port, vmread(VMCS_GUEST_RIP));
		inject_gp();
		return EXIT_RESUME;
	}
	if (io.size != 1 && io.size != 2 && io.size != 4)
		return EXIT_UNHANDLED;
	/* A port of odv-hv's devices, or else the real port: other trapped ports are watched, not emulated. */
	struct pio_request rq = { io.port, io.size, io.in, (uint32_t)v->regs.rax };
	enum access_result res = r ? r->handler(r->arg, &rq) : ACCESS_UNHANDLED;
	if (res == ACCESS_ERROR) {
		inject_gp();
		return EXIT_RESUME;
	}
	if (res == ACCESS_UNHANDLED) {
		if (io.in)
			rq.value = port_in(io.port, io.size);
		else
			port_out(io.port, io.size, rq.value);
	}
	if (io.in)
		v->regs.rax = in_result(v->regs.rax, io.size, rq.value);
	return EXIT_EMULATED;
}

/* The stop for an access nothing answers: the facts first, then the dispatch's dump. */
static enum exit_result ept_unhandled(struct vm_exit *x, const struct ept_exit *e)
{
	const char *access = e->write ? "write" : e->fetch ? "instruction fetch" : "read";
	pr_err("EPT violation: gpa=0x%lx access=%s qualification=0x%lx rip=0x%lx%s",
	       e->gpa, access, x->qual, vmread(VMCS_GUEST_RIP),
	       e->gpa >= hv.load_base && e->gpa < hv.load_base + hv.size ? " (inside odv-hv's region)" : "");
	if (e->linear_valid)
		pr_err("EPT violation: guest linear address 0x%lx", vmread(VMCS_GUEST_LINEAR_ADDR));
	x->stop = "EPT violation";
	x->halt = "guest stopped after EPT violation";
	return EXIT_UNHANDLED;
}

enum exit_result exit_ept_violation(struct vcpu *v, struct vm_exit *x)
{
	struct ept_exit e = exit_ept_info(x->qual, vmread(VMCS_GUEST_PHYS_ADDR));
	const struct mmio_region *r = region_find_mmio(&hv_regions, e.gpa);
	/*
	 * A load or store to a device region is emulated. Not a fetch, and not
	 * the guest's page walk (its page tables in a device region): those stop
	 * the guest. On a read-only region only stores exit.
	 */
	if (!r || e.fetch || e.paging_walk || (r->ept == REGION_EPT_READ_ONLY && !e.write))
		return ept_unhandled(x, &e);
	switch (mmio_emulate(v, r, e.gpa, &x->insn_len)) {
	case ACCESS_DONE:
		return EXIT_EMULATED;
	case ACCESS_ERROR:
		inject_gp();
		return EXIT_RESUME;
	case ACCESS_UNHANDLED:
		break;
	}
	return ept_unhandled(x, &e);
}
