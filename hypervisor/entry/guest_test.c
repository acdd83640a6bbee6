/*
 * Entry path for the tiny test guests (tests/guests): copy the module to
 * where it wants to run, tell it its memory map, and set vCPU 0 up in
 * 64-bit mode exactly as a hibernation-image resume will be set up.
 */
#include "entry.h"
#include "arch.h"
#include "hv.h"
#include "memmap.h"
#include "odv_testguest.h"
#include "vmx.h"

static void copy_bytes(uint8_t *dst, const uint8_t *src, size_t n)
{
	if (dst < src)
		for (size_t i = 0; i < n; i++) dst[i] = src[i];
	else
		for (size_t i = n; i-- > 0;) dst[i] = src[i];
}

int test_guest_prepare(struct vcpu *v)
{
	/*
	 * Port 0x80 (POST codes, harmless) exits and is forwarded, so that guest A
	 * can see the I/O bitmap work. Only test guests get this: a real guest's
	 * ports that no device claims pass through.
	 */
	vmx_trap_port(0x80);
	if (hv.boot.nr_modules == 0) {
		pr_err("no guest: the boot menu entry passed no module");
		return -1;
	}
	const struct mb2_module *m = &hv.boot.modules[0];
	const struct odv_tg_header *h = phys_to_virt(m->start);
	uint64_t size = m->end - m->start;
	if (size < sizeof(*h) || h->magic != ODV_TG_MAGIC) {
		pr_err("module '%s' is not an odv test guest (bad magic)", m->string);
		return -1;
	}
	struct odv_tg_header hdr = *h;
	if ((hdr.load_addr & 0xfff) || hdr.image_end < hdr.load_addr + size ||
	    hdr.info_addr < hdr.load_addr || hdr.info_addr + sizeof(struct odv_tg_info) > hdr.image_end ||
	    hdr.entry < hdr.load_addr || hdr.entry >= hdr.image_end) {
		pr_err("test guest header is inconsistent");
		return -1;
	}
	if (!memmap_covers(hv.guest_map, hv.nr_guest_map, hdr.load_addr, hdr.image_end - hdr.load_addr, MEM_RAM)) {
		pr_err("test guest wants 0x%lx-0x%lx, which is not guest RAM", hdr.load_addr, hdr.image_end);
		return -1;
	}
	/* The module string lives in the boot info, which the copy may overwrite. */
	char cmd[128];
	unsigned n = 0;
	for (; m->string[n] && n < sizeof(cmd) - 1; n++)
		cmd[n] = m->string[n];
	cmd[n] = 0;

	copy_bytes(phys_to_virt(hdr.load_addr), phys_to_virt(m->start), size);
	uint8_t *bss = phys_to_virt(hdr.load_addr + size);
	for (uint64_t i = 0; i < hdr.image_end - hdr.load_addr - size; i++)
		bss[i] = 0;

	struct odv_tg_info *info = phys_to_virt(hdr.info_addr);
	info->magic = ODV_TG_INFO_MAGIC;
	info->hv_base = hv.load_base;
	info->hv_size = hv.size;
	info->nr_ranges = 0;
	for (unsigned i = 0; i < hv.nr_guest_map && info->nr_ranges < ODV_TG_MAX_RANGES; i++) {
		struct odv_tg_range *r = &info->ranges[info->nr_ranges++];
		r->base = hv.guest_map[i].base;
		r->len = hv.guest_map[i].len;
		r->type = hv.guest_map[i].type == MEM_RAM ? ODV_TG_RAM : ODV_TG_RESERVED;
	}
	for (unsigned i = 0; i <= n; i++)
		info->cmdline[i] = cmd[i];

	vmx_guest_long_mode(hdr.cr3, hdr.entry, EFER_LME | EFER_LMA);
	v->regs.rdi = hdr.info_addr;
	pr_info("test guest '%s': 0x%lx-0x%lx, entry 0x%lx, cr3 0x%lx", cmd,
		hdr.load_addr, hdr.image_end, hdr.entry, hdr.cr3);
	return 0;
}
