/*
 * The real configuration space, read and written by odv-hv itself (while
 * it sets devices up, and for the functions it shows the guest through
 * drivers/pci_cfg.c). Bus 0 only: odv-hv takes over nothing behind a bridge.
 */
#include "pci_host.h"
#include "arch.h"
#include "pci_cfg.h"

uint32_t pci_host_read(void *ctx, uint16_t bdf, unsigned off, unsigned size)
{
	outl(PCI_HOST_CF8, 0x80000000u | ((uint32_t)bdf << 8) | (off & 0xfc));
	return port_in((uint16_t)(0xcfc + (off & 3)), size);
}

void pci_host_write(void *ctx, uint16_t bdf, unsigned off, unsigned size, uint32_t val)
{
	outl(PCI_HOST_CF8, 0x80000000u | ((uint32_t)bdf << 8) | (off & 0xfc));
	port_out((uint16_t)(0xcfc + (off & 3)), size, val);
}

/* Sized with decoding off meanwhile: all ones is no place for a BAR. */
uint32_t pci_host_bar_mask(uint16_t bdf, unsigned b, bool io)
{
	unsigned off = PCI_BAR0 + 4 * b;
	uint32_t cmd = pci_host_read(NULL, bdf, PCI_COMMAND, 2), bar = pci_host_read(NULL, bdf, off, 4);
	pci_host_write(NULL, bdf, PCI_COMMAND, 2, cmd & ~3u);
	pci_host_write(NULL, bdf, off, 4, 0xffffffffu);
	uint32_t mask = pci_host_read(NULL, bdf, off, 4) & (io ? ~3u : ~0xfu);
	pci_host_write(NULL, bdf, off, 4, bar);
	pci_host_write(NULL, bdf, PCI_COMMAND, 2, cmd);
	return mask;
}

static bool present(uint16_t bdf)
{
	return (pci_host_read(NULL, bdf, 0, 4) & 0xffff) != 0xffff;
}

int pci_host_find_class(uint16_t class, uint16_t *bdf)
{
	for (unsigned dev = 0; dev < 32; dev++)
		for (unsigned fn = 0; fn < 8; fn++) {
			uint16_t b = PCI_BDF(0, dev, fn);
			if (present(b) && (pci_host_read(NULL, b, 8, 4) >> 16) == class) {
				*bdf = b;
				return 0;
			}
		}
	return -1;
}

/*
 * The next function on bus 0 after *bdf (start with 0xffff) that has six
 * BARs: present, header type 0. Bridges are skipped: their registers at
 * 0x10-0x24 are not six BARs. false when there is none.
 */
static bool next_endpoint(uint16_t *bdf)
{
	for (unsigned i = *bdf == 0xffff ? 0 : (*bdf & 0xff) + 1; i < 256; i++) {
		uint16_t b = PCI_BDF(0, i >> 3, i & 7);
		if (present(b) && (pci_host_read(NULL, b, PCI_HEADER_TYPE, 1) & 0x7f) == 0) {
			*bdf = b;
			return true;
		}
	}
	return false;
}

uint32_t pci_host_bars_top(uint32_t floor, uint32_t limit)
{
	uint32_t top = floor;
	for (uint16_t bdf = 0xffff; next_endpoint(&bdf);)
		for (unsigned b = 0; b < 6; b++) {
			uint32_t bar = pci_host_read(NULL, bdf, PCI_BAR0 + 4 * b, 4);
			if ((bar & 1) || (bar & ~0xfu) == 0)
				continue;
			uint32_t end = (bar & ~0xfu) + (~pci_host_bar_mask(bdf, b, false) + 1);
			if (end > top && end <= limit)
				top = end;
			if (((bar >> 1) & 3) == 2)
				b++;          /* 64-bit BAR: the next one is its high half */
		}
	return top;
}

/* The upper half of a 64-bit memory BAR's size mask, sized as the lower one. */
static uint32_t bar_mask_high(uint16_t bdf, unsigned b)
{
	unsigned off = PCI_BAR0 + 4 * (b + 1);
	uint32_t cmd = pci_host_read(NULL, bdf, PCI_COMMAND, 2), bar = pci_host_read(NULL, bdf, off, 4);
	pci_host_write(NULL, bdf, PCI_COMMAND, 2, cmd & ~3u);
	pci_host_write(NULL, bdf, off, 4, 0xffffffffu);
	uint32_t mask = pci_host_read(NULL, bdf, off, 4);
	pci_host_write(NULL, bdf, off, 4, bar);
	pci_host_write(NULL, bdf, PCI_COMMAND, 2, cmd);
	return mask;
}

int pci_host_bar64(uint16_t bdf, unsigned b, uint64_t *base, uint64_t *size)
{
	uint32_t lo = pci_host_read(NULL, bdf, PCI_BAR0 + 4 * b, 4);
	if (b > 4 || (lo & 1) || ((lo >> 1) & 3) != 2)
		return -1;
	uint64_t mask = (uint64_t)bar_mask_high(bdf, b) << 32 | pci_host_bar_mask(bdf, b, false);
	*base = (uint64_t)pci_host_read(NULL, bdf, PCI_BAR0 + 4 * (b + 1), 4) << 32 | (lo & ~0xfu);
	*size = ~mask + 1;
	return 0;
}

/* Every 64-bit BAR window on bus 0 (endpoints only, as above): the end of the highest. */
uint64_t pci_host_bars64_top(void)
{
	uint64_t top = 0;
	for (uint16_t bdf = 0xffff; next_endpoint(&bdf);)
		for (unsigned b = 0; b < 5; b++) {
			uint64_t base, size;
			if (pci_host_bar64(bdf, b, &base, &size))
				continue;
			if (base && base + size > top)
				top = base + size;
			b++;          /* the high half */
		}
	return top;
}
