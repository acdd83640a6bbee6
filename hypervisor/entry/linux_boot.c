/*
 * Boot-menu entry path: boot a Linux bzImage as the guest, by the x86 boot
 * protocol's 64-bit entry (Documentation/arch/x86/boot.rst). GRUB hands us
 * the kernel as a module named "linux <kernel command line>" and the initrd
 * as a module named "initrd". The guest gets odv-hv's region as reserved in
 * its e820 map, and starts in 64-bit mode at load address + 0x200 with RSI =
 * boot_params, identity page tables and a GDT with __BOOT_CS/__BOOT_DS.
 */
#include "le.h"
#include "hv.h"
#include "arch.h"
#include "memmap.h"
#include "vcpu.h"
#include "vmcs.h"
#include "vmx.h"

/* Guest-physical places for what the boot protocol needs (low RAM, below 640 KiB). */
#define BP_ADDR      0x10000ull   /* boot_params, 4 KiB */
#define CMDLINE_ADDR 0x20000ull   /* up to cmdline_size */
#define GDT_ADDR     0x30000ull
#define PT_ADDR      0x31000ull   /* PML4, PDPT, 4 PDs: identity 0-4 GiB in 2 MiB pages */
#define KERNEL_ADDR  ((uint64_t)0x1000000)  /* 16 MiB, 2 MiB aligned */

static void *gp(uint64_t pa) { return phys_to_virt(pa); }

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static const struct mb2_module *find_module(const char *prefix, const char **rest)
{
	for (unsigned i = 0; i < hv.boot.nr_modules; i++) {
		const char *s = hv.boot.modules[i].string;
		unsigned k = 0;
		while (prefix[k] && s[k] == prefix[k])
			k++;
		if (!prefix[k] && (s[k] == ' ' || s[k] == 0)) {
			if (rest)
				*rest = s[k] ? s + k + 1 : s + k;
			return &hv.boot.modules[i];
		}
	}
	return NULL;
}

/* What the bzImage's setup header says (Documentation/arch/x86/boot.rst). */
struct bzimage {
	const uint8_t *k;
	uint64_t size;
	uint16_t version;
	uint64_t pm_off, pm_size;   /* the protected-mode kernel: where in the file, how long */
	uint64_t init_size;         /* memory it needs from its load address */
	uint64_t cmdline_size;
};

/* A bzImage with a 64-bit entry: 0, or -1 with the reason logged. */
static int parse_bzimage(const uint8_t *k, uint64_t ksize, struct bzimage *bz)
{
	if (ksize < 0x1000 || le16(k + 0x1fe) != 0xaa55 || le32(k + 0x202) != 0x53726448 /* "HdrS" */) {
		pr_err("linux: module is not a bzImage (no boot protocol header)");
		return -1;
	}
	uint16_t version = le16(k + 0x206);
	uint16_t xloadflags = version >= 0x20c ? le16(k + 0x236) : 0;
	if (version < 0x20c || !(xloadflags & 1)) {
		pr_err("linux: boot protocol %u.%02u without a 64-bit entry; need >= 2.12 with XLF_KERNEL_64",
		       version >> 8, version & 0xff);
		return -1;
	}
	unsigned setup_sects = k[0x1f1] ? k[0x1f1] : 4;
	bz->k = k;
	bz->size = ksize;
	bz->version = version;
	bz->pm_off = (setup_sects + 1) * 512ull;
	bz->pm_size = ksize - bz->pm_off;
	bz->init_size = le32(k + 0x260);
	bz->cmdline_size = le32(k + 0x238);
	if (bz->init_size < bz->pm_size)
		bz->init_size = bz->pm_size;
	return 0;
}

/* boot_params: the image's setup header, the loader's fields, the command line, the e820 map. */
static unsigned fill_boot_params(const struct bzimage *bz, uint64_t iaddr, uint64_t isize, const char *cmdline)
{
	uint8_t *bp = gp(BP_ADDR);
	bp[0x210] = 0xff;                                  /* type_of_loader: undefined */
	bp[0x211] |= 0x01 | 0x80;                          /* LOADED_HIGH, CAN_USE_HEAP */
	le_put(bp + 0x214, 4, (uint32_t)KERNEL_ADDR);      /* code32_start (informational) */
	le_put(bp + 0x218, 4, (uint32_t)iaddr);            /* ramdisk_image */
	le_put(bp + 0x21c, 4, (uint32_t)isize);            /* ramdisk_size */
	le_put(bp + 0x228, 4, (uint32_t)CMDLINE_ADDR);     /* cmd_line_ptr */
	char *cl = gp(CMDLINE_ADDR);
	unsigned n = 0;
	for (; cmdline[n] && n + 1 < bz->cmdline_size && n < 4095; n++)
		cl[n] = cmdline[n];
	cl[n] = 0;
	/* e820: the guest's view, odv-hv's region reserved. */
	unsigned e = 0;
	for (unsigned i = 0; i < hv.nr_guest_map && e < 128; i++, e++) {
		uint8_t *ent = bp + 0x2d0 + 20 * e;
		le_put(ent, 8, hv.guest_map[i].base);
		le_put(ent + 8, 8, hv.guest_map[i].len);
		le_put(ent + 16, 4, hv.guest_map[i].type);
	}
	bp[0x1e8] = (uint8_t)e;
	return e;
}

/* GDT: 0x10 = __BOOT_CS, 0x18 = __BOOT_DS; identity page tables for 0-4 GiB in 2 MiB pages. */
static void build_boot_tables(void)
{
	uint64_t *gdt = gp(GDT_ADDR);
	gdt[0] = gdt[1] = 0;
	gdt[2] = 0x00AF9A000000FFFFull;
	gdt[3] = 0x00CF92000000FFFFull;
	uint64_t *pml4 = gp(PT_ADDR), *pdpt = gp(PT_ADDR + 0x1000), *pd = gp(PT_ADDR + 0x2000);
	for (unsigned i = 0; i < 512; i++)
		pml4[i] = pdpt[i] = 0;
	pml4[0] = (PT_ADDR + 0x1000) | 3;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (PT_ADDR + 0x2000 + 0x1000 * i) | 3;
	for (unsigned i = 0; i < 2048; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
}

/* Returns 0 when no "linux" module was given (not this path), 1 when set up, -1 on error. */
int linux_boot_prepare(struct vcpu *v)
{
	const char *cmdline;
	const struct mb2_module *km = find_module("linux", &cmdline);
	if (!km)
		return 0;
	const struct mb2_module *im = find_module("initrd", NULL);
	struct bzimage bz;
	if (parse_bzimage(gp(km->start), km->end - km->start, &bz))
		return -1;

	/* The initrd goes just below odv-hv's region, the kernel to 16 MiB: check both fit. */
	uint64_t isize = im ? im->end - im->start : 0;
	uint64_t iaddr = im ? ALIGN_DOWN(hv.load_base - isize, PAGE_SIZE) : 0;
	if (!memmap_covers(hv.guest_map, hv.nr_guest_map, KERNEL_ADDR, bz.init_size, MEM_RAM) ||
	    (im && !memmap_covers(hv.guest_map, hv.nr_guest_map, iaddr, isize, MEM_RAM)) ||
	    (im && overlaps(KERNEL_ADDR, bz.init_size, iaddr, isize)) ||
	    (im && overlaps(iaddr, isize, km->start, bz.size))) {
		pr_err("linux: no room for the kernel (0x%lx + 0x%lx) and initrd (0x%lx bytes)",
		       KERNEL_ADDR, bz.init_size, isize);
		return -1;
	}
	/* boot_params first: the setup header is copied from the image before the image moves. */
	uint8_t *bp = gp(BP_ADDR);
	for (unsigned i = 0; i < 4096; i++)
		bp[i] = 0;
	unsigned hdr_end = 0x202 + bz.k[0x201];
	for (unsigned i = 0x1f1; i < hdr_end && i < 0x290; i++)
		bp[i] = bz.k[i];
	if (im)
		memmove(gp(iaddr), gp(im->start), isize);
	memmove(gp(KERNEL_ADDR), bz.k + bz.pm_off, bz.pm_size);
	unsigned e = fill_boot_params(&bz, iaddr, isize, cmdline);
	build_boot_tables();

	vmx_guest_long_mode(PT_ADDR, KERNEL_ADDR + 0x200, 0);
	vmwrite(VMCS_GUEST_GDTR_BASE, GDT_ADDR);
	vmwrite(VMCS_GUEST_GDTR_LIMIT, 4 * 8 - 1);
	v->regs = (struct guest_regs){ 0 };
	v->regs.rsi = BP_ADDR;
	pr_info("linux: boot protocol %u.%02u, kernel 0x%lx (+0x%lx, init 0x%lx), initrd 0x%lx (+0x%lx), "
		"%u e820 entries, cmdline \"%s\"", bz.version >> 8, bz.version & 0xff, KERNEL_ADDR, bz.pm_size,
		bz.init_size, iaddr, isize, e, (const char *)gp(CMDLINE_ADDR));
	return 1;
}
