/*
 * Test guest A: runs in VMX non-root and checks what odv-hv promises:
 * CPUID identity, VMX hidden, identity EPT over all of its RAM, VMCALL
 * from CPL 3 refused with #UD, port I/O trapped only where odv-hv says,
 * and finally a CPL 0 devirtualize after which it runs natively with
 * every register and system register as before, and can use VMX itself.
 */
#include "guest.h"

static uint64_t exits_total(void)
{
	uint64_t b = 0, c = 0;
	hypercall(ODV_HC_EXIT_COUNT, &b, &c);
	return b;
}

static uint64_t exits_of(uint64_t reason)
{
	uint64_t b = reason, c = 0;
	hypercall(ODV_HC_EXIT_COUNT, &b, &c);
	return c;
}

static void test_cpuid(void)
{
	uint32_t a, b, c, d;
	g_cpuid(1, &a, &b, &c, &d);
	check(c & (1u << 31), "cpuid hypervisor bit set", "CPUID.1:ECX=0x%x", c);
	check(!(c & (1u << 5)), "cpuid hides vmx", "CPUID.1:ECX=0x%x", c);
	g_cpuid(ODV_CPUID_LEAF_BASE, &a, &b, &c, &d);
	char sig[13];
	*(uint32_t *)sig = b;
	*(uint32_t *)(sig + 4) = c;
	*(uint32_t *)(sig + 8) = d;
	sig[12] = 0;
	bool ok = true;
	for (int i = 0; i < 12; i++)
		ok &= sig[i] == ODV_CPUID_SIGNATURE[i];
	check(ok && a == ODV_CPUID_LEAF_MAX, "cpuid odv signature", "leaf 0x40000000: eax=0x%x sig='%s'", a, sig);
	g_cpuid(ODV_CPUID_LEAF_VERSION, &a, &b, &c, &d);
	check(a == ODV_ABI_VERSION, "cpuid odv version", "eax=0x%x", a);
	gprintf("odv-hv signature '%s' abi 0x%x\n", sig, a);
}

static void test_vmx_hidden(void)
{
	uint64_t v = 0;
	int rc = rdmsr_probe(0x3a, &v);
	check(rc == 0 && (v & 1) && !(v & 6), "feature control reads locked with vmx off",
	      "rc=%d value=0x%lx", rc, v);
	rc = rdmsr_probe(0x480, &v);
	check(rc == -1 && last_fault_vector == 13, "vmx capability msr gives #GP",
	      "rc=%d vector=%lu", rc, last_fault_vector);
	rc = write_cr4_probe(g_read_cr4() | (1u << 13));
	check(rc == -1 && last_fault_vector == 13 && !(g_read_cr4() & (1u << 13)),
	      "setting cr4.vmxe gives #GP", "rc=%d vector=%lu cr4=0x%lx", rc, last_fault_vector, g_read_cr4());
}

static bool in_image(uint64_t a)
{
	return a >= (uint64_t)__load_start && a < (uint64_t)__image_end;
}

/* Write then verify a pattern in every qword of every RAM page outside this image. */
static void test_ram(struct odv_tg_info *info)
{
	uint64_t pages = 0, bad = 0, first_bad = 0, total = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < info->nr_ranges; i++) {
			const struct odv_tg_range *r = &info->ranges[i];
			if (r->type != ODV_TG_RAM)
				continue;
			uint64_t b = (r->base + 4095) & ~4095ull, e = (r->base + r->len) & ~4095ull;
			for (uint64_t p = b; p < e; p += 4096) {
				if (in_image(p))
					continue;
				volatile uint64_t *q = (volatile uint64_t *)p;
				if (pass == 0) {
					for (unsigned k = 0; k < 512; k++)
						q[k] = (p + k * 8) ^ 0x0d0e0f0a0b0c0d0eull;
					pages++;
				} else {
					for (unsigned k = 0; k < 512; k++) {
						if (q[k] != ((p + k * 8) ^ 0x0d0e0f0a0b0c0d0eull)) {
							if (!bad++)
								first_bad = p + k * 8;
						}
					}
				}
			}
			if (pass == 0)
				total += r->len;
		}
	}
	gprintf("ram: %lu pages (%lu MiB) written and verified outside the guest image\n",
		pages, pages / 256);
	check(bad == 0 && pages > 1000, "ram pattern over every page",
	      "%lu bad qwords, first at 0x%lx, %lu pages", bad, first_bad, pages);
	(void)total;
}

static volatile uint64_t ud_rip = 0, ud_cs = 0, ud_rax = 0, ud_rbx = 0;

static bool user_ud_hook(struct regs_frame *f)
{
	if ((f->cs & 3) != 3)
		return false;
	ud_rip = f->rip;
	ud_cs = f->cs;
	ud_rax = f->rax;
	ud_rbx = f->rbx;
	/* Back to CPL 0 at user_return (it restores the kernel stack). */
	f->rip = (uint64_t)user_return;
	f->cs = 0x10;
	f->ss = 0x18;
	f->rflags = 0x2;
	return true;
}

static void test_user_vmcall(void)
{
	uint64_t before = exits_total(), vmcalls_before = exits_of(18);
	exception_hook = user_ud_hook;
	run_user_vmcall();
	exception_hook = NULL;
	uint64_t after = exits_total(), vmcalls_after = exits_of(18);
	uint32_t a, b, c, d;
	g_cpuid(1, &a, &b, &c, &d);
	check(ud_rip == (uint64_t)user_vmcall_insn && (ud_cs & 3) == 3 && last_fault_vector == 6,
	      "cpl3 vmcall gets #UD at the vmcall", "fault vector %lu at 0x%lx (vmcall at %p) cs 0x%lx",
	      last_fault_vector, ud_rip, user_vmcall_insn, ud_cs);
	check(ud_rax == 1 && ud_rbx == 0x5a5a, "cpl3 vmcall leaves registers alone",
	      "rax=0x%lx rbx=0x%lx", ud_rax, ud_rbx);
	/* Between the two counter reads: the user VMCALL exit and the reading hypercall itself. */
	check(after - before == 3 && vmcalls_after - vmcalls_before == 3 && (c & (1u << 31)),
	      "cpl3 vmcall changes nothing else", "exits +%lu, vmcall exits +%lu, still virtual=%d",
	      after - before, vmcalls_after - vmcalls_before, !!(c & (1u << 31)));
}

static void test_io_bitmap(void)
{
	uint64_t io0 = exits_of(30);
	g_outb(0x80, 0x42);            /* trapped by odv-hv's I/O bitmap and forwarded */
	uint64_t io1 = exits_of(30);
	gprintf("serial output does not exit\n");   /* port 0x3f8 passes through */
	uint64_t io2 = exits_of(30);
	check(io1 - io0 == 1 && io2 == io1, "io bitmap traps port 0x80 only",
	      "io exits: +%lu for port 0x80, +%lu for serial", io1 - io0, io2 - io1);
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/* XSETBV always exits: odv-hv must validate and apply it. */
static void test_xsetbv(void)
{
	uint32_t a, b, c, d;
	g_cpuid(1, &a, &b, &c, &d);
	if (!(c & (1u << 26))) {
		gprintf("SKIP xsetbv: CPU has no XSAVE\n");
		return;
	}
	/* CPUID.1:ECX.OSXSAVE mirrors the guest's CR4.OSXSAVE, not odv-hv's. */
	g_cpuid(1, &a, &b, &c, &d);
	bool before = c & (1u << 27);
	write_cr4_probe(g_read_cr4() | (1u << 18));   /* OSXSAVE */
	g_cpuid(1, &a, &b, &c, &d);
	bool after = c & (1u << 27);
	check(!before && after, "cpuid osxsave follows the guest's cr4",
	      "OSXSAVE before/after setting CR4.OSXSAVE: %d/%d", before, after);
	uint64_t n0 = exits_of(55);
	int ok_rc = xsetbv_probe(3);                  /* x87 | SSE */
	uint64_t now = xgetbv0();
	last_fault_vector = ~0ull;
	int bad_rc = xsetbv_probe(2);                 /* x87 bit clear: #GP */
	uint64_t n1 = exits_of(55);
	check(ok_rc == 0 && now == 3 && bad_rc == -1 && last_fault_vector == 13 && n1 - n0 == 2,
	      "xsetbv exits, applies valid values, #GP on invalid",
	      "rc %d xcr0 0x%lx, invalid rc %d vector %lu, exits +%lu", ok_rc, now, bad_rc,
	      last_fault_vector, n1 - n0);
}

/* CR0.NE is owned by odv-hv (VMX needs it): the guest's write exits and it reads back its own value. */
static void test_cr0_shadow(void)
{
	uint64_t cr0 = g_read_cr0(), n0 = exits_of(28);
	__asm__ volatile("mov %0, %%cr0" :: "r"(cr0 & ~(1ull << 5)));
	uint64_t seen = g_read_cr0();
	__asm__ volatile("mov %0, %%cr0" :: "r"(cr0));
	uint64_t n1 = exits_of(28);
	check(!(seen & (1u << 5)) && g_read_cr0() == cr0 && n1 - n0 == 2,
	      "cr0 write trapped by the mask, guest sees its value",
	      "cr0 read 0x%lx after clearing NE (was 0x%lx), cr exits +%lu", seen, cr0, n1 - n0);
}

/* An NMI arriving while the guest runs exits (NMI exiting) and is handed back to the guest. */
static volatile uint64_t nmis_seen;
static bool nmi_hook(struct regs_frame *f)
{
	if (f->vector != 2)
		return false;
	nmis_seen++;
	return true;
}

static void test_nmi(void)
{
	volatile uint32_t *apic = (volatile uint32_t *)0xfee00000ull;
	uint32_t id = apic[0x20 / 4] >> 24;
	apic[0xf0 / 4] |= 0x100;                      /* software-enable the local APIC */
	uint64_t n0 = exits_of(0);
	exception_hook = nmi_hook;
	apic[0x310 / 4] = id << 24;
	apic[0x300 / 4] = 0x4400;                     /* NMI, assert, physical, no shorthand */
	for (int i = 0; i < 100000 && !nmis_seen; i++)
		__asm__ volatile("pause");
	exception_hook = NULL;
	uint64_t n1 = exits_of(0);
	check(nmis_seen == 1 && n1 - n0 == 1, "nmi exits and is reinjected into the guest",
	      "guest saw %lu NMI(s), NMI exits +%lu", nmis_seen, n1 - n0);
}

static uint8_t vmxon_region[4096] __attribute__((aligned(4096)));

static void test_devirt(void)
{
	struct { uint16_t l; uint64_t b; } __attribute__((packed)) gdt0, idt0, gdt1, idt1;
	__asm__ volatile("sgdt %0; sidt %1" : "=m"(gdt0), "=m"(idt0));
	uint16_t tr0, tr1, ss0, ss1;
	__asm__ volatile("str %0; mov %%ss, %1" : "=r"(tr0), "=r"(ss0));
	uint64_t cr0 = g_read_cr0(), cr3 = g_read_cr3(), cr4 = g_read_cr4();
	g_wrmsr(0xc0000100, 0x00007f00deadb000ull);  /* FS_BASE */
	g_wrmsr(0xc0000101, 0x00007f00beef0000ull);  /* GS_BASE */

	uint64_t out[17];
	devirt_call(out);

	static const uint64_t expect[16] = {
		0, 0x1111111111111111, 0, 0x3333333333333333, 0, 0x5555555555555555,
		0x6666666666666666, 0x7777777777777777, 0x8888888888888888, 0x9999999999999999,
		0xaaaaaaaaaaaaaaaa, 0xbbbbbbbbbbbbbbbb, 0xcccccccccccccccc, 0xdddddddddddddddd,
		0xeeeeeeeeeeeeeeee, 0xf0f0f0f0f0f0f0f0,
	};
	int wrong = -1;
	for (int i = 0; i < 16; i++) {
		if (i == 2 || i == 4)
			continue;
		if (out[i] != expect[i] && wrong < 0)
			wrong = i;
	}
	check(out[0] == ODV_HC_OK, "devirtualize returns ok", "rax=0x%lx", out[0]);
	check(wrong < 0 && out[4] == out[16] && out[2] == cr3, "devirtualize keeps registers",
	      "first wrong gpr %d (0x%lx), rsp 0x%lx vs 0x%lx, rdx 0x%lx vs cr3 0x%lx",
	      wrong, wrong >= 0 ? out[wrong] : 0, out[4], out[16], out[2], cr3);

	uint32_t a, b, c, d;
	g_cpuid(1, &a, &b, &c, &d);
	check(!(c & (1u << 31)) && (c & (1u << 5)), "native after devirtualize: cpuid",
	      "CPUID.1:ECX=0x%x (hypervisor bit must be 0, vmx bit 1)", c);
	__asm__ volatile("sgdt %0; sidt %1" : "=m"(gdt1), "=m"(idt1));
	__asm__ volatile("str %0; mov %%ss, %1" : "=r"(tr1), "=r"(ss1));
	uint64_t fs = 0, gs = 0;
	rdmsr_probe(0xc0000100, &fs);
	rdmsr_probe(0xc0000101, &gs);
	check(gdt0.b == gdt1.b && gdt0.l == gdt1.l && idt0.b == idt1.b && idt0.l == idt1.l &&
	      tr0 == tr1 && ss0 == ss1 && g_read_cr3() == cr3 && g_read_cr0() == cr0 &&
	      g_read_cr4() == cr4 && fs == 0x00007f00deadb000ull && gs == 0x00007f00beef0000ull,
	      "devirtualize keeps system state",
	      "gdt %lx/%lx idt %lx/%lx tr %x/%x cr0 %lx/%lx cr4 %lx/%lx fs %lx gs %lx",
	      gdt0.b, gdt1.b, idt0.b, idt1.b, tr0, tr1, cr0, g_read_cr0(), cr4, g_read_cr4(), fs, gs);
	/* The guest's own IDT works natively: a #UD is handled by it. */
	last_fault_vector = ~0ull;
	int rc = ud2_probe();
	check(rc == -1 && last_fault_vector == 6, "native exceptions reach the guest idt",
	      "rc=%d vector=%lu", rc, last_fault_vector);

	/* VMX is free again: VMXON from the former guest works. */
	uint64_t basic = 0, f0 = 0, f1 = 0, c40 = 0, c41 = 0;
	rdmsr_probe(0x480, &basic);
	rdmsr_probe(0x486, &f0);
	rdmsr_probe(0x487, &f1);
	rdmsr_probe(0x488, &c40);
	rdmsr_probe(0x489, &c41);
	*(uint32_t *)vmxon_region = (uint32_t)(basic & 0x7fffffff);
	uint64_t ncr0 = (g_read_cr0() | f0) & f1;
	__asm__ volatile("mov %0, %%cr0" :: "r"(ncr0));
	rc = write_cr4_probe(((g_read_cr4() | (1u << 13)) | c40) & c41);
	uint64_t region = (uint64_t)vmxon_region;
	int vrc = rc == 0 ? vmxon_probe(&region) : -2;
	check(basic != 0 && rc == 0 && vrc == 0, "vmxon works after devirtualize",
	      "IA32_VMX_BASIC=0x%lx cr4 write rc=%d vmxon rc=%d", basic, rc, vrc);
	write_cr4_probe(g_read_cr4() & ~(1ull << 13));
}

int guest_main(struct odv_tg_info *info)
{
	gprintf("odv-hv region reported at 0x%lx (+0x%lx), %u memory ranges\n",
		info->hv_base, info->hv_size, info->nr_ranges);
	test_cpuid();
	test_vmx_hidden();
	test_io_bitmap();
	test_xsetbv();
	test_cr0_shadow();
	test_nmi();
	test_user_vmcall();
	test_ram(info);
	test_devirt();
	if (!guest_failures)
		gprintf("PASS all checks\n");
	return 0;
}
