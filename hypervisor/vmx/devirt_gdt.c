/* Temporary-GDT construction for devirtualization. Pure logic, unit-tested. */
#include "devirt.h"
#include "vmcs.h"

uint64_t seg_descriptor(uint64_t base, uint32_t limit, uint32_t ar)
{
	/* With G=1 the descriptor holds the limit in 4 KiB units. */
	uint32_t l = (ar & BIT(15)) ? limit >> 12 : limit;
	return (uint64_t)(l & 0xffff) |
	       ((base & 0xffffff) << 16) |
	       ((uint64_t)(ar & 0xff) << 40) |
	       ((uint64_t)((l >> 16) & 0xf) << 48) |
	       ((uint64_t)((ar >> 12) & 0xf) << 52) |
	       (((base >> 24) & 0xff) << 56);
}

int devirt_build_gdt(const struct seg_state s[SEG_COUNT], uint64_t *gdt, unsigned n, const char **err)
{
	unsigned top = 1;
	/* Which slot holds which kind of entry, so that a 16-byte system
	 * descriptor's upper half never silently takes another segment's slot. */
	enum { FREE = 0, SEG_LOW = 1, SYS_HIGH = 2 };
	uint8_t use[64] = { 0 };
	for (unsigned i = 0; i < n; i++)
		gdt[i] = 0;
	for (unsigned k = 0; k < SEG_COUNT; k++) {
		if (s[k].ar & AR_UNUSABLE)
			continue;                      /* loaded as a null selector */
		if (s[k].sel & 4) {
			*err = "a segment selector points into an LDT";
			return -1;
		}
		unsigned idx = s[k].sel >> 3;
		bool system = k == SEG_TR || k == SEG_LDTR;
		unsigned slots = system ? 2 : 1;    /* 64-bit system descriptors are 16 bytes */
		if (idx == 0) {
			*err = "a usable segment has a null selector";
			return -1;
		}
		if (idx + slots > n) {
			*err = "a selector index is beyond the temporary GDT";
			return -1;
		}
		uint32_t ar = s[k].ar;
		if (k == SEG_TR)
			ar = (ar & ~0xfu) | 0x9;         /* available 64-bit TSS: LTR marks it busy */
		uint64_t d = seg_descriptor(s[k].base, s[k].limit, ar);
		uint64_t hi = system ? s[k].base >> 32 : 0;
		if (idx + slots > sizeof(use)) {
			*err = "a selector index is beyond what the devirtualize path supports (512 bytes of GDT)";
			return -1;
		}
		if (use[idx] == SYS_HIGH || (system && use[idx + 1] != FREE && use[idx + 1] != SYS_HIGH) ||
		    (system && use[idx + 1] == SYS_HIGH && gdt[idx + 1] != hi)) {
			*err = "a segment overlaps the upper half of a 16-byte system descriptor";
			return -1;
		}
		if (use[idx] == SEG_LOW && (gdt[idx] != d || (system && gdt[idx + 1] != hi))) {
			*err = "two segments share a selector but differ in hidden state";
			return -1;
		}
		gdt[idx] = d;
		use[idx] = SEG_LOW;
		if (system) {
			gdt[idx + 1] = hi;
			use[idx + 1] = SYS_HIGH;
		}
		if (idx + slots > top)
			top = idx + slots;
	}
	return (int)(top * 8 - 1);
}
