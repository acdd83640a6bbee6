/* The region registry (region.h). Pure logic, unit-tested on the host. */
#include "region.h"

int region_add_mmio(struct region_table *t, const struct mmio_region *r)
{
	if (t->nr_mmio == MAX_MMIO_REGIONS || !r->size || r->base + r->size < r->base)
		return -1;
	t->mmio[t->nr_mmio] = *r;
	return (int)t->nr_mmio++;
}

int region_add_pio(struct region_table *t, const struct pio_region *r)
{
	if (t->nr_pio == MAX_PIO_REGIONS || !r->count || (uint32_t)r->base + r->count > 0x10000)
		return -1;
	t->pio[t->nr_pio] = *r;
	return (int)t->nr_pio++;
}

void region_truncate(struct region_table *t, unsigned nr_mmio, unsigned nr_pio)
{
	if (nr_mmio < t->nr_mmio)
		t->nr_mmio = nr_mmio;
	if (nr_pio < t->nr_pio)
		t->nr_pio = nr_pio;
}

void region_mmio_move(struct region_table *t, int handle, uint64_t base)
{
	if (handle >= 0 && (unsigned)handle < t->nr_mmio) {
		t->mmio[handle].base = base;
		t->mmio[handle].off = false;
	}
}

void region_mmio_off(struct region_table *t, int handle)
{
	if (handle >= 0 && (unsigned)handle < t->nr_mmio)
		t->mmio[handle].off = true;
}

const struct mmio_region *region_find_mmio(const struct region_table *t, uint64_t gpa)
{
	const struct mmio_region *fallback = NULL;
	for (unsigned i = 0; i < t->nr_mmio; i++) {
		const struct mmio_region *r = &t->mmio[i];
		if (r->off || gpa < r->base || gpa - r->base >= r->size)
			continue;
		if (!r->fallback)
			return r;
		if (!fallback)
			fallback = r;
	}
	return fallback;
}

const struct pio_region *region_find_pio(const struct region_table *t, uint16_t port, unsigned size)
{
	for (unsigned i = 0; i < t->nr_pio; i++) {
		const struct pio_region *r = &t->pio[i];
		if ((uint32_t)port + size > r->base && port < (uint32_t)r->base + r->count)
			return r;
	}
	return NULL;
}
