/*
 * Stopping the guest on every CPU at once.
 *
 * Why: an exit odv-hv cannot go on from (exit.c's one stop tail) ends the
 * guest, not only the CPU that took it. Left alone, the other vCPUs would
 * run on without it: spin on a lock it holds, wait for its IPIs, and stop
 * later with nothing said. So the first CPU to stop records who and why
 * and sends every other CPU that runs a vCPU an NMI; NMI exiting takes each
 * out of the guest (or wakes it where it waits in VMX root for a SIPI), and
 * each says where its vCPU was before it stops too. A second CPU that hits
 * its own stop meanwhile only adds its dump: the first stop is the cause.
 */
#include "arch.h"
#include "hv.h"
#include "log.h"
#include "percpu.h"
#include "serial.h"
#include "smp.h"
#include "vmx.h"

static volatile int stop_cpu = -1;      /* the CPU that stopped the guest first */
static const char *volatile stop_why;
static volatile unsigned stopped;       /* CPUs that have said where their vCPU was */

void guest_stop_all(const char *why)
{
	struct percpu *me = this_cpu();
	int none = -1;
	if (!__atomic_compare_exchange_n(&stop_cpu, &none, (int)me->index, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST))
		return;
	stop_why = why;
	unsigned told = 0;
	for (unsigned i = 0; i < nr_cpus; i++) {
		struct percpu *c = &percpus[i];
		if (c == me || c->state != CPU_IN_VMX)
			continue;
		lapic_send(ICR_NMI_PHYS, c->apic_id);
		lapic_wait_idle();
		told++;
	}
	if (!told)
		return;
	pr_err("cpu %u: stopping the guest on the %u other CPU(s) too", me->index, told);
	/* Let them say where they were before this CPU's last line (bounded: one may be wedged). */
	for (unsigned ms = 0; ms < 1000 && __atomic_load_n(&stopped, __ATOMIC_SEQ_CST) < told; ms++)
		udelay(1000);
	unsigned answered = __atomic_load_n(&stopped, __ATOMIC_SEQ_CST);
	if (answered < told)
		pr_err("cpu %u: %u CPU(s) did not answer the stop within 1 s", me->index, told - answered);
}

bool guest_stopping(void)
{
	return __atomic_load_n(&stop_cpu, __ATOMIC_SEQ_CST) >= 0;
}

/* This CPU leaves the guest because another one stopped it: say so, stop. */
__noreturn void guest_stopped_here(bool in_guest)
{
	struct percpu *me = this_cpu();
	if (in_guest)
		pr_err("cpu %u: guest stopped by cpu %d (%s); this vCPU was at rip 0x%lx", me->index, stop_cpu,
		       stop_why, vmread(VMCS_GUEST_CS_BASE) + vmread(VMCS_GUEST_RIP));
	else
		pr_err("cpu %u: guest stopped by cpu %d (%s); this vCPU was waiting for SIPI", me->index,
		       stop_cpu, stop_why);
	serial_flush();
	__atomic_add_fetch(&stopped, 1, __ATOMIC_SEQ_CST);
	cli();
	for (;;)
		hlt();
}
