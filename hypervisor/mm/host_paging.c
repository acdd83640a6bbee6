/*
 * Changes to odv-hv's own page tables after boot: mapping a page at an
 * address the boot stub did not (the native-restore jump target).
 */
#include "hv.h"
#include "arch.h"

#define PTE_P   BIT(0)
#define PTE_RW  BIT(1)
#define PTE_PS  BIT(7)
#define PTE_ADDR 0x000ffffffffff000ull

int host_map_4k(uint64_t va, uint64_t pa)
{
	uint64_t *t = phys_to_virt(read_cr3() & PTE_ADDR);
	int top = (read_cr4() & CR4_LA57) ? 5 : 4;   /* kexec may leave us in 5-level paging */
	for (int level = top; level > 1; level--) {
		unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
		if (!(t[idx] & PTE_P)) {
			uint64_t phys;
			if (!page_alloc(&phys))
				return -1;
			t[idx] = phys | PTE_P | PTE_RW;
		} else if (t[idx] & PTE_PS) {
			return -1;          /* covered by a large page of ours: would clobber it */
		}
		t = phys_to_virt(t[idx] & PTE_ADDR);
	}
	t[(va >> 12) & 511] = (pa & PTE_ADDR) | PTE_P | PTE_RW;
	__asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
	return 0;
}
