/*
 * The VM-exit handlers' contract (exit.c is the one dispatch).
 *
 * A handler gets the decoded exit and says what became of it:
 *   EXIT_EMULATED  the guest's instruction is done: the dispatch moves RIP
 *                  past it (by x->insn_len, or the VMCS's length if 0);
 *   EXIT_RESUME    resume as is: an event was injected (a fault leaves RIP
 *                  on the faulting instruction), or the exit was no
 *                  instruction (NMI, INIT, timer);
 *   EXIT_UNHANDLED odv-hv cannot go on: the dispatch dumps the guest and
 *                  stops, titled x->stop (default "unhandled VM exit").
 * RIP is moved nowhere else, and nothing but the dispatch stops the guest.
 */
#ifndef ODV_EXIT_H
#define ODV_EXIT_H
#include "types.h"
#include "vcpu.h"

enum exit_result { EXIT_EMULATED, EXIT_RESUME, EXIT_UNHANDLED };

struct vm_exit {
	uint32_t reason;
	uint64_t qual;
	unsigned insn_len;       /* EXIT_EMULATED: bytes to skip; 0 = VMCS_EXIT_INSTR_LEN */
	const char *stop;        /* EXIT_UNHANDLED: the dump's title ... */
	const char *halt;        /* ... and the halt message, if it differs */
};

typedef enum exit_result (*exit_handler)(struct vcpu *v, struct vm_exit *x);

/* exit_cpu.c: instructions and events of the CPU itself */
enum exit_result exit_exception_nmi(struct vcpu *v, struct vm_exit *x);
enum exit_result exit_triple_fault(struct vcpu *v, struct vm_exit *x);
enum exit_result exit_init(struct vcpu *v, struct vm_exit *x);
enum exit_result exit_sipi(struct vcpu *v, struct vm_exit *x);
enum exit_result exit_cpuid(struct vcpu *v, struct vm_exit *x);
enum exit_result exit_cr_access(struct vcpu *v, struct vm_exit *x);
enum exit_result exit_xsetbv(struct vcpu *v, struct vm_exit *x);
enum exit_result exit_vmx_insn(struct vcpu *v, struct vm_exit *x);
enum exit_result exit_preemption_timer(struct vcpu *v, struct vm_exit *x);

/* exit_msr.c: RDMSR/WRMSR as the MSR table decides (msr_policy.h) */
enum exit_result exit_rdmsr(struct vcpu *v, struct vm_exit *x);
enum exit_result exit_wrmsr(struct vcpu *v, struct vm_exit *x);

/* exit_access.c: port I/O and EPT violations, answered by the region registry */
enum exit_result exit_io(struct vcpu *v, struct vm_exit *x);
enum exit_result exit_ept_violation(struct vcpu *v, struct vm_exit *x);

/* hypercall.c: both transports of the odv ABI (include/odv_abi.h) */
enum exit_result exit_vmcall(struct vcpu *v, struct vm_exit *x);
bool hypercall_msr(struct vcpu *v, uint32_t msr, uint64_t *val);   /* an ODV MSR: *val read */
void hypercall_finish(struct vcpu *v);     /* after RIP moved: a devirtualize request */

/* Events into the guest, as the CPU would raise them. */
void inject_gp(void);
void inject_ud(void);
unsigned guest_cpl(void);

#endif
