/* VMX on one CPU: VMXON, the VMCS, events into the guest, leaving VMX (vmx.c, devirt.c, dump.c). */
#ifndef ODV_VMX_H
#define ODV_VMX_H
#include "types.h"
#include "vcpu.h"

const char *vmx_unusable_reason_now(void);
int vmx_init_cpu(struct vcpu *v);                  /* VMXON + VMCS; <0 with a logged reason */
int vmx_setup_vmcs(struct vcpu *v);
void vmx_launch(struct vcpu *v);                   /* stubs.asm */
void vmx_inject(uint32_t vector, uint32_t type, bool has_error, uint32_t error);
void vmx_guest_long_mode(uint64_t cr3, uint64_t rip, uint64_t efer);
void vmx_off(void);                                /* leave VMX after a failed setup (no-op before VMXON) */
void vmx_trap_port(uint16_t port);                 /* the guest's I/O to port exits */
uint64_t vmread(uint32_t field);
void vmwrite(uint32_t field, uint64_t value);

/* dump.c: every field of the guest's VMCS state on the console */
void dump_guest(struct vcpu *v, const char *why);

/* devirt.c: this CPU leaves VMX and runs the guest natively; returns only on failure */
int devirt(struct vcpu *v);

#endif
