/* The real PCI configuration space on bus 0 (mechanism #1, ports 0xCF8/0xCFC), as odv-hv uses it. */
#ifndef ODV_PCI_HOST_H
#define ODV_PCI_HOST_H
#include "types.h"

/* Configuration mechanism #1: address at 0xCF8, data at 0xCFC-0xCFF (8 ports in all). */
#define PCI_HOST_CF8 0xcf8u

uint32_t pci_host_read(void *ctx, uint16_t bdf, unsigned off, unsigned size);
void pci_host_write(void *ctx, uint16_t bdf, unsigned off, unsigned size, uint32_t val);
/* The size mask of BAR b (what it reads back after all ones, type bits cleared). */
uint32_t pci_host_bar_mask(uint16_t bdf, unsigned b, bool io);
/* The first function on bus 0 with this class << 8 | subclass (e.g. 0x0101, IDE): 0, or -1. */
int pci_host_find_class(uint16_t class, uint16_t *bdf);
/* The highest end of a 32-bit memory BAR on bus 0 below limit, or floor if none is higher. */
uint32_t pci_host_bars_top(uint32_t floor, uint32_t limit);
/* A 64-bit memory BAR b (and b + 1): 0 with its address and size, or -1 if b is not one. */
int pci_host_bar64(uint16_t bdf, unsigned b, uint64_t *base, uint64_t *size);
/* The end of the highest 64-bit memory BAR on bus 0 (bridges skipped), or 0 if none. */
uint64_t pci_host_bars64_top(void);

#endif
