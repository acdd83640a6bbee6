/*
 * odv-hv's own GDT, TSS and IDT. The VMCS host state points at them; any
 * exception taken in VMX root is odv-hv's bug unless an instruction has a
 * registered fixup (rdmsr_safe/wrmsr_safe), so the handler dumps and halts.
 */
#include "hv.h"
#include "arch.h"
#include "percpu.h"

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

#define SEL_TSS0 0x18          /* CPU i's TSS at SEL_TSS0 + 16 * i (16-byte descriptors) */
#define MSR_GS_BASE 0xc0000101

struct percpu percpus[MAX_CPUS] __aligned(4096);
unsigned nr_cpus = 1;

/* One GDT and IDT for every CPU; a TSS each (its IST stack for NMI and #DF). */
static uint64_t gdt[3 + 2 * MAX_CPUS] __aligned(16);
static struct idt_gate idt[32] __aligned(16);
extern char exception_stubs[];
extern const uint64_t __fixup_start[], __fixup_end[];

uint16_t host_tr_selector(void) { return (uint16_t)(SEL_TSS0 + 16 * this_cpu()->index); }
uint64_t host_tss_base(void) { return (uint64_t)&this_cpu()->tss; }

static void build_tables(void)
{
	gdt[0] = 0;
	gdt[1] = 0x00AF9A000000FFFFull;            /* 64-bit code */
	gdt[2] = 0x00CF92000000FFFFull;            /* data */
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		struct tss64 *t = &percpus[c].tss;
		uint64_t b = (uint64_t)t, l = sizeof(*t) - 1;
		gdt[3 + 2 * c] = (l & 0xffff) | ((b & 0xffffff) << 16) | (0x89ull << 40) |
				 (((l >> 16) & 0xf) << 48) | (((b >> 24) & 0xff) << 56);
		gdt[4 + 2 * c] = b >> 32;
		t->iomap_base = sizeof(*t);
		t->ist[0] = (uint64_t)(percpus[c].nmi_stack + sizeof(percpus[c].nmi_stack));
		percpus[c].self = &percpus[c];
		percpus[c].index = c;
		percpus[c].sipi_vector = -1;
	}
	for (unsigned v = 0; v < 32; v++) {
		uint64_t h = (uint64_t)(exception_stubs + 16 * v);
		idt[v] = (struct idt_gate){
			.off_lo = (uint16_t)h, .sel = SEL_CODE,
			.ist = v == 2 || v == 8 ? 1 : 0,   /* NMI and #DF on a known-good stack */
			.type = 0x8e, .off_mid = (uint16_t)(h >> 16), .off_hi = (uint32_t)(h >> 32),
		};
	}
}

/* Load the shared GDT/IDT, this CPU's TSS and its GS base (this_cpu()). */
void host_tables_init(unsigned cpu)
{
	if (cpu == 0)
		build_tables();
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
		:: "m"(g), "m"(i), "i"((uint64_t)SEL_CODE), "r"(SEL_DATA), "r"(SEL_TSS0 + 16 * cpu) : "rax", "memory");
	wrmsr(MSR_GS_BASE, (uint64_t)&percpus[cpu]);
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
		this_cpu()->vcpu.nmi_pending = true;
		return;
	}
	pr_err("odv-hv exception %lu error=0x%lx at rip=0x%lx cs=0x%lx rflags=0x%lx rsp=0x%lx",
	       f->vector, f->error, f->rip, f->cs, f->rflags, f->rsp);
	pr_err("  rax=0x%lx rbx=0x%lx rcx=0x%lx rdx=0x%lx rsi=0x%lx rdi=0x%lx cr2=0x%lx",
	       f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, read_cr2());
	hv_halt("exception in odv-hv");
}
