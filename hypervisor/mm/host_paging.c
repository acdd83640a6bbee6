/*
 * Changes to odv-hv's own page tables after boot: mapping a page at an
 * address the boot stub did not (the native-restore jump target).
 */
#include "mm.h"
#include "arch.h"
#include "hv.h"
#include "paging.h"

static void *host_alloc(void *ctx, uint64_t *phys) { return page_alloc(phys); }
static void *host_ptr(void *ctx, uint64_t phys) { return phys_to_virt(phys); }

int host_map_4k(uint64_t va, uint64_t pa)
{
	struct pt_env env = { host_alloc, host_ptr, NULL };
	int levels = (read_cr4() & CR4_LA57) ? 5 : 4;   /* kexec may leave us in 5-level paging */
	if (pt_map_4k(&pt_x86, &env, read_cr3(), levels, va, pa, PTE_P | PTE_RW, true))
		return -1;
	__asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
	return 0;
}
