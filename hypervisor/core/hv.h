/* odv-hv global state and the boot sequence's entry points. */
#ifndef ODV_HV_H
#define ODV_HV_H
#include "types.h"
#include "mb2.h"
#include "vmx_caps.h"
#include "vcpu.h"
#include "log.h"
void *memmove(void *d, const void *s, size_t n);
void *memcpy(void *d, const void *s, size_t n);

#define HV_VIRT_BASE 0xFFFFFFFF80000000ull

struct hv {
	uint64_t load_base, size;          /* odv-hv's physical region */
	struct boot_info boot;
	struct mem_range guest_map[MB2_MAX_MMAP];   /* RAM view given to the guest */
	unsigned nr_guest_map;
	struct vmx_caps caps;
	uint64_t eptp;
	struct vcpu *bsp;
	bool trap_icr;                     /* SMP: the guest's IPIs pass through lapic_trap.c */
	bool has_ecam;                     /* ACPI lists an MCFG: config space is memory-mapped too */
};
extern struct hv hv;

/* page pool (pool.c): zeroed 4 KiB pages from odv-hv's own region */
void *page_alloc(uint64_t *phys);

/* host descriptor tables (idt.c) */
void host_tables_init(unsigned cpu);          /* on each CPU; cpu 0 first */
uint16_t host_tr_selector(void);
uint64_t host_tss_base(void);

/* vmx.c */
const char *vmx_unusable_reason_now(void);
int vmx_init_cpu(struct vcpu *v);                  /* VMXON + VMCS; <0 with a logged reason */
int vmx_setup_vmcs(struct vcpu *v);
void vmx_launch(struct vcpu *v);                   /* stubs.asm */
void vmx_inject(uint32_t vector, uint32_t type, bool has_error, uint32_t error);
void vmx_guest_long_mode(uint64_t cr3, uint64_t rip, uint64_t efer);
void vmx_off(void);
void vmx_trap_port(uint16_t port);                 /* guest I/O to port exits */   /* leave VMX after a failed setup (no-op if VMXON never happened) */
uint64_t vmread(uint32_t field);
void vmwrite(uint32_t field, uint64_t value);

/* host_paging.c: map one 4 KiB page in odv-hv's tables; -1 if va is taken by a large page */
int host_map_4k(uint64_t va, uint64_t pa);

/* restore.c: kexec entry path (go-virtual) */
__noreturn void restore_main(void);

/* linux_boot.c: 1 = a Linux guest is set up, 0 = no "linux" module, -1 = error */
int linux_boot_prepare(struct vcpu *v);

/* guest_test.c */
int test_guest_prepare(struct vcpu *v);

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

/* lapic.c: this CPU's real local APIC (xAPIC or x2APIC) */
bool lapic_x2apic(void);
uint64_t lapic_base(void);
volatile uint32_t *lapic_mmio(unsigned off);
uint32_t lapic_id(void);
void lapic_send(uint32_t lo, uint32_t dest);
int lapic_wait_idle(void);

/* lapic_trap.c: the guest's local-APIC stores on SMP */
void lapic_trap_init(uint64_t base);
bool lapic_trap_covers(uint64_t gpa);
int lapic_trap_write(struct vcpu *v, uint64_t gpa);
void lapic_icr_write(uint32_t lo, uint32_t dest, bool x2apic);

/* guest_mem.c */
bool guest_ram_range(uint64_t pa, uint64_t len);     /* the guest's RAM, safe to touch for it */
unsigned guest_read_linear(uint64_t la, void *buf, unsigned len);
int guest_fetch_insn(uint8_t code[15], unsigned *n, bool *long64, const char **err);
void guest_skip_insn(unsigned len);                 /* RIP past it, STI/MOV-SS blocking over */

/* delay.c */
void udelay(uint32_t us);
uint64_t tsc_per_ms(void);                          /* calibrated against the PIT */

/* dump.c */
void dump_guest(struct vcpu *v, const char *why);
__noreturn void hv_halt(const char *why);

/* devirt.c */
int devirt(struct vcpu *v);                        /* returns only on failure */

/* vdev.c: odv-hv's virtual devices (virtio-blk over the IDE disk it takes over) */
int vdev_setup(const char *cmdline);                /* 0 (also: none asked for), -1 */
bool vdev_ept_hole(unsigned i, uint64_t *base, uint64_t *size);   /* i = 0.. until false */
void vdev_poll(bool force);                         /* frames from the wire (CPU 0, VM exits) */
uint64_t vdev_poll_period(void);                    /* TSC ticks; 0 = nothing to poll */
void vdev_release(void);                            /* before go-native: devices quiet */
const char *vdev_busy(void);                        /* a virtual device in use, or NULL */
bool vdev_mmio_covers(uint64_t gpa);
int vdev_mmio(struct vcpu *v, uint64_t gpa);
bool vdev_io(uint16_t port, unsigned size, bool in, uint32_t *val);
bool vdev_port_owned(uint16_t port, unsigned size);

/* ept setup (main.c); trap_lapic: the local APIC page read-only (SMP) */
int ept_setup(bool trap_lapic);
int ept_trap_range(uint64_t base, uint64_t size);   /* a new EPT hole, live; 0 or -1 */
void ept_sync(void);                                /* this CPU catches up with EPT changes */

#endif
