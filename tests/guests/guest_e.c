/*
 * Test guest E ("guest-proof"): at CPL 0 under odv-hv, it does what a
 * hostile or buggy kernel might, and checks that each gets the fault a CPU
 * without VMX would raise, and that odv-hv goes on (issue #13): every VMX
 * instruction (#UD, and the exit counted), invalid XCR0 values, invalid
 * CR0/CR4 loads (#GP, the register unchanged), string I/O on a trapped
 * port (#GP), MSR writes odv-hv's table refuses (#GP, the MSR unchanged).
 * It ends with a devirtualize, where odv-hv checks that its own code and
 * read-only data are as they were at start (self-check lines). DONE is
 * itself the proof that odv-hv did not halt.
 */
#include "guest.h"

/*
 * Run one instruction (its operands are %1 on: %0 is the result); its fault,
 * if any, resumes at the fixup. Returns the vector it faulted with, or -1 if
 * it completed.
 */
#define PROBE(text, ...)                                                        \
	({                                                                      \
		int rc_;                                                        \
		last_fault_vector = ~0ull;                                      \
		__asm__ volatile("1: " text "\n\t"                              \
				 "movl $-1, %0\n\t"                             \
				 "jmp 3f\n"                                     \
				 "2: movl $0, %0\n"                             \
				 "3:\n\t"                                       \
				 ".pushsection .fixup_table, \"aw\"\n\t"        \
				 ".quad 1b, 2b\n\t"                             \
				 ".popsection"                                  \
				 : "=&r"(rc_) : __VA_ARGS__ : "memory", "cc");  \
		rc_ == -1 ? -1 : (int)last_fault_vector;                        \
	})

static uint8_t scratch[4096] __attribute__((aligned(4096)));

static uint64_t exits_of(uint64_t reason)
{
	uint64_t b = reason, c = 0;
	hypercall(ODV_HC_EXIT_COUNT, &b, &c);
	return c;
}

/* One VMX instruction: #UD (vector 6), and exactly one more exit of its reason. */
#define VMX_CASE(name, reason, text)                                          \
	do {                                                                  \
		uint64_t b_ = exits_of(reason);                               \
		int v_ = PROBE(text, "a"(scratch), "b"(0ul), "c"(1ul));       \
		uint64_t a_ = exits_of(reason);                               \
		check(v_ == 6 && a_ == b_ + 1, name " at cpl 0 gives #UD, exit counted", \
		      "vector %d, exits of reason %u: %lu -> %lu", v_, reason, b_, a_); \
	} while (0)

static void test_vmx_instructions(void)
{
	VMX_CASE("vmclear", 19, "vmclear (%%rax)");
	VMX_CASE("vmlaunch", 20, "vmlaunch");
	VMX_CASE("vmptrld", 21, "vmptrld (%%rax)");
	VMX_CASE("vmptrst", 22, "vmptrst (%%rax)");
	VMX_CASE("vmread", 23, "vmread %%rbx, %%rcx");
	VMX_CASE("vmresume", 24, "vmresume");
	VMX_CASE("vmwrite", 25, "vmwrite %%rcx, %%rbx");
	VMX_CASE("vmxoff", 26, "vmxoff");
	VMX_CASE("vmxon", 27, "vmxon (%%rax)");
	VMX_CASE("invept", 50, "invept (%%rax), %%rcx");
	VMX_CASE("invvpid", 53, "invvpid (%%rax), %%rcx");
	/* VMFUNC exits only with VM functions enabled, which odv-hv does not: the CPU raises #UD itself. */
	int v = PROBE("vmfunc", "a"(0ul), "c"(0ul));
	check(v == 6, "vmfunc at cpl 0 gives #UD", "vector %d", v);
}

static int xsetbv_to(uint32_t xcr, uint64_t val)
{
	return PROBE("xsetbv", "a"((uint32_t)val), "d"((uint32_t)(val >> 32)), "c"(xcr));
}

static void test_xcr0(void)
{
	uint32_t a, b, c, d;
	g_cpuid(1, &a, &b, &c, &d);
	if (!(c & (1u << 26))) {
		gprintf("SKIP xcr0: CPU has no XSAVE\n");
		return;
	}
	write_cr4_probe(g_read_cr4() | (1u << 18));          /* OSXSAVE */
	g_cpuid(0xd, &a, &b, &c, &d);
	uint64_t supported = ((uint64_t)d << 32) | a;
	gprintf("xcr0: CPUID.(EAX=0DH,ECX=0) supported 0x%lx\n", supported);
	check(xsetbv_to(0, 3) == -1, "xsetbv x87|sse is accepted", "faulted with vector %lu", last_fault_vector);
	check(xsetbv_to(0, 0) == 13, "xsetbv without the x87 bit gives #GP", "vector %d", (int)last_fault_vector);
	check(xsetbv_to(1, 3) == 13, "xsetbv to xcr1 gives #GP", "vector %d", (int)last_fault_vector);
	check(xsetbv_to(0, 3 | (1ull << 62)) == 13, "xsetbv of an unsupported bit gives #GP",
	      "vector %d", (int)last_fault_vector);
	if (supported & 4)
		check(xsetbv_to(0, 5) == 13, "xsetbv avx without sse gives #GP", "vector %d", (int)last_fault_vector);
	if ((supported & 0xe0) == 0xe0)
		check(xsetbv_to(0, 0x27) == 13, "xsetbv one avx-512 bit of three gives #GP",
		      "vector %d", (int)last_fault_vector);
	if ((supported & 0x18) == 0x18)
		check(xsetbv_to(0, 0xb) == 13, "xsetbv one mpx bit of two gives #GP", "vector %d", (int)last_fault_vector);
	xsetbv_to(0, 3);
}

static int write_cr0(uint64_t v) { return PROBE("mov %1, %%cr0", "r"(v)); }
static int write_cr4(uint64_t v) { return PROBE("mov %1, %%cr4", "r"(v)); }

#define CR0_NE (1ull << 5)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)

/*
 * Each invalid load twice: as it is (the CPU may refuse it itself), and
 * with CR0.NE flipped, a bit odv-hv owns, so that the write exits and
 * odv-hv must refuse it. CR0 must be unchanged after each.
 */
static void cr0_case(const char *what, uint64_t bad)
{
	uint64_t cr0 = g_read_cr0();
	int v1 = write_cr0(bad);
	int v2 = write_cr0(bad ^ CR0_NE);
	check(v1 == 13 && v2 == 13 && g_read_cr0() == cr0, what, "vectors %d, %d; cr0 0x%lx -> 0x%lx",
	      v1, v2, cr0, g_read_cr0());
}

static void test_cr0_cr4(void)
{
	uint64_t cr0 = g_read_cr0() & ~(CR0_CD | CR0_NW);
	cr0_case("cr0 nw without cd gives #GP", cr0 | CR0_NW);
	cr0_case("cr0 clearing pg in 64-bit mode gives #GP", cr0 & ~CR0_PG);
	cr0_case("cr0 reserved bit 32 gives #GP", cr0 | (1ull << 32));
	uint64_t cr4 = g_read_cr4();
	int v = write_cr4(cr4 | (1ull << 15));
	check(v == 13 && g_read_cr4() == cr4, "cr4 reserved bit 15 gives #GP", "vector %d cr4 0x%lx", v, g_read_cr4());
	v = write_cr4(cr4 & ~(1ull << 5));
	check(v == 13 && g_read_cr4() == cr4, "cr4 clearing pae in ia-32e mode gives #GP",
	      "vector %d cr4 0x%lx", v, g_read_cr4());
	v = write_cr4(cr4 | (1ull << 13));
	check(v == 13 && g_read_cr4() == cr4, "cr4 vmxe gives #GP", "vector %d cr4 0x%lx", v, g_read_cr4());
}

/* Own functions: should they complete, the registers they move are caller-saved. */
static __attribute__((noinline)) int rep_outsb_80(void)
{
	return PROBE("rep outsb", "S"(scratch), "c"(4ul), "d"(0x80));
}

static __attribute__((noinline)) int insb_80(void)
{
	return PROBE("insb", "D"(scratch), "d"(0x80));
}

/* Port 0x80 exits in the test guests (guest_test.c): INS/OUTS on it are refused with #GP. */
static void test_string_io(void)
{
	int v1 = rep_outsb_80(), v2 = insb_80();
	check(v1 == 13 && v2 == 13, "string i/o on a trapped port gives #GP", "rep outsb %d, insb %d", v1, v2);
}

static int wrmsr_probe(uint32_t msr, uint64_t v)
{
	return PROBE("wrmsr", "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* A write the table refuses: #GP, and the MSR reads as before. */
static void msr_refused(const char *what, uint32_t msr, uint64_t val)
{
	uint64_t before = 0, after = 0;
	int rb = rdmsr_probe(msr, &before);
	int v = wrmsr_probe(msr, val);
	int ra = rdmsr_probe(msr, &after);
	check(v == 13 && rb == ra && before == after, what, "msr 0x%x: vector %d, 0x%lx -> 0x%lx", msr, v, before, after);
}

static void test_msrs(struct odv_tg_info *info)
{
	uint64_t apic = 0;
	rdmsr_probe(0x1b, &apic);
	uint64_t flags = apic & 0xfff;
	msr_refused("apic base moved onto ram gives #GP", 0x1b, 0x1000000ull | flags);
	msr_refused("apic base moved onto odv-hv's region gives #GP", 0x1b, info->hv_base | flags);
	msr_refused("apic base moved above 4 GiB gives #GP", 0x1b, 0x100000000ull | flags);
	msr_refused("apic base disabled gives #GP", 0x1b, apic & ~(1ull << 11));
	check(wrmsr_probe(0x1b, apic) == -1, "apic base rewritten unchanged is accepted", "vector %lu", last_fault_vector);
	uint64_t def = 0;
	rdmsr_probe(0x2ff, &def);
	msr_refused("mtrr default type changed gives #GP", 0x2ff, def ^ 0x6);      /* WB <-> UC */
	/* Linux reloads the MTRRs with them disabled: off, then on again, is accepted. */
	int off = wrmsr_probe(0x2ff, def & ~0xc00ull), on = wrmsr_probe(0x2ff, def);
	uint64_t now = 0;
	rdmsr_probe(0x2ff, &now);
	check(off == -1 && on == -1 && now == def, "mtrrs disabled and enabled again are accepted",
	      "off: vector %d, on: vector %d, 0x%lx -> 0x%lx", off, on, def, now);
	uint64_t base0 = 0;
	rdmsr_probe(0x200, &base0);
	msr_refused("variable mtrr changed gives #GP", 0x200, base0 ^ 0x1000);
	/*
	 * Counters: where odv-hv switches PERF_GLOBAL_CTRL off in VMX root, CPUID
	 * leaf 0xA shows them and the guest keeps its value; elsewhere leaf 0xA is
	 * zero and writes get #GP.
	 */
	uint32_t a, b, c, d;
	g_cpuid(0xa, &a, &b, &c, &d);
	if (a & 0xff) {
		uint64_t g = 0;
		int v = wrmsr_probe(0x38f, 1);
		int r = rdmsr_probe(0x38f, &g);
		check(v == -1 && r == 0 && g == 1, "perf global ctrl is the guest's (switched at vm exit and entry)",
		      "arch perfmon v%u: write vector %d, read %d value 0x%lx", a & 0xff, v, r, g);
		wrmsr_probe(0x38f, 0);
	} else {
		msr_refused("perf global ctrl gives #GP (no counter switch)", 0x38f, 1);
		msr_refused("perf event select gives #GP (no counter switch)", 0x186, 0x43003c);
	}
	msr_refused("pebs enable gives #GP", 0x3f1, 1);
	msr_refused("intel pt control gives #GP", 0x570, 1);
	msr_refused("late microcode trigger gives #GP", 0x79, (uint64_t)(uintptr_t)scratch);
	msr_refused("overclocking mailbox 0x150 gives #GP", 0x150, 0x8000001100000000ull);
	msr_refused("msr odv-hv does not know gives #GP", 0x1234, 1);
	g_cpuid(7, &a, &b, &c, &d);
	check(!(b & (1u << 25)), "cpuid hides intel pt", "CPUID.7:EBX=0x%x", b);
}

static void test_devirtualize(void)
{
	uint64_t out[18];
	devirt_call(out);
	check(out[0] == 0, "devirtualize at the end returns ok", "rax=0x%lx", out[0]);
}

int guest_main(struct odv_tg_info *info)
{
	test_vmx_instructions();
	test_xcr0();
	test_cr0_cr4();
	test_string_io();
	test_msrs(info);
	test_devirtualize();
	if (!guest_failures)
		gprintf("PASS all checks\n");
	return 0;
}
