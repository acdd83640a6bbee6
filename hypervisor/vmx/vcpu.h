/* Per-vCPU state of odv-hv. */
#ifndef ODV_VCPU_H
#define ODV_VCPU_H
#include "types.h"
#include "vmcs.h"

/* Order is the x86 register number, as used by exit qualifications. */
struct guest_regs {
	uint64_t rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct vcpu {
	struct guest_regs regs;        /* must stay first: stubs.asm indexes it */
	uint32_t id;
	uint16_t vpid;
	uint64_t vmcs_phys;
	void *vmcs;
	uint64_t host_stack_top;
	uint64_t exits_total;
	uint64_t exit_count[EXIT_REASON_MAX];
	uint64_t user_vmcalls_refused;
	uint64_t log_cursor;            /* ODV_MSR_LOG_READ position in the log ring */
	bool nmi_pending;
	uint8_t devirt_request;        /* a devirtualize hypercall waits for the end of its exit */
	uint64_t cr4_dropped_logged;   /* CR4 bits VMX could not hold, last reported */
};

/* GPR by number; RSP lives in the VMCS. */
uint64_t vcpu_gpr(struct vcpu *v, unsigned n);
void vcpu_set_gpr(struct vcpu *v, unsigned n, uint64_t val);

#endif
