/*
 * Reading guest memory by linear address, for the few exits that must look at
 * the guest's instruction bytes (lapic_trap.c). The guest's own page tables
 * are walked (4- or 5-level long mode, or no paging); EPT is an identity map,
 * so the result is a host-physical address odv-hv reads through its direct
 * map (mm/direct_map.c). odv-hv's own region is never read on the guest's
 * behalf.
 */
#include "hv.h"
#include "arch.h"
#include "paging.h"
#include "mm.h"
#include "vmcs.h"
#include "vmx.h"


/*
 * Is guest-physical [pa, pa + len) RAM the guest owns: inside one RAM entry of
 * the memory map, in odv-hv's direct map, not odv-hv's region?
 * Only such memory is ever read or written on the guest's behalf: not MMIO
 * (reading a device register can have effects), not odv-hv itself.
 */
bool guest_ram_range(uint64_t pa, uint64_t len)
{
	uint64_t end = pa + len;
	if (!direct_map_covers(pa, len))
		return false;
	if (end > hv.load_base && pa < hv.load_base + hv.size)
		return false;
	for (unsigned i = 0; i < hv.boot.nr_mmap; i++) {
		const struct mem_range *m = &hv.boot.mmap[i];
		if (m->type == MEM_RAM && pa >= m->base && end <= m->base + m->len)
			return true;
	}
	return false;
}

static const void *phys(uint64_t pa, unsigned len)
{
	return guest_ram_range(pa, len) ? phys_to_virt(pa) : NULL;
}

static void *guest_table(void *ctx, uint64_t pa) { return (void *)phys(pa, PAGE_SIZE); }

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
	/* Tables are read only where they are the guest's RAM (guest_ram_range). */
	struct pt_env env = { NULL, guest_table, NULL };
	struct pt_leaf leaf;
	if (pt_lookup(&pt_x86, &env, vmread(VMCS_GUEST_CR3), (cr4 & CR4_LA57) ? 5 : 4, la, &leaf))
		return -1;
	*pa = leaf.pa;
	return 0;
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

/*
 * The instruction at the guest's RIP, for the exits that emulate it (a store
 * to the local APIC page, an access to a device BAR). Fills up to 15 bytes
 * and whether CS is a 64-bit segment; 0, or -1 with *err (nothing readable,
 * or 16-bit code, whose operand and address sizes the decoders do not handle).
 */
int guest_fetch_insn(uint8_t code[15], unsigned *n, bool *long64, const char **err)
{
	uint64_t cs_ar = vmread(VMCS_GUEST_CS_AR);
	*long64 = (cs_ar >> 13) & 1;                    /* CS.L */
	if (!*long64 && !((cs_ar >> 14) & 1)) {         /* neither CS.L nor CS.D */
		*err = "16-bit code segment (operand and address sizes differ)";
		return -1;
	}
	*n = guest_read_linear(vmread(VMCS_GUEST_CS_BASE) + vmread(VMCS_GUEST_RIP), code, 15);
	if (!*n) {
		*err = "no instruction bytes readable";
		return -1;
	}
	return 0;
}

/* The guest completed an instruction of len bytes: RIP past it (32-bit code wraps), and no STI / MOV SS blocking any more. */
void guest_skip_insn(unsigned len)
{
	uint64_t next = vmread(VMCS_GUEST_RIP) + len;
	bool long64 = (vmread(VMCS_GUEST_CS_AR) >> 13) & 1;
	vmwrite(VMCS_GUEST_RIP, long64 ? next : (uint32_t)next);
	uint64_t intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
	if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS))
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(uint64_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS));
}
