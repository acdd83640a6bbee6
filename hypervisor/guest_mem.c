/*
 * Reading guest memory by linear address, for the few exits that must look at
 * the guest's instruction bytes (lapic_trap.c). The guest's own page tables
 * are walked (4- or 5-level long mode, or no paging); EPT is an identity map,
 * so the result is a host-physical address odv-hv reads through its identity
 * map of the low 4 GiB. odv-hv's own region is never read on the guest's
 * behalf.
 */
#include "hv.h"
#include "arch.h"

#define PTE_P  BIT(0)
#define PTE_PS BIT(7)
#define PTE_ADDR 0x000ffffffffff000ull

static const void *phys(uint64_t pa, unsigned len)
{
	if (pa + len > 4 * SZ_1G || pa + len < pa)
		return NULL;
	if (pa + len > hv.load_base && pa < hv.load_base + hv.size)
		return NULL;
	return phys_to_virt(pa);
}

/* Linear -> physical through the guest's tables; -1 if not mapped. */
static int walk(uint64_t la, uint64_t *pa)
{
	uint64_t cr0 = vmread(VMCS_GUEST_CR0), cr4 = vmread(VMCS_GUEST_CR4);
	if (!(cr0 & CR0_PG)) {
		*pa = la & 0xffffffffull;
		return 0;
	}
	if (!(vmread(VMCS_GUEST_EFER) & EFER_LMA))
		return -1;          /* 32-bit paging: no guest of odv-hv's needs it here */
	int levels = (cr4 & CR4_LA57) ? 5 : 4;
	uint64_t table = vmread(VMCS_GUEST_CR3) & PTE_ADDR;
	for (int l = levels; l >= 1; l--) {
		unsigned shift = 12 + 9 * (l - 1);
		const uint64_t *t = phys(table, PAGE_SIZE);
		if (!t)
			return -1;
		uint64_t e = t[(la >> shift) & 511];
		if (!(e & PTE_P))
			return -1;
		if (l == 1 || ((l == 2 || l == 3) && (e & PTE_PS))) {
			uint64_t mask = (1ull << shift) - 1;
			*pa = ((e & PTE_ADDR) & ~mask) | (la & mask);
			return 0;
		}
		table = e & PTE_ADDR;
	}
	return -1;
}

/* Copy up to len bytes at guest linear address la; returns how many could be read. */
unsigned guest_read_linear(uint64_t la, void *buf, unsigned len)
{
	uint8_t *out = buf;
	unsigned done = 0;
	while (done < len) {
		uint64_t pa;
		if (walk(la + done, &pa))
			break;
		unsigned chunk = (unsigned)(PAGE_SIZE - (pa & (PAGE_SIZE - 1)));
		if (chunk > len - done)
			chunk = len - done;
		const uint8_t *src = phys(pa, chunk);
		if (!src)
			break;
		for (unsigned i = 0; i < chunk; i++)
			out[done + i] = src[i];
		done += chunk;
	}
	return done;
}
