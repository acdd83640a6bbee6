/*
 * The real local APIC of the CPU odv-hv runs on: the one place that knows
 * whether it is in xAPIC (MMIO) or x2APIC (MSR) mode. Used to start CPUs
 * (smp.c), park them (restore.c) and replay the guest's IPIs (lapic_trap.c).
 */
#include "hv.h"
#include "arch.h"
#include "msr_policy.h"         /* MSR_APIC_BASE, APIC_BASE_X2APIC */

#define MSR_X2APIC_ID     0x802
#define APIC_ID    0x20
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_BUSY   BIT32(12)           /* xAPIC delivery status */

bool lapic_x2apic(void) { return rdmsr(MSR_APIC_BASE) & APIC_BASE_X2APIC; }

/* Physical address of the xAPIC register page. */
uint64_t lapic_base(void) { return rdmsr(MSR_APIC_BASE) & ~0xfffull; }

/* An xAPIC register, through odv-hv's identity map of the low 4 GiB. */
volatile uint32_t *lapic_mmio(unsigned off)
{
	return phys_to_virt(lapic_base() + off);
}

uint32_t lapic_id(void)
{
	if (lapic_x2apic())
		return (uint32_t)rdmsr(MSR_X2APIC_ID);
	return *lapic_mmio(APIC_ID) >> 24;
}

/*
 * Send an IPI: ICR low dword lo, physical destination dest (ignored with a
 * shorthand). On xAPIC the ICR's high half is put back afterwards: odv-hv may
 * send from a VM exit that came between the guest's two ICR writes (an MSI of
 * a virtual device), and the guest's destination must still be there.
 */
void lapic_send(uint32_t lo, uint32_t dest)
{
	if (lapic_x2apic()) {
		wrmsr(MSR_X2APIC_ICR, ((uint64_t)dest << 32) | lo);
		return;
	}
	uint32_t hi = *lapic_mmio(APIC_ICR_HI);
	*lapic_mmio(APIC_ICR_HI) = dest << 24;
	*lapic_mmio(APIC_ICR_LO) = lo;
	*lapic_mmio(APIC_ICR_HI) = hi;
}

/* Wait until the xAPIC has delivered the last IPI (x2APIC has no such bit): 0, or -1 after ~10 ms. */
int lapic_wait_idle(void)
{
	if (lapic_x2apic())
		return 0;
	for (unsigned i = 0; i < 1000; i++) {
		if (!(*lapic_mmio(APIC_ICR_LO) & ICR_BUSY))
			return 0;
		udelay(10);
	}
	return -1;
}
