/*
 * Busy-wait delays from the PIT (channel 2, gated through port 0x61): the one
 * timer every PC platform and emulator has at a known rate (1.193182 MHz), and
 * one the guest has not touched yet when odv-hv needs it (starting its CPUs).
 */
#include "hv.h"
#include "arch.h"

#define PIT_HZ 1193182u

/* One countdown of at most 65535 ticks (~54.9 ms) in mode 0. */
static void pit_wait_ticks(uint16_t ticks)
{
	uint8_t gate = inb(0x61);
	outb(0x61, (uint8_t)((gate & ~0x02) & ~0x01));   /* speaker off, gate low */
	outb(0x43, 0xb0);                                 /* ch2, lo/hi, mode 0, binary */
	outb(0x42, (uint8_t)ticks);
	outb(0x42, (uint8_t)(ticks >> 8));
	outb(0x61, (uint8_t)((gate & ~0x02) | 0x01));    /* gate high: count */
	/* OUT2 (port 0x61 bit 5) goes high when the count reaches zero. */
	for (uint32_t spins = 0; !(inb(0x61) & 0x20) && spins < 100000000u; spins++)
		cpu_relax();
	outb(0x61, gate);
}

void udelay(uint32_t us)
{
	while (us) {
		uint32_t chunk = us > 50000 ? 50000 : us;
		uint32_t ticks = (uint32_t)(((uint64_t)chunk * PIT_HZ + 999999) / 1000000);
		pit_wait_ticks((uint16_t)(ticks ? ticks : 1));
		us -= chunk;
	}
}

/* TSC ticks in a millisecond, measured against the PIT (at least 1). */
uint64_t tsc_per_ms(void)
{
	uint64_t t0 = rdtsc();
	udelay(10000);
	uint64_t t = (rdtsc() - t0) / 10;
	return t ? t : 1;
}
