/*
 * Devirtualize: hand the CPU back to the guest natively (docs/ARCHITECTURE.md,
 * "go-native"). Every piece of guest state in the VMCS is loaded into the
 * real CPU, VMX is switched off and the guest continues at the
 * instruction after its request, on bare metal. EPT was an identity map,
 * so no memory moves.
 *
 * The hard part is the last instruction: odv-hv runs on its own page
 * tables, the guest's CR3 does not map odv-hv, and after MOV CR3 the very
 * next fetch must be the guest's. So the final MOV CR3 is placed in an
 * "alias" page that small devirt page tables map at the guest's RIP page,
 * such that the MOV CR3 ends exactly at the guest RIP. MOV CR3 is
 * serializing, so the next fetch goes through the guest's own tables.
 *
 * Segment registers are rebuilt without reading guest memory: a
 * temporary GDT holds, at the guest's selector indexes, descriptors with
 * the hidden state from the VMCS; after loading the selectors from it,
 * the guest's own GDTR/IDTR are loaded (registers only).
 *
 * Window of exposure: from LIDT(guest) to the final MOV CR3 an NMI or
 * exception would be delivered through the guest IDT while odv-hv's
 * tables are live. Interrupts are off; NMIs in that window of a few dozen
 * instructions are not handled (see the closing note of issue 2).
 */
#include "hv.h"
#include "percpu.h"
#include "vtd.h"
#include "arch.h"
#include "devirt.h"
#include "odv_abi.h"
#include "vmcs.h"
#include "vcpu.h"
#include "vmx.h"
#include "paging.h"

extern char devirt_tramp[], devirt_tramp_end[], devirt_tail[], devirt_tail_end[];
void devirt_finish(uint64_t ctx_phys, uint64_t tramp_phys) __noreturn;

#define TMP_GDT_ENTRIES 8192
static uint64_t tmp_gdt[TMP_GDT_ENTRIES] __aligned(4096);
static struct devirt_ctx ctx;
static uint8_t alias[2][PAGE_SIZE] __aligned(4096);
#define DEVIRT_PT_PAGES 16
static uint64_t pt_pool[DEVIRT_PT_PAGES][512] __aligned(4096);
static unsigned pt_used;

static uint64_t *pt_alloc(void)
{
	if (pt_used >= DEVIRT_PT_PAGES)
		return NULL;
	uint64_t *p = pt_pool[pt_used++];
	for (unsigned i = 0; i < 512; i++)
		p[i] = 0;
	return p;
}

static void *devirt_pt_alloc(void *ctx, uint64_t *phys)
{
	uint64_t *p = pt_alloc();
	if (p)
		*phys = hv_virt_to_phys(p);
	return p;
}
static void *devirt_pt_ptr(void *ctx, uint64_t phys) { return phys_to_virt(phys); }

/* Map one 4 KiB page va -> pa in the devirt tables; -1 if va is taken by another page. */
static int map4k(uint64_t *pml4, uint64_t va, uint64_t pa)
{
	struct pt_env env = { devirt_pt_alloc, devirt_pt_ptr, NULL };
	/* present, writable, supervisor, not global */
	return pt_map_4k(&pt_x86, &env, hv_virt_to_phys(pml4), 4, va, pa, PTE_P | PTE_RW, false);
}

static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

static void read_seg(unsigned k, struct seg_state *s)
{
	/* ES, CS, SS, DS, FS, GS, LDTR, TR: the encodings step by 2 in that order. */
	s->sel = (uint16_t)vmread(VMCS_GUEST_ES_SEL + 2 * k);
	s->limit = (uint32_t)vmread(VMCS_GUEST_ES_LIMIT + 2 * k);
	s->ar = (uint32_t)vmread(VMCS_GUEST_ES_AR + 2 * k);
	s->base = vmread(VMCS_GUEST_ES_BASE + 2 * k);
}

static uint16_t usable_sel(const struct seg_state *s)
{
	return (s->ar & AR_UNUSABLE) ? 0 : s->sel;
}

/* What this version can hand back: a 64-bit guest at CPL 0, 4-level paging. NULL, or why not. */
static const char *devirt_check(struct seg_state *seg, uint64_t rip, uint64_t cr3, uint64_t cr4)
{
	const char *err = NULL;
	if (!(vmread(VMCS_ENTRY_CONTROLS) & ENTRY_CTL_IA32E_GUEST))
		return "guest is not in 64-bit mode";
	if ((cr4 & CR4_LA57) != (read_cr4() & CR4_LA57))
		return "guest uses 5-level paging";
	if (!canonical(rip - 16))
		return "guest RIP too close to the canonical hole";
	if (devirt_build_gdt(seg, tmp_gdt, TMP_GDT_ENTRIES, &err) < 0)
		return err ? err : "temporary GDT";
	if ((cr4 & CR4_PCIDE) && (cr3 & 0xfff)) {
		uint32_t a, b, c, d;
		cpuid(7, 0, &a, &b, &c, &d);
		if (!(b & BIT(10)))
			return "guest uses PCIDs but the CPU has no INVPCID";
	}
	return NULL;
}

/*
 * The devirt tables: the trampoline and ctx at their identity addresses,
 * the tail aliased just below the guest's RIP. NULL, or why not.
 */
static const char *devirt_map(uint64_t rip, uint64_t rflags, uint64_t **pml4_out)
{
	const char *err = NULL;
	pt_used = 0;
	uint64_t *pml4 = pt_alloc();
	uint64_t tramp = hv_virt_to_phys(devirt_tramp);
	uint64_t tramp_end = hv_virt_to_phys(devirt_tramp_end);
	for (uint64_t pa = ALIGN_DOWN(tramp, PAGE_SIZE); pa < tramp_end; pa += PAGE_SIZE)
		if (map4k(pml4, pa, pa))
			err = "trampoline mapping failed";
	uint64_t ctxp = hv_virt_to_phys(&ctx);
	if (map4k(pml4, ctxp, ctxp))
		err = "context mapping failed";

	size_t tail_len = (size_t)(devirt_tail_end - devirt_tail);
	uint64_t off = PAGE_SIZE + (rip & 0xfff) - tail_len;   /* in the 2-page alias buffer */
	uint8_t *buf = &alias[0][0];
	for (size_t i = 0; i < tail_len; i++)
		buf[off + i] = (uint8_t)devirt_tail[i];
	/* The NOP before MOV CR3 becomes STI when the guest runs with IF=1. */
	buf[off + tail_len - 4] = (rflags & RFLAGS_IF) ? 0xfb : 0x90;
	uint64_t page = ALIGN_DOWN(rip, PAGE_SIZE);
	if (map4k(pml4, page, hv_virt_to_phys(alias[1])))
		err = "guest RIP page collides with odv-hv's trampoline";
	if (off < PAGE_SIZE && map4k(pml4, page - PAGE_SIZE, hv_virt_to_phys(alias[0])))
		err = "guest RIP page collides with odv-hv's trampoline";
	ctx.alias_tail = rip - tail_len;
	*pml4_out = pml4;
	return err;
}

/* The guest state the CPU gets back natively, read from the VMCS before it is cleared. */
struct native_state {
	struct dtr gdtr, idtr;
	uint64_t fs_base, gs_base, sysenter_cs, sysenter_esp, sysenter_eip, debugctl, dr7, pat;
	uint64_t efer, cr0, cr4;
};

static void read_native_state(struct native_state *n, uint64_t cr0, uint64_t cr4)
{
	n->gdtr = (struct dtr){ (uint16_t)vmread(VMCS_GUEST_GDTR_LIMIT), vmread(VMCS_GUEST_GDTR_BASE) };
	n->idtr = (struct dtr){ (uint16_t)vmread(VMCS_GUEST_IDTR_LIMIT), vmread(VMCS_GUEST_IDTR_BASE) };
	n->fs_base = vmread(VMCS_GUEST_FS_BASE);
	n->gs_base = vmread(VMCS_GUEST_GS_BASE);
	n->sysenter_cs = vmread(VMCS_GUEST_SYSENTER_CS);
	n->sysenter_esp = vmread(VMCS_GUEST_SYSENTER_ESP);
	n->sysenter_eip = vmread(VMCS_GUEST_SYSENTER_EIP);
	n->debugctl = vmread(VMCS_GUEST_DEBUGCTL);
	n->dr7 = vmread(VMCS_GUEST_DR7);
	bool pat_saved = vmread(VMCS_EXIT_CONTROLS) & EXIT_CTL_SAVE_PAT;
	n->pat = pat_saved ? vmread(VMCS_GUEST_PAT) : rdmsr(MSR_IA32_PAT);
	n->efer = vmread(VMCS_GUEST_EFER);
	uint64_t shadow0 = vmread(VMCS_CR0_SHADOW), mask0 = vmread(VMCS_CR0_MASK);
	uint64_t shadow4 = vmread(VMCS_CR4_SHADOW), mask4 = vmread(VMCS_CR4_MASK);
	/* Bits odv-hv owned go back to what the guest believes it wrote. */
	n->cr0 = (cr0 & ~mask0) | (shadow0 & mask0);
	n->cr4 = ((cr4 & ~mask4) | (shadow4 & mask4)) & ~CR4_VMXE;
	/* NE is required by VMX but a native guest may keep it; never clear PE/PG here. */
	n->cr0 |= CR0_PE | CR0_PG;
}

/* Out of VMX: the guest's segments, MSRs and control registers into the real CPU. */
static void load_native_state(const struct seg_state *seg, const struct native_state *n)
{
	struct dtr tmp = { (uint16_t)(TMP_GDT_ENTRIES * 8 - 1), (uint64_t)tmp_gdt };
	/* Segments from the temporary GDT: CS by far return, then data, LDTR, TR. */
	__asm__ volatile(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:"
		:: "m"(tmp), "r"((uint64_t)seg[SEG_CS].sel) : "rax", "memory");
	__asm__ volatile("movw %0, %%ss" :: "r"(usable_sel(&seg[SEG_SS])));
	__asm__ volatile("movw %0, %%ds" :: "r"(usable_sel(&seg[SEG_DS])));
	__asm__ volatile("movw %0, %%es" :: "r"(usable_sel(&seg[SEG_ES])));
	__asm__ volatile("movw %0, %%fs" :: "r"(usable_sel(&seg[SEG_FS])));
	__asm__ volatile("movw %0, %%gs" :: "r"(usable_sel(&seg[SEG_GS])));
	__asm__ volatile("lldt %0" :: "r"(usable_sel(&seg[SEG_LDTR])));
	if (!(seg[SEG_TR].ar & AR_UNUSABLE))
		__asm__ volatile("ltr %0" :: "r"(seg[SEG_TR].sel));
	/* Selector loads set 32-bit bases; the full 64-bit ones come from the MSRs. */
	wrmsr(MSR_IA32_FS_BASE, n->fs_base);
	wrmsr(MSR_IA32_GS_BASE, n->gs_base);
	wrmsr(MSR_IA32_SYSENTER_CS, n->sysenter_cs);
	wrmsr(MSR_IA32_SYSENTER_ESP, n->sysenter_esp);
	wrmsr(MSR_IA32_SYSENTER_EIP, n->sysenter_eip);
	wrmsr(MSR_IA32_DEBUGCTL, n->debugctl);
	wrmsr(MSR_IA32_PAT, n->pat);
	wrmsr(MSR_IA32_EFER, (n->efer & ~EFER_LMA) | (rdmsr(MSR_IA32_EFER) & EFER_LMA));
	__asm__ volatile("mov %0, %%dr7" :: "r"(n->dr7));
	write_cr0(n->cr0);
	write_cr4(n->cr4);
	/* From here on the guest's descriptor tables are live. */
	__asm__ volatile("lgdt %0\n\tlidt %1" :: "m"(n->gdtr), "m"(n->idtr) : "memory");
}

/* Is v the last CPU leaving VMX (go-native hands the boot CPU back last)? */
static bool last_in_vmx(const struct vcpu *v)
{
	for (unsigned i = 0; i < nr_cpus; i++)
		if (&percpus[i].vcpu != v && percpus[i].state == CPU_IN_VMX)
			return false;
	return true;
}

int devirt(struct vcpu *v)
{
	struct seg_state seg[SEG_COUNT];
	for (unsigned k = 0; k < SEG_COUNT; k++)
		read_seg(k, &seg[k]);
	uint64_t cr0 = vmread(VMCS_GUEST_CR0), cr3 = vmread(VMCS_GUEST_CR3), cr4 = vmread(VMCS_GUEST_CR4);
	uint64_t rip = vmread(VMCS_GUEST_RIP), rflags = vmread(VMCS_GUEST_RFLAGS);
	bool pcide = cr4 & CR4_PCIDE;
	uint64_t *pml4 = NULL;
	const char *err = devirt_check(seg, rip, cr3, cr4);
	if (!err)
		err = devirt_map(rip, rflags, &pml4);
	if (err) {
		pr_err("devirtualize refused: %s", err);
		return -1;
	}

	ctx.devirt_cr3 = hv_virt_to_phys(pml4) | (pcide ? (cr3 & 0xfff) : 0);
	ctx.guest_cr3 = cr3;
	ctx.invpcid = pcide && (cr3 & 0xfff);
	ctx.invpcid_desc[0] = 0;          /* PCID 0: odv-hv's own */
	ctx.invpcid_desc[1] = 0;
	ctx.rflags = rflags & ~RFLAGS_IF;
	for (unsigned i = 0; i < 16; i++)
		ctx.gpr[i] = ((uint64_t *)&v->regs)[i];
	ctx.gpr[4] = vmread(VMCS_GUEST_RSP);
	struct native_state n;
	read_native_state(&n, cr0, cr4);

	selfcheck_end("devirtualize");
	pr_info("devirtualize: leaving VMX after %lu exits; guest continues natively at rip=0x%lx",
		v->exits_total, rip);
	if (vmclear(v->vmcs_phys) || vmxoff()) {
		pr_err("devirtualize: VMCLEAR/VMXOFF failed");
		hv_halt("cannot leave VMX");
	}
	write_cr4(read_cr4() & ~CR4_VMXE);
	if (last_in_vmx(v))
		vtd_disable();      /* the kernel had DMA remapping off; it continues so */
	load_native_state(seg, &n);
	devirt_finish(hv_virt_to_phys(&ctx), hv_virt_to_phys(devirt_tramp));
}
