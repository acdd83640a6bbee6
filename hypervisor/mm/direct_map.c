/*
 * odv-hv's direct map: physical address == virtual address. The boot stub
 * maps the low 4 GiB (boot/mb2_entry.asm); once odv-hv knows the machine it
 * extends the map to everything it may touch: all RAM (the image and its
 * stream may lie anywhere), the firmware's reserved ranges, every 64-bit PCI
 * BAR and the VT-d registers. 1 GiB pages where the CPU has them
 * (CPUID.80000001H:EDX[26], Page1GB), 2 MiB pages otherwise.
 *
 * The tables come from the page pool (2 MiB, shared with the EPT, VT-d and
 * the restore's frame set), and the direct map takes at most
 * DIRECT_MAP_POOL_PAGES of it: with 1 GiB pages that is far beyond the
 * 128 TiB the lower half of 4-level paging can name (one table per
 * 512 GiB), with 2 MiB pages one table per GiB, so about 126 GiB. A larger
 * map is refused with a message saying so.
 */
#include "mm.h"
#include "arch.h"
#include "hv.h"
#include "paging.h"
#include "pci_host.h"

#define BOOT_MAP_TOP          (4 * SZ_1G)         /* what the boot stub maps */
#define DIRECT_MAP_LIMIT      ((uint64_t)128 << 40)      /* the lower half of 4-level paging (PML4 0-255) */
#define DIRECT_MAP_POOL_PAGES 128

static uint64_t mapped_top = BOOT_MAP_TOP;
static unsigned pool_used;

bool direct_map_covers(uint64_t pa, uint64_t len)
{
	return pa + len >= pa && pa + len <= mapped_top;
}

uint64_t direct_map_top(void)
{
	return mapped_top;
}

static bool cpu_has_1g_pages(void)
{
	uint32_t a, b, c, d;
	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x80000001)
		return false;
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	return d & BIT(26);
}

static void *dm_alloc(void *ctx, uint64_t *phys) { (void)ctx; return page_alloc(phys); }
static void *dm_ptr(void *ctx, uint64_t phys) { (void)ctx; return phys_to_virt(phys); }

int direct_map_extend(uint64_t end)
{
	end = ALIGN_UP(end, SZ_1G);
	if (end <= mapped_top)
		return 0;
	bool big = cpu_has_1g_pages();
	unsigned need = pt_identity_tables_max(mapped_top, end, big);
	if (end > DIRECT_MAP_LIMIT || pool_used + need > DIRECT_MAP_POOL_PAGES || need > page_pool_free()) {
		pr_err("direct map: cannot map 0x%lx-0x%lx: %u tables (%s pages) needed, the direct map may use "
		       "%u of odv-hv's pool (%u used, %u free), and reaches 0x%lx at most",
		       mapped_top, end, need, big ? "1 GiB" : "2 MiB", DIRECT_MAP_POOL_PAGES, pool_used,
		       page_pool_free(), DIRECT_MAP_LIMIT);
		return -1;
	}
	struct pt_env env = { dm_alloc, dm_ptr, NULL };
	struct pt_map_stats st;
	int levels = (read_cr4() & CR4_LA57) ? 5 : 4;   /* kexec may leave us in 5-level paging */
	int rc = pt_map_identity(&pt_x86, &env, read_cr3(), levels, mapped_top, end, big,
				 PTE_P | PTE_RW, &st);
	pool_used += st.tables;
	if (rc) {
		pr_err("direct map: mapping 0x%lx-0x%lx failed (a page there already, or out of pages)",
		       mapped_top, end);
		return -1;
	}
	/* Only new entries were written: nothing stale can be cached for them. */
	pr_info("direct map: 0-0x%lx: boot 4 GiB + %u x 1G + %u x 2M in %u new tables (1 GiB pages %s)",
		end, st.leaves_1g, st.leaves_2m, st.tables, big ? "used" : "unavailable");
	mapped_top = end;
	return 0;
}

/*
 * Everything the machine has, from the memory map odv-hv was given (RAM,
 * ACPI, NVS and reserved ranges alike) and the 64-bit BARs on bus 0. The
 * VT-d units' registers are added as the DMAR names them (vtd.c).
 */
int direct_map_machine(void)
{
	uint64_t top = pci_host_bars64_top();
	for (unsigned i = 0; i < hv.boot.nr_mmap; i++) {
		uint64_t e = hv.boot.mmap[i].base + hv.boot.mmap[i].len;
		if (e > top)
			top = e;
	}
	if (ALIGN_UP(top, SZ_1G) <= mapped_top) {
		pr_info("direct map: 0-0x%lx: the boot map covers the machine (top 0x%lx)", mapped_top, top);
		return 0;
	}
	return direct_map_extend(top);
}
