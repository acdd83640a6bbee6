/*
 * go-virtual, odv-hv's half (docs/ARCHITECTURE.md, "go-virtual", step 6): entered from kexec with
 * the hibernation image stream scattered over free RAM frames and the
 * handoff block right after odv-hv's image. Check the handoff, park the
 * other CPUs, copy every image page to its PFN, then resume the image:
 * as a VM when VMX is usable, natively (fail-safe) when it is not. Either
 * way the system comes back; the result is written into the handoff block
 * for the agent to read.
 */
#include "vtd.h"
#include "acpi.h"
#include "hv.h"
#include "cmdline.h"
#include "percpu.h"
#include "arch.h"
#include "serial.h"
#include "odv_abi.h"
#include "odv_handoff.h"
#include "swsusp_image.h"
#include "mm.h"
#include "smp.h"
#include "vdev.h"
#include "vmx.h"
#include "frame_set.h"

static struct odv_handoff *handoff;
static const struct odv_handoff_run *runs;   /* the stream's frames, in stream order */

/* Stream page `idx`. Lookups come in ascending order (validate, then copy), so
 * the walk over the runs resumes where the last one ended: linear overall. */
static const void *stream_page(void *ctx, uint64_t idx)
{
	static uint64_t run, first;   /* cursor: a run and the stream index of its first page */
	const struct odv_handoff *h = ctx;
	if (idx < first)
		run = first = 0;
	while (run < h->nr_runs && idx - first >= runs[run].pages) {
		first += runs[run].pages;
		run++;
	}
	if (run >= h->nr_runs) {
		run = first = 0;
		return NULL;
	}
	return phys_to_virt(runs[run].phys + (idx - first) * PAGE_SIZE);
}

/* The frames the stream occupies, anywhere in memory: no image page may be copied
 * over one. Its pages come from odv-hv's pool. */
static void *frame_page(void *ctx) { uint64_t phys; (void)ctx; return page_alloc(&phys); }
static struct frame_set stream_frames = { .alloc = frame_page };

static bool in_ram(const struct phys_range *ram, unsigned n, uint64_t base, uint64_t len)
{
	for (unsigned i = 0; i < n; i++)
		if (base >= ram[i].base && base - ram[i].base <= ram[i].len && len <= ram[i].len - (base - ram[i].base))
			return true;
	return false;
}

/* Check every run against RAM, the memory odv-hv maps and its own region, and
 * mark its frames. NULL, or why the stream cannot be used. */
static const char *mark_stream_frames(const struct phys_range *ram, unsigned nr_ram)
{
	for (uint64_t i = 0; i < handoff->nr_runs; i++) {
		uint64_t a = runs[i].phys, len = runs[i].pages * PAGE_SIZE;
		if (!direct_map_covers(a, len))
			return "a stream run lies beyond the memory odv-hv maps";
		if (a < handoff->region_base + handoff->region_size && handoff->region_base < a + len)
			return "a stream run overlaps odv-hv's region";
		if (!in_ram(ram, nr_ram, a, len))
			return "a stream run is not in RAM";
		if (frame_set_add(&stream_frames, a / PAGE_SIZE, runs[i].pages))
			return "the stream's frames are too scattered for odv-hv's page pool";
	}
	pr_info("restore: stream frames marked in %u pages of odv-hv's pool", stream_frames.pages);
	return NULL;
}

/* The end of one of odv-hv's phases, for the agent (enum odv_hv_tsc). */
static void stamp(enum odv_hv_tsc t)
{
	handoff->result_tsc[t] = rdtsc();
}

static void set_result(uint32_t mode, const char *reason)
{
	handoff->result_mode = mode;
	unsigned n = 0;
	for (; reason[n] && n < sizeof(handoff->result_reason) - 1; n++)
		handoff->result_reason[n] = reason[n];
	handoff->result_reason[n] = 0;
}

static uint64_t high_pfns;   /* image PFNs above 4 GiB, for the log */

/* A destination PFN must lie in the direct map and not be a frame the stream occupies. */
static int pfn_not_in_stream(void *ctx, uint64_t pfn, uint64_t idx)
{
	(void)ctx;
	(void)idx;
	if (!direct_map_covers(pfn * PAGE_SIZE, PAGE_SIZE)) {
		pr_err("restore: image PFN 0x%lx is beyond the memory odv-hv maps (0x%lx)", pfn, direct_map_top());
		return -1;
	}
	if (pfn >= 4 * SZ_1G / PAGE_SIZE)
		high_pfns++;
	if (frame_set_has(&stream_frames, pfn)) {
		pr_err("restore: image PFN 0x%lx is a frame of the stream", pfn);
		return -1;
	}
	return 0;
}

static uint64_t copied, zeroed, copied_high;

static int copy_page(void *ctx, uint64_t pfn, uint64_t idx)
{
	uint64_t *dst = phys_to_virt(pfn * PAGE_SIZE);
	if (pfn >= 4 * SZ_1G / PAGE_SIZE)
		copied_high++;
	if (idx == SWSUSP_NO_DATA) {
		for (unsigned i = 0; i < 512; i++)
			dst[i] = 0;
		zeroed++;
	} else {
		const uint64_t *src = stream_page(ctx, idx);
		for (unsigned i = 0; i < 512; i++)
			dst[i] = src[i];
		copied++;
	}
	return 0;
}

/*
 * The old kernel left its other CPUs halted in its own memory, which the
 * copy overwrites: send them INIT (all excluding self) so they wait for
 * SIPI, outside any code we are about to replace.
 */
static void park_other_cpus(void)
{
	lapic_send(0x000c4500, 0);     /* INIT, level assert, all excluding self */
	lapic_wait_idle();
	pr_info("restore: other CPUs parked with INIT");
}

static uint64_t restore_gdt[4] __aligned(16) = {
	0, 0,
	0x00AF9A000000FFFFull,   /* 0x10: 64-bit code, as the image expects */
	0x00CF92000000FFFFull,   /* 0x18: data */
};

/* Fail-safe: jump into the image's restore_registers natively: the fail-safe (docs/ARCHITECTURE.md, "go-virtual", step 6). */
static __noreturn void resume_native(struct swsusp_header *img, const char *why)
{
	set_result(ODV_RESULT_NATIVE, why);
	pr_warn("restore: resuming natively (fail-safe): %s", why);
	vtd_disable();          /* the kernel ran without DMA remapping; it gets it back that way */
	/* restore_registers first loads CR3 from R9; until then it runs on our tables. */
	uint64_t va = img->jump_address & ~0xfffull, pa = img->jump_address_phys & ~0xfffull;
	if (host_map_4k(va, pa) || host_map_4k(va + PAGE_SIZE, pa + PAGE_SIZE))
		hv_halt("cannot map the image's restore entry");
	pr_info("restore: jumping to 0x%lx (phys 0x%lx) with cr3 0x%lx", img->jump_address,
		img->jump_address_phys, img->cr3);
	serial_flush();
	stamp(ODV_TSC_HV_LAUNCH);
	struct dtr g = { sizeof(restore_gdt) - 1, (uint64_t)restore_gdt };
	__asm__ volatile(
		"lgdt %0\n\t"
		"pushq $0x10\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw $0x18, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%ss\n\t"
		"movq %1, %%r9\n\t"
		"movq %2, %%r8\n\t"
		"xorl %%eax, %%eax\n\t"
		"xorl %%ecx, %%ecx\n\t"
		"xorl %%edx, %%edx\n\t"
		"jmpq *%%r8"
		:: "m"(g), "r"(img->cr3), "r"(img->jump_address) : "rax", "memory");
	__builtin_unreachable();
}

/*
 * Every CPU the kernel has runs under odv-hv, or the system resumes
 * natively: a CPU the kernel starts itself would run natively beside
 * virtual ones. The agent says how many CPUs the kernel has ("cpus=N" in
 * hv_args); NULL if odv-hv can run them all (as far as it can tell before
 * starting them), else why not.
 */
static const char *cpus_unrunnable(unsigned madt_cpus)
{
	unsigned want;
	if (cmdline_uint(cmdline_opt(handoff->hv_args, "cpus="), 1u << 20, &want) || !want)
		return "the agent did not say how many CPUs the kernel has";
	if (want > MAX_CPUS)
		return "the kernel has more CPUs than odv-hv runs";
	if (madt_cpus < want)
		return "the ACPI tables odv-hv found list fewer CPUs than the kernel has";
	return NULL;
}

/*
 * A setup failure (VT-d, EPT, VMCS) once the devices are set up: they go
 * back quiet (the resumed kernel's drivers find them again after a rescan,
 * as after go-native: no DMA into odv-hv's buffers meanwhile), VMX off, and
 * the native fail-safe.
 */
static __noreturn void give_up_vmx(struct swsusp_header *img, const char *why)
{
	vdev_release();
	vmx_off();
	resume_native(img, why);
}

/*
 * vCPU 0 starts at the image's restore entry with the state the kernel's restore code
 * expects: 64-bit, CS=0x10, SS/DS/ES=0x18, CR3 = R9 = the image's CR3,
 * RIP = jump_address, EFER as the kernel ran it (same kernel, same boot).
 * Any VMX setup failure falls back to the native resume.
 */
static __noreturn void resume_virtual(struct swsusp_header *img, unsigned cpus)
{
	struct vcpu *v = hv.bsp;
	if (vmx_init_cpu(v))
		resume_native(img, "VMX setup failed (see odv-hv log)");
	/*
	 * The image's kernel starts its other CPUs itself once it runs again; they
	 * must come up as vCPUs, so odv-hv brings them into VMX first (they wait
	 * there for the guest's SIPI, as on the boot-menu path).
	 */
	const char *why = cpus_unrunnable(cpus);
	if (why) {
		vmx_off();
		resume_native(img, why);
	}
	hv.trap_icr = cpus > 1;
	/* The devices the agent detached from the kernel before the snapshot (hv_args). */
	if (vdev_setup(handoff->hv_args))
		pr_warn("restore: continuing without (some) virtual devices");
	/* Before the EPT: the remapping units' registers become holes in it. */
	if (vtd_protect())
		give_up_vmx(img, "VT-d setup failed (see odv-hv log)");
	if (ept_setup(cpus > 1) || vmx_setup_vmcs(v))
		give_up_vmx(img, "VMX setup failed (see odv-hv log)");
	/* Tests (go-virtual --test-fail hv-start): everything above ran; fail as it would. */
	if (handoff->test_flags & ODV_TEST_FAIL_HV_START)
		give_up_vmx(img, "VMX set up, then given up before the guest started: forced by test flag");
	stamp(ODV_TSC_HV_VMX);
	smp_start_aps();
	vmx_guest_long_mode(img->cr3, img->jump_address, rdmsr(MSR_IA32_EFER));
	v->regs = (struct guest_regs){ 0 };
	v->regs.r9 = img->cr3;
	set_result(ODV_RESULT_VIRTUAL, "resumed under odv-hv");
	pr_info("restore: resuming the image as a VM: rip 0x%lx cr3 0x%lx", img->jump_address, img->cr3);
	serial_flush();
	percpus[0].state = CPU_IN_VMX;
	stamp(ODV_TSC_HV_LAUNCH);
	vmx_launch(v);
	__builtin_unreachable();
}

/* The handoff block after odv-hv's image and the run table it names: usable, or stop. */
static void check_handoff(void)
{
	handoff = phys_to_virt(hv.load_base + hv.size);
	int rc = odv_handoff_check(handoff);
	if (rc) {
		/* The old kernel is gone and we cannot find the image: nothing to go back to. */
		pr_err("fatal: %s at 0x%lx", odv_handoff_strerror(rc), hv.load_base + hv.size);
		hv_halt("no usable handoff block");
	}
	if (handoff->region_base != hv.load_base || handoff->hv_size != hv.size) {
		pr_err("fatal: handoff describes odv-hv at 0x%lx (+0x%lx), but it runs at 0x%lx (+0x%lx)",
		       handoff->region_base, handoff->hv_size, hv.load_base, hv.size);
		hv_halt("handoff does not match this odv-hv");
	}
	runs = phys_to_virt(handoff->runs_phys);
	rc = odv_handoff_check_runs(handoff, runs);
	if (rc) {
		pr_err("fatal: the stream's run table at 0x%lx: %s", handoff->runs_phys, odv_handoff_strerror(rc));
		hv_halt("no usable run table");
	}
	/* The console level the agent asked for (it asks for info today). */
	if (handoff->log_level <= LOG_DEBUG)
		log_init((enum log_level)handoff->log_level);
	if (handoff->serial_port != COM1)
		pr_warn("handoff asks for a console at port 0x%lx; odv-hv drives only COM1 (0x%x)",
			handoff->serial_port, COM1);
	pr_info("restore: handoff v%u ok: region 0x%lx-0x%lx, stream %lu pages in %lu runs",
		handoff->version, handoff->region_base, handoff->region_base + handoff->region_size,
		handoff->stream_pages, handoff->nr_runs);
}

/*
 * The ACPI RSDP the agent found (the EFI system table names it; a UEFI
 * machine has none where smp_discover would search), copied as the
 * multiboot2 path copies its RSDP tag. acpi.c checks it before any use.
 */
static void take_rsdp(void)
{
	uint64_t at = handoff->acpi_rsdp;
	if (!at)
		return;
	if (!direct_map_covers(at, sizeof(hv.boot.rsdp))) {
		pr_warn("restore: the agent's RSDP at 0x%lx is beyond the memory odv-hv maps; ignored", at);
		return;
	}
	const void *r = phys_to_virt(at);
	unsigned len = acpi_rsdp_len(r);
	memcpy(hv.boot.rsdp, r, len);
	hv.boot.rsdp_len = len;
	pr_info("restore: ACPI RSDP at 0x%lx, from the agent (EFI system table)", at);
}

/* Platform facts from the handoff: the firmware memory map, and its RAM into ram[]. */
static unsigned take_memory_map(struct phys_range *ram)
{
	unsigned nr_ram = 0;
	hv.boot.nr_mmap = 0;
	for (uint32_t i = 0; i < handoff->nr_mem && i < MB2_MAX_MMAP; i++) {
		hv.boot.mmap[hv.boot.nr_mmap++] = (struct mem_range){
			handoff->mem[i].base, handoff->mem[i].len, handoff->mem[i].type };
		if (handoff->mem[i].type == ODV_MEM_RAM)
			ram[nr_ram++] = (struct phys_range){ handoff->mem[i].base, handoff->mem[i].len };
	}
	return nr_ram;
}

/* The image in the stream: parsed, validated, and the header the agent saw. Or stop. */
static void check_image(struct swsusp_header *img, const struct phys_range *ram, unsigned nr_ram)
{
	struct swsusp_layout lay;
	struct phys_range excl = { handoff->region_base, handoff->region_size };
	const char *err = mark_stream_frames(ram, nr_ram);
	if (err) {
		pr_err("fatal: image cannot be restored: %s", err);
		hv_halt("image stream unusable after kexec");
	}
	const void *p0 = stream_page(handoff, 0);
	if (!p0 || swsusp_parse_header(p0, img, &err) ||
	    swsusp_validate(img, stream_page, handoff, ram, nr_ram, &excl, &lay, &err) ||
	    swsusp_walk(img, stream_page, handoff, pfn_not_in_stream, handoff, NULL, &err)) {
		pr_err("fatal: image cannot be restored: %s", p0 ? err : "stream page 0 missing");
		hv_halt("image invalid after kexec");
	}
	/*
	 * The agent parsed the same header before kexec; a header that differs
	 * now was damaged on the way, and so may be everything else.
	 */
	if (img->jump_address != handoff->jump_address || img->jump_address_phys != handoff->jump_address_phys ||
	    img->cr3 != handoff->image_cr3 || img->image_pages != handoff->image_pages) {
		pr_err("fatal: image header after kexec (jump 0x%lx, cr3 0x%lx, %lu pages) differs from the "
		       "agent's (jump 0x%lx, cr3 0x%lx, %lu pages)", img->jump_address, img->cr3, img->image_pages,
		       handoff->jump_address, handoff->image_cr3, handoff->image_pages);
		hv_halt("image changed after kexec");
	}
	pr_info("restore: image ok: %lu pages (%lu zero, %lu above 4 GiB), jump 0x%lx, cr3 0x%lx",
		lay.nr_pfns, lay.nr_zero, high_pfns, img->jump_address, img->cr3);
}

/*
 * The agent's phase stamps, from a page of its memory that is not an image
 * frame (it was allocated after the snapshot): read before any image page
 * is placed, and only if it is RAM that odv-hv maps outside its own region.
 */
static void take_agent_stamps(const struct phys_range *ram, unsigned nr_ram)
{
	uint64_t at = handoff->agent_tsc_phys, len = sizeof(handoff->result_agent_tsc);
	if (!at)
		return;
	if ((at & 7) || at + len > ODV_HV_MAPPED_LIMIT || !in_ram(ram, nr_ram, at, len) ||
	    (at < handoff->region_base + handoff->region_size && handoff->region_base < at + len)) {
		pr_warn("restore: the agent's phase stamps at 0x%lx are not where odv-hv can read them; ignored", at);
		return;
	}
	memcpy(handoff->result_agent_tsc, phys_to_virt(at), len);
}

__noreturn void restore_main(void)
{
	check_handoff();
	park_other_cpus();
	struct phys_range ram[ODV_HANDOFF_MAX_MEM];
	unsigned nr_ram = take_memory_map(ram);
	/* The image and its stream may lie anywhere in RAM: map all of it. */
	if (direct_map_machine())
		hv_halt("cannot map the machine's memory");
	take_rsdp();
	struct swsusp_header img;
	check_image(&img, ram, nr_ram);
	take_agent_stamps(ram, nr_ram);
	handoff->result_tsc[ODV_TSC_HV_ENTRY] = hv.tsc_entry;
	stamp(ODV_TSC_HV_CHECKED);

	/* Copy. From here on the old kernel's memory is the image's. */
	const char *err;
	swsusp_walk(&img, stream_page, handoff, copy_page, handoff, NULL, &err);
	stamp(ODV_TSC_HV_PLACED);
	pr_info("restore: %lu pages copied, %lu zeroed, %lu of them above 4 GiB", copied, zeroed, copied_high);

	/* The CPUs, found even for a native resume: the log says what odv-hv saw. */
	unsigned cpus = smp_discover();
	/* Say whether DMA isolation exists here (vtd_protect turns it on for a virtual resume). */
	(void)vtd_probe();
	if (handoff->test_flags & ODV_TEST_FORCE_NATIVE)
		resume_native(&img, "forced by test flag");
	const char *why = vmx_unusable_reason_now();
	if (why)
		resume_native(&img, why);
	resume_virtual(&img, cpus);
}
