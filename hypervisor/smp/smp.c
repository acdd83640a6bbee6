/*
 * Application processors: odv-hv finds every CPU in the ACPI MADT, wakes each
 * one (INIT, SIPI, SIPI) into boot/ap_trampoline.asm, and the CPU enters VMX
 * root mode with its own VMCS, stacks and TSS (struct percpu). Its vCPU then
 * waits for the guest's SIPI (sipi.c, lapic_trap.c): the guest starts it with
 * its own INIT/SIPI, as on bare metal.
 * A CPU that fails to come up is parked with INIT and its slot is never used
 * again; odv-hv and the guest go on with the others. The guest's INIT/SIPI
 * for that CPU (or one beyond odv-hv's table) are not sent (lapic_trap.c): it
 * stays offline for the guest, never native beside virtual CPUs. On the kexec
 * path the kernel's CPU count is checked before any CPU starts (restore.c).
 */
#include "hv.h"
#include "mm.h"
#include "cmdline.h"
#include "arch.h"
#include "acpi.h"
#include "percpu.h"
#include "smp.h"
#include "vmx.h"

#define AP_TRAMP 0x8000ull            /* boot/ap_trampoline.asm's org; SIPI vector 0x08 */
#define ICR_INIT  0x00004500u         /* INIT, level assert */
#define ICR_SIPI  0x00004600u         /* start-up, vector in bits 7:0 */

struct ap_params { uint64_t cr3, cr4, efer, cr0, stack, percpu, entry; };

extern const uint8_t ap_tramp_blob[], ap_tramp_blob_end[];
static uint8_t saved_low_page[PAGE_SIZE];

/* Physical memory for the ACPI parser: what odv-hv's direct map covers. */
const void *acpi_map_phys(void *ctx, uint64_t phys, uint64_t len)
{
	(void)ctx;
	if (!direct_map_covers(phys, len))
		return NULL;
	return phys_to_virt(phys);
}

/* An IPI from the boot CPU, delivered before the next one goes out. */
static int send_ipi(uint32_t apic_id, uint32_t icr)
{
	lapic_send(icr, apic_id);
	return lapic_wait_idle();
}

__noreturn void ap_entry(struct percpu *c);
__noreturn void ap_entry(struct percpu *c)
{
	/* Too late: the boot CPU gave up on us. Stay out of everything. */
	uint32_t expect = CPU_STARTING;
	if (!__atomic_compare_exchange_n(&c->state, &expect, CPU_SETTING_UP, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		for (;;) {
			cli();
			hlt();
		}
	host_tables_init(c->index);
	struct vcpu *v = &c->vcpu;
	v->id = c->index;
	if (vmx_init_cpu(v) || vmx_setup_vmcs(v)) {
		vmx_off();
		c->state = CPU_FAILED;
		for (;;) {
			cli();
			hlt();
		}
	}
	vcpu_init_state(v);
	__atomic_store_n(&c->waiting_sipi, 1, __ATOMIC_SEQ_CST);   /* before the guest can send SIPI */
	c->state = CPU_IN_VMX;
	vcpu_start_on_sipi(v);
	vmx_launch(v);                  /* exits come to vmx_handle_exit */
	__builtin_unreachable();
}

static int start_one(struct percpu *c, struct ap_params *p)
{
	p->stack = (uint64_t)(c->stack + sizeof(c->stack) - 64);   /* HOST_RSP's slot stays above */
	p->percpu = (uint64_t)c;
	c->state = CPU_STARTING;
	__asm__ volatile("" ::: "memory");
	if (send_ipi(c->apic_id, ICR_INIT))
		return -1;
	udelay(10000);
	for (unsigned k = 0; k < 2 && c->state == CPU_STARTING; k++) {
		if (send_ipi(c->apic_id, ICR_SIPI | (uint32_t)(AP_TRAMP >> 12)))
			return -1;
		udelay(200);
	}
	/* Generous: emulators run a second CPU slowly. */
	for (unsigned ms = 0; ms < 6000 && (c->state == CPU_STARTING || c->state == CPU_SETTING_UP); ms++)
		udelay(1000);
	/* Not arrived: cancel (a late AP then halts in ap_entry). */
	uint32_t expect = CPU_STARTING;
	__atomic_compare_exchange_n(&c->state, &expect, CPU_FAILED, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return c->state == CPU_IN_VMX ? 0 : -1;
}

static struct acpi_cpus cpus;
static unsigned madt_cpus = 1, running = 1;

unsigned smp_cpus_not_run(void) { return madt_cpus > running ? madt_cpus - running : 0; }
unsigned smp_vcpus(void) { return running; }

/* Is this APIC ID one of the MADT's CPUs that odv-hv does not run? */
bool smp_apic_not_run(uint32_t apic_id)
{
	for (unsigned i = 0; i < cpus.n; i++)
		if (cpus.apic_id[i] == apic_id) {
			for (unsigned k = 0; k < nr_cpus; k++)
				if (percpus[k].apic_id == apic_id &&
				    (percpus[k].state == CPU_IN_VMX || percpus[k].state == CPU_NATIVE))
					return false;
			return true;
		}
	return false;
}

/* Call f for each MADT CPU odv-hv does not run (the guest's IPIs to them go out for real). */
void smp_for_each_not_run(void (*f)(uint32_t apic_id, void *ctx), void *ctx)
{
	for (unsigned i = 0; i < cpus.n; i++)
		if (smp_apic_not_run(cpus.apic_id[i]))
			f(cpus.apic_id[i], ctx);
}

/*
 * The RSDP: the loader's copy, else the BIOS scan's find. 0 with a pointer
 * and its length (20 for revision 0, else 36), or -1 if there is none.
 */
int acpi_rsdp(const void **rsdp, unsigned *len)
{
	uint64_t rsdp_phys;
	*rsdp = hv.boot.rsdp;
	*len = hv.boot.rsdp_len;
	if (*len)
		return 0;
	if (acpi_scan_rsdp(acpi_map_phys, NULL, &rsdp_phys))
		return -1;
	*rsdp = phys_to_virt(rsdp_phys);
	*len = acpi_rsdp_len(*rsdp);
	return 0;
}

/* The CPUs of the MADT; 1 when there is no usable ACPI (odv-hv then runs the boot CPU only). */
unsigned smp_discover(void)
{
	const char *err = NULL;
	const void *rsdp;
	unsigned rsdp_len;
	if (acpi_rsdp(&rsdp, &rsdp_len)) {
		pr_info("smp: no ACPI tables found; odv-hv runs on the boot CPU only");
		return madt_cpus = 1;
	}
	if (acpi_find_cpus(acpi_map_phys, NULL, rsdp, rsdp_len, &cpus, &err)) {
		pr_info("smp: ACPI: %s; odv-hv runs on the boot CPU only", err);
		cpus.n = 0;
		return madt_cpus = 1;
	}
	pr_info("smp: MADT lists %u CPUs (%u disabled, %u beyond odv-hv's table)",
		cpus.n, cpus.disabled, cpus.dropped);
	madt_cpus = cpus.n ? cpus.n : 1;
	hv.has_ecam = cpus.has_mcfg;
	return madt_cpus;
}

/*
 * The boot-menu command line's test-skip-cpu=APICID: a CPU odv-hv leaves
 * parked, so that a test can show the guest cannot start it natively; -1 if
 * none. Only on the multiboot2 path (the kexec path's arguments come from
 * the agent).
 */
static int test_skip_apic_id(void)
{
	unsigned id;
	return cmdline_uint(cmdline_opt(hv.boot.cmdline ? hv.boot.cmdline : "", "test-skip-cpu="), 0xffffffu, &id)
	       ? -1 : (int)id;
}

/* Start every other CPU of the MADT into VMX; returns how many CPUs run odv-hv. */
unsigned smp_start_aps(void)
{
	uint32_t me = lapic_id();
	percpus[0].apic_id = me;
	if (cpus.n <= 1)
		return 1;
	if (read_cr3() >= 4 * SZ_1G) {
		pr_warn("smp: odv-hv's page tables are above 4 GiB, out of the start-up code's reach; boot CPU only");
		return 1;
	}
	size_t blob = (size_t)(ap_tramp_blob_end - ap_tramp_blob);
	uint8_t *low = phys_to_virt(AP_TRAMP);
	/* The page may hold the loader's data (the MBI, say): put it back afterwards. */
	memcpy(saved_low_page, low, PAGE_SIZE);
	memcpy(low, ap_tramp_blob, blob);
	struct ap_params *p = (struct ap_params *)(low + blob - sizeof(*p));
	*p = (struct ap_params){
		.cr3 = read_cr3(), .cr4 = read_cr4() & (CR4_PAE | CR4_LA57 | CR4_PGE),
		.efer = rdmsr(MSR_IA32_EFER) & (EFER_LME | EFER_NXE | EFER_SCE),
		.cr0 = read_cr0() & ~(uint64_t)(BIT(29) | BIT(30)), .entry = (uint64_t)ap_entry,
	};
	pr_info("smp: boot CPU apic id %u; starting the others", me);
	int skip = test_skip_apic_id();
	for (unsigned i = 0; i < cpus.n; i++) {
		if (cpus.apic_id[i] == me)
			continue;
		if ((int)cpus.apic_id[i] == skip) {
			pr_info("smp: test: not starting apic id %u (test-skip-cpu=)", cpus.apic_id[i]);
			continue;
		}
		if (nr_cpus >= MAX_CPUS) {
			pr_warn("smp: more than %u CPUs; apic id %u and later stay parked, offline for the guest",
				MAX_CPUS, cpus.apic_id[i]);
			break;
		}
		/* A slot is never reused: a CPU that failed late may still write to it. */
		unsigned slot = nr_cpus++;
		struct percpu *c = &percpus[slot];
		c->apic_id = cpus.apic_id[i];
		if (start_one(c, p)) {
			/* Park it again: it must not run the start-up code we are about to remove. */
			if (c->state != CPU_SETTING_UP)
				send_ipi(c->apic_id, ICR_INIT);
			pr_warn("smp: cpu with apic id %u did not come up (state %u); it stays offline for the guest",
				c->apic_id, c->state);
			continue;
		}
		running++;
		pr_info("smp: cpu %u (apic id %u) in VMX root, its vCPU waits for SIPI", slot, c->apic_id);
	}
	memcpy(low, saved_low_page, PAGE_SIZE);
	return running;
}
