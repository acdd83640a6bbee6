/*
 * Test guest C: makes odv-hv meet something it does not handle.
 *   "guest-c invd"   executes INVD (an unconditional exit odv-hv has no handler for)
 *   "guest-c triple" loads an empty IDT and faults: a triple fault
 *   "guest-c smp-invd" (2 CPUs) starts CPU 1 in a real-mode loop, then INVD on
 *                    CPU 0: odv-hv must stop the guest on CPU 1 too, and say so
 * odv-hv must print its dump and halt; the harness checks the dump.
 */
#include "guest.h"

extern char invd_insn[], triple_insn[];

#define LAPIC       0xfee00000ull
#define AP_CODE     0x8000u     /* SIPI vector 0x08 */
#define AP_COUNTER  0x7000u

static void lapic_icr(uint32_t lo)
{
	volatile uint32_t *icr_hi = (volatile uint32_t *)(LAPIC + 0x310), *icr_lo = (volatile uint32_t *)(LAPIC + 0x300);
	*icr_hi = 0;
	*icr_lo = lo;
	for (int i = 0; i < 1000000 && (*icr_lo & 0x1000); i++)
		__asm__ volatile("pause");
}

/* CPU 1 runs "inc word [0x7000]; jmp $-4" in real mode: a vCPU in the guest, busy. */
static bool start_ap(void)
{
	static const uint8_t loop[] = { 0xff, 0x06, AP_COUNTER & 0xff, AP_COUNTER >> 8, 0xeb, 0xfa };
	volatile uint16_t *counter = (volatile uint16_t *)(uint64_t)AP_COUNTER;
	for (unsigned i = 0; i < sizeof(loop); i++)
		((volatile uint8_t *)(uint64_t)AP_CODE)[i] = loop[i];
	*counter = 0;
	lapic_icr(0x000c4500);                 /* INIT, all excluding self */
	lapic_icr(0x000c4600 | (AP_CODE >> 12));   /* SIPI */
	for (unsigned long i = 0; i < 2000000ul; i++) {
		uint32_t a, b, c, d;
		g_cpuid(0, &a, &b, &c, &d);    /* an exit each time round (see the scenario) */
		if (*counter > 100) {
			gprintf("cpu 1 runs the real-mode loop at 0x%x (counter %u)\n", AP_CODE, *counter);
			return true;
		}
	}
	gprintf("FAIL cpu 1 did not start (counter %u)\n", *counter);
	return false;
}

int guest_main(struct odv_tg_info *info)
{
	const char *variant = info->cmdline;
	while (*variant && *variant != ' ')
		variant++;
	while (*variant == ' ')
		variant++;
	if (variant[0] == 's' && !start_ap()) {
		/* said why */
	} else if (variant[0] == 'i' || variant[0] == 's') {
		gprintf("executing INVD at rip 0x%lx\n", (uint64_t)invd_insn);
		__asm__ volatile(".globl invd_insn\ninvd_insn: invd" ::: "memory");
		gprintf("FAIL INVD returned\n");
	} else if (variant[0] == 't') {
		gprintf("triple fault: empty IDT, then ud2 at rip 0x%lx\n", (uint64_t)triple_insn);
		struct { uint16_t l; uint64_t b; } __attribute__((packed)) empty = { 0, 0 };
		__asm__ volatile("lidt %0\n.globl triple_insn\ntriple_insn: ud2" :: "m"(empty) : "memory");
		gprintf("FAIL still running after the fault\n");
	} else {
		gprintf("FAIL unknown variant '%s'\n", variant);
	}
	guest_failures++;
	return 0;
}
