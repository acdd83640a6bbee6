/* Diagnostic dump of a vCPU on the serial console (and in the log ring). */
#include "hv.h"
#include "arch.h"
#include "vcpu.h"
#include "vmcs.h"
#include "vmx.h"

void dump_guest(struct vcpu *v, const char *why)
{
	uint64_t reason = 0;
	vmread_raw(VMCS_EXIT_REASON, &reason);
	pr_err("---- dump: %s ----", why);
	pr_err("exit reason %lu (%s)%s, qualification 0x%lx, total exits %lu",
	       reason & 0xffff, exit_reason_name((uint32_t)reason),
	       reason & EXIT_REASON_ENTRY_FAIL ? " [entry failure]" : "",
	       vmread(VMCS_EXIT_QUALIFICATION), v->exits_total);
	struct guest_regs *r = &v->regs;
	pr_err("rax=0x%016lx rbx=0x%016lx rcx=0x%016lx rdx=0x%016lx", r->rax, r->rbx, r->rcx, r->rdx);
	pr_err("rsi=0x%016lx rdi=0x%016lx rbp=0x%016lx rsp=0x%016lx", r->rsi, r->rdi, r->rbp,
	       vmread(VMCS_GUEST_RSP));
	pr_err("r8 =0x%016lx r9 =0x%016lx r10=0x%016lx r11=0x%016lx", r->r8, r->r9, r->r10, r->r11);
	pr_err("r12=0x%016lx r13=0x%016lx r14=0x%016lx r15=0x%016lx", r->r12, r->r13, r->r14, r->r15);
	/* Every guest-state and exit-information field, by name. */
	for (unsigned i = 0; i < vmcs_field_table_len; i++) {
		uint32_t enc = vmcs_field_table[i].enc;
		enum vmcs_type t = vmcs_field_type(enc);
		if (t != VMCS_T_GUEST && t != VMCS_T_RODATA)
			continue;
		uint64_t val;
		if (vmread_raw(enc, &val))
			continue;   /* field not supported by this CPU */
		pr_err("  %-24s 0x%lx", vmcs_field_table[i].name, val);
	}
	pr_err("---- end of dump ----");
}
