/*
 * odv-hv's own GDT, TSS and IDT. The VMCS host state points at them; any
 * exception taken in VMX root is odv-hv's bug unless an instruction has a
 * registered fixup (rdmsr_safe/wrmsr_safe), so the handler dumps and halts.
 */
#include "hv.h"
#include "arch.h"

struct __packed tss64 {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3, iomap_base;
};

struct __packed idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, rsvd;
};

struct exc_frame {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS  0x18

static uint64_t gdt[5] __aligned(16);
static struct tss64 tss __aligned(16);
static struct idt_gate idt[32] __aligned(16);
static uint8_t nmi_stack[4096] __aligned(16);
extern char exception_stubs[];
extern const uint64_t __fixup_start[], __fixup_end[];

uint16_t host_tr_selector(void) { return SEL_TSS; }
uint64_t host_tss_base(void) { return (uint64_t)&tss; }

void host_tables_init(void)
{
	gdt[0] = 0;
	gdt[1] = 0x00AF9A000000FFFFull;            /* 64-bit code */
	gdt[2] = 0x00CF92000000FFFFull;            /* data */
	uint64_t b = (uint64_t)&tss, l = sizeof(tss) - 1;
	gdt[3] = (l & 0xffff) | ((b & 0xffffff) << 16) | (0x89ull << 40) |
		 (((l >> 16) & 0xf) << 48) | (((b >> 24) & 0xff) << 56);
	gdt[4] = b >> 32;
	tss.iomap_base = sizeof(tss);
	tss.ist[0] = (uint64_t)(nmi_stack + sizeof(nmi_stack));

	for (unsigned v = 0; v < 32; v++) {
		uint64_t h = (uint64_t)(exception_stubs + 16 * v);
		idt[v] = (struct idt_gate){
			.off_lo = (uint16_t)h, .sel = SEL_CODE,
			.ist = v == 2 || v == 8 ? 1 : 0,   /* NMI and #DF on a known-good stack */
			.type = 0x8e, .off_mid = (uint16_t)(h >> 16), .off_hi = (uint32_t)(h >> 32),
		};
	}
	struct dtr g = { sizeof(gdt) - 1, (uint64_t)gdt }, i = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile(
		"lgdt %0\n\t"
		"lidt %1\n\t"
		"pushq %2\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw %w3, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%ss\n\t"
		"xorl %%eax, %%eax\n\t"
		"movw %%ax, %%fs\n\t"
		"movw %%ax, %%gs\n\t"
		"ltr %w4"
		:: "m"(g), "m"(i), "i"((uint64_t)SEL_CODE), "r"(SEL_DATA), "r"(SEL_TSS) : "rax", "memory");
}

void hv_exception(struct exc_frame *f)
{
	if (f->vector == 13) {
		for (const uint64_t *e = __fixup_start; e < __fixup_end; e += 2) {
			if (e[0] == f->rip) {
				f->rip = e[1];
				return;
			}
		}
	}
	if (f->vector == 2) {
		/* An NMI in VMX root: the guest should see it; note it for the next entry. */
		if (hv.bsp)
			hv.bsp->nmi_pending = true;
		return;
	}
	pr_err("odv-hv exception %lu error=0x%lx at rip=0x%lx cs=0x%lx rflags=0x%lx rsp=0x%lx",
	       f->vector, f->error, f->rip, f->cs, f->rflags, f->rsp);
	pr_err("  rax=0x%lx rbx=0x%lx rcx=0x%lx rdx=0x%lx rsi=0x%lx rdi=0x%lx cr2=0x%lx",
	       f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, read_cr2());
	hv_halt("exception in odv-hv");
}
