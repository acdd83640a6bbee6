/* Several CPUs: finding and starting them, INIT/SIPI for vCPUs, the local APIC. */
#ifndef ODV_SMP_H
#define ODV_SMP_H
#include "types.h"
#include "vcpu.h"

/* sipi.c: INIT and SIPI done to a vCPU (current VMCS) */
void vcpu_init_state(struct vcpu *v);              /* after INIT: waits for SIPI */
void vcpu_sipi(struct vcpu *v, uint8_t vector);     /* real mode at vector * 4 KiB */
void vcpu_start_on_sipi(struct vcpu *v);            /* wait in VMX root for SIPI, start */
void vcpu_do_init(struct vcpu *v, const char *how);  /* INIT, wait for SIPI, start */
bool vcpu_take_init_request(void);                  /* lapic_trap.c asked for an INIT here */

/* smp.c: find the CPUs (ACPI MADT), then wake the others into VMX */
unsigned smp_discover(void);                        /* CPUs the MADT lists (1 if unknown) */
unsigned smp_start_aps(void);                       /* how many CPUs run odv-hv */
unsigned smp_cpus_not_run(void);                    /* listed CPUs odv-hv could not start */
unsigned smp_vcpus(void);                           /* CPUs running odv-hv */
bool smp_apic_not_run(uint32_t apic_id);
void smp_for_each_not_run(void (*f)(uint32_t apic_id, void *ctx), void *ctx);

/* guest_stop.c: an exit odv-hv cannot go on from stops the guest on every CPU */
void guest_stop_all(const char *why);               /* first stop: NMI every other vCPU */
bool guest_stopping(void);
__noreturn void guest_stopped_here(bool in_guest);   /* in the guest, or waiting for SIPI */

/* lapic.c: this CPU's real local APIC (xAPIC or x2APIC) */
bool lapic_x2apic(void);
uint64_t lapic_base(void);
volatile uint32_t *lapic_mmio(unsigned off);
uint32_t lapic_id(void);
void lapic_send(uint32_t lo, uint32_t dest);
#define ICR_NMI_PHYS 0x4400u      /* ICR low: an NMI, level assert, to one physical APIC ID */
int lapic_wait_idle(void);

/* lapic_trap.c: the guest's local-APIC stores on SMP (an MMIO region, EPT read-only) */
int lapic_trap_init(uint64_t base);
void lapic_icr_write(uint32_t lo, uint32_t dest, bool x2apic);

/* smp.c: ACPI as odv-hv reaches it (the low 4 GiB are identity-mapped): acpi.h's map callback, and the RSDP */
const void *acpi_map_phys(void *ctx, uint64_t phys, uint64_t len);
int acpi_rsdp(const void **rsdp, unsigned *len);

#endif
