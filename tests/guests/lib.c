/* Test-guest runtime: serial console, GDT/TSS/IDT, exception reporting. */
#include "guest.h"

const char *guest_name = "guest";
int guest_failures;
bool (*exception_hook)(struct regs_frame *f);
volatile uint64_t last_fault_vector = ~0ull;
extern char exception_stubs[], kstack_top[];
extern const uint64_t __fixup_start[], __fixup_end[];

static void serial_putc(char c)
{
	for (int i = 0; i < 100000 && !(g_inb(0x3f8 + 5) & 0x20); i++)
		;
	g_outb(0x3f8, (uint8_t)c);
}

static void serial_init(void)
{
	/* Let odv-hv's last bytes leave before the FIFO is reset. */
	for (int i = 0; i < 1000000 && !(g_inb(0x3f8 + 5) & 0x40); i++)
		;
	g_outb(0x3f9, 0);
	g_outb(0x3fb, 0x80);
	g_outb(0x3f8, 1);
	g_outb(0x3f9, 0);
	g_outb(0x3fb, 3);
	g_outb(0x3fa, 0xc7);
	g_outb(0x3fc, 3);
}

void gprintf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_snprintf(buf, sizeof(buf), "%s: ", guest_name);
	fmt_vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	for (char *p = buf; *p; p++) {
		if (*p == '\n')
			serial_putc('\r');
		serial_putc(*p);
	}
}

bool check(bool ok, const char *what, const char *fmt, ...)
{
	char detail[160];
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (ok) {
		gprintf("PASS %s\n", what);
	} else {
		guest_failures++;
		gprintf("FAIL %s: %s\n", what, detail);
	}
	return ok;
}

void guest_done(void)
{
	if (guest_failures)
		gprintf("FAIL %d check(s) failed\n", guest_failures);
	gprintf("DONE\n");
	/* Let the UART drain before the harness stops the machine. */
	for (int i = 0; i < 100000 && !(g_inb(0x3f8 + 5) & 0x40); i++)
		;
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* ---- descriptor tables: kernel 0x10/0x18, user data 0x20, user code 0x28, TSS 0x30 ---- */
struct __attribute__((packed)) tss64 {
	uint32_t r0; uint64_t rsp0, rsp1, rsp2, r1; uint64_t ist[7]; uint64_t r2; uint16_t r3, iomap;
};
struct __attribute__((packed)) gate { uint16_t lo, sel; uint8_t ist, type; uint16_t mid; uint32_t hi, r; };
static uint64_t gdt[8] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static struct gate idt[256] __attribute__((aligned(16)));
struct __attribute__((packed)) gdtr_t { uint16_t limit; uint64_t base; };

static void tables_init(void)
{
	gdt[2] = 0x00AF9A000000FFFFull;   /* 0x10 kernel code 64 */
	gdt[3] = 0x00CF92000000FFFFull;   /* 0x18 kernel data */
	gdt[4] = 0x00CFF2000000FFFFull;   /* 0x20 user data, DPL 3 */
	gdt[5] = 0x00AFFA000000FFFFull;   /* 0x28 user code 64, DPL 3 */
	uint64_t b = (uint64_t)&tss, l = sizeof(tss) - 1;
	gdt[6] = (l & 0xffff) | ((b & 0xffffff) << 16) | (0x89ull << 40) | (((b >> 24) & 0xff) << 56);
	gdt[7] = b >> 32;
	tss.rsp0 = (uint64_t)kstack_top - 4096;   /* below the boot stack's live part */
	tss.iomap = sizeof(tss);
	for (int v = 0; v < 32; v++) {
		uint64_t h = (uint64_t)(exception_stubs + 16 * v);
		idt[v] = (struct gate){ (uint16_t)h, 0x10, 0, 0x8e, (uint16_t)(h >> 16), (uint32_t)(h >> 32), 0 };
	}
	struct gdtr_t g = { sizeof(gdt) - 1, (uint64_t)gdt }, i = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile(
		"lgdt %0\n\tlidt %1\n\t"
		"pushq $0x10\n\tleaq 1f(%%rip), %%rax\n\tpushq %%rax\n\tlretq\n1:\n\t"
		"movw $0x18, %%ax\n\tmovw %%ax, %%ds\n\tmovw %%ax, %%es\n\tmovw %%ax, %%ss\n\t"
		"movw $0x30, %%ax\n\tltr %%ax"
		:: "m"(g), "m"(i) : "rax", "memory");
}

/* An interrupt gate for `vector` (32..255), to an entry stub of the guest's own. */
void set_irq_gate(unsigned vector, void (*entry)(void))
{
	uint64_t h = (uint64_t)entry;
	idt[vector & 255] = (struct gate){ (uint16_t)h, 0x10, 0, 0x8e, (uint16_t)(h >> 16), (uint32_t)(h >> 32), 0 };
}

void guest_exception(struct regs_frame *f)
{
	last_fault_vector = f->vector;
	for (const uint64_t *e = __fixup_start; e < __fixup_end; e += 2) {
		if (e[0] == f->rip) {
			f->rip = e[1];
			return;
		}
	}
	if (exception_hook && exception_hook(f))
		return;
	gprintf("FAIL unexpected exception %lu error 0x%lx at rip 0x%lx cs 0x%lx\n",
		f->vector, f->error, f->rip, f->cs);
	guest_failures++;
	guest_done();
}

void guest_start(struct odv_tg_info *info)
{
	serial_init();
	tables_init();
	if (info->magic != ODV_TG_INFO_MAGIC) {
		gprintf("FAIL no info block from odv-hv\n");
		guest_failures++;
		guest_done();
	}
	/* The module string names the guest and its variant, e.g. "guest-c invd". */
	static char name[32];
	unsigned n = 0;
	for (; info->cmdline[n] && info->cmdline[n] != ' ' && n < sizeof(name) - 1; n++)
		name[n] = info->cmdline[n];
	name[n] = 0;
	if (n)
		guest_name = name;
	gprintf("started at cpl %u, cr3 0x%lx\n", 0u, g_read_cr3());
	guest_main(info);
	guest_done();
}
