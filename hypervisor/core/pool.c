/*
 * Page pool: a fixed array in odv-hv's bss (inside its own region, so the
 * guest can never see it). Pages are never freed: odv-hv allocates its
 * tables once at start-up.
 */
#include "hv.h"
#include "arch.h"

#define POOL_PAGES 512          /* 2 MiB */
static uint8_t pool[POOL_PAGES][PAGE_SIZE] __aligned(4096);
static unsigned used;

unsigned page_pool_free(void)
{
	return POOL_PAGES - used;
}

void *page_alloc(uint64_t *phys)
{
	if (used >= POOL_PAGES) {
		pr_err("page pool exhausted (%u pages)", POOL_PAGES);
		return NULL;
	}
	uint8_t *p = pool[used++];
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		p[i] = 0;
	*phys = hv_virt_to_phys(p);
	return p;
}
