/*
 * Test guest C: makes odv-hv meet something it does not handle.
 *   "guest-c invd"   executes INVD (an unconditional exit odv-hv has no handler for)
 *   "guest-c triple" loads an empty IDT and faults: a triple fault
 * odv-hv must print its dump and halt; the harness checks the dump.
 */
#include "guest.h"

extern char invd_insn[], triple_insn[];

int guest_main(struct odv_tg_info *info)
{
	const char *variant = info->cmdline;
	while (*variant && *variant != ' ')
		variant++;
	while (*variant == ' ')
		variant++;
	if (variant[0] == 'i') {
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
