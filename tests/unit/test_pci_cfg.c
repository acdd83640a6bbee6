/* Host unit tests for drivers/pci_cfg.c: the guest's 0xCF8/0xCFC accesses against a fake PCI bus. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pci_cfg.h"

/* ---- fake hardware configuration space ---- */

struct fake_fn {
	uint16_t bdf;
	uint8_t cfg[256];
};

struct hw_write {
	uint16_t bdf;
	unsigned off, size;
	uint32_t val;
};

static struct fake_fn fns[4];
static unsigned nr_fns;
static bool all_present;          /* every function answers (a full bus) */
static unsigned hw_reads;
static struct hw_write hw_log[64];
static unsigned hw_writes;
static struct { uint16_t bdf; unsigned off, size; } last_read;

static struct fake_fn *fake_find(uint16_t bdf)
{
	for (unsigned i = 0; i < nr_fns; i++)
		if (fns[i].bdf == bdf)
			return &fns[i];
	return NULL;
}

static uint32_t le(const uint8_t *p, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static uint32_t ones(unsigned size)
{
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* Checks what real hardware would require of the caller: a size of 1, 2 or 4 inside one dword. */
static uint32_t hw_read(void *ctx, uint16_t bdf, unsigned off, unsigned size)
{
	assert_ptr_equal(ctx, fns);
	assert_true(size == 1 || size == 2 || size == 4);
	assert_true((off & 3) + size <= 4);
	assert_true(off < 256);
	hw_reads++;
	last_read.bdf = bdf;
	last_read.off = off;
	last_read.size = size;
	struct fake_fn *f = fake_find(bdf);
	if (!f)
		return all_present ? 0x0000abcd & ones(size) : ones(size);
	return le(f->cfg + off, size);
}

static void hw_write(void *ctx, uint16_t bdf, unsigned off, unsigned size, uint32_t val)
{
	assert_ptr_equal(ctx, fns);
	assert_true(size == 1 || size == 2 || size == 4);
	assert_true((off & 3) + size <= 4);
	assert_true(val <= ones(size));
	assert_true(hw_writes < ARRAY_SIZE(hw_log));
	hw_log[hw_writes++] = (struct hw_write){ bdf, off, size, val };
}

static void fake_fn(uint16_t bdf, uint16_t vendor, uint16_t device, uint32_t class_code, uint8_t hdr)
{
	struct fake_fn *f = &fns[nr_fns++];
	memset(f, 0, sizeof(*f));
	f->bdf = bdf;
	memcpy(f->cfg + 0, &vendor, 2);
	memcpy(f->cfg + 2, &device, 2);
	f->cfg[8] = 0x02;
	memcpy(f->cfg + 9, &class_code, 3);
	f->cfg[0x0e] = hdr;
}

/* A PIIX-style bus: host bridge, ISA (multi-function) with IDE, and an e1000. */
static void fake_bus(void)
{
	nr_fns = 0;
	all_present = false;
	hw_reads = 0;
	hw_writes = 0;
	memset(&last_read, 0, sizeof(last_read));
	fake_fn(PCI_BDF(0, 0, 0), 0x8086, 0x1237, 0x060000, 0x00);
	fake_fn(PCI_BDF(0, 1, 0), 0x8086, 0x7000, 0x060100, 0x80);
	fake_fn(PCI_BDF(0, 1, 1), 0x8086, 0x7010, 0x010180, 0x00);
	fake_fn(PCI_BDF(0, 2, 0), 0x8086, 0x100e, 0x020000, 0x00);
}

/* ---- fake raw ports (0xCF8..0xCFB other than the latch) ---- */

#define RAW_IN_VALUE 0x5au

static struct { uint16_t port; unsigned size; uint32_t val; bool out; } raw_log[16];
static unsigned raw_n;

static uint32_t raw_in(uint16_t port, unsigned size)
{
	assert_true(raw_n < ARRAY_SIZE(raw_log));
	raw_log[raw_n].port = port;
	raw_log[raw_n].size = size;
	raw_log[raw_n].out = false;
	raw_n++;
	return RAW_IN_VALUE;
}

static void raw_out(uint16_t port, unsigned size, uint32_t val)
{
	assert_true(raw_n < ARRAY_SIZE(raw_log));
	raw_log[raw_n].port = port;
	raw_log[raw_n].size = size;
	raw_log[raw_n].val = val;
	raw_log[raw_n].out = true;
	raw_n++;
}

/* ---- the guest's side ---- */

static struct pci_cfg pc;

static void setup_cfg(void)
{
	fake_bus();
	raw_n = 0;
	const struct pci_hw hw = { hw_read, hw_write, fns };
	pci_cfg_init(&pc, &hw);
}

static uint32_t addr(uint16_t bdf, unsigned reg)
{
	return 0x80000000u | (uint32_t)bdf << 8 | (reg & 0xfc);
}

static void latch(uint16_t bdf, unsigned reg)
{
	pci_cfg_port_out(&pc, 0xcf8, 4, addr(bdf, reg), raw_out);
}

static uint32_t cfg_in(uint16_t bdf, unsigned off, unsigned size)
{
	latch(bdf, off);
	return pci_cfg_port_in(&pc, 0xcfc + (off & 3), size, raw_in);
}

static void cfg_out(uint16_t bdf, unsigned off, unsigned size, uint32_t val)
{
	latch(bdf, off);
	pci_cfg_port_out(&pc, 0xcfc + (off & 3), size, val, raw_out);
}

/* A virtual storage controller at 00:03.0. */
static struct pci_vdev vd;

static void make_vdev(uint16_t bdf)
{
	pci_vdev_init(&vd, bdf, 0x1af4, 0x1001, 0x010000, 0x01, 0x1af4, 0x0002);
}

/* ---- latch and raw ports ---- */

static void test_latch(void **state)
{
	setup_cfg();
	const uint32_t vals[] = { 0x80000000u, 0x8001080cu, 0x00fffffcu, 0x80000003u, 0xffffffffu, 0 };
	for (unsigned i = 0; i < ARRAY_SIZE(vals); i++) {
		pci_cfg_port_out(&pc, 0xcf8, 4, vals[i], raw_out);
		assert_int_equal(pc.cf8, vals[i]);
		assert_int_equal(pci_cfg_port_in(&pc, 0xcf8, 4, raw_in), vals[i]);
	}
	assert_int_equal(raw_n, 0);
	assert_int_equal(hw_reads, 0);
	assert_int_equal(hw_writes, 0);
}

static void test_reset_port(void **state)
{
	setup_cfg();
	latch(PCI_BDF(0, 2, 0), 0x10);
	pci_cfg_port_out(&pc, 0xcf9, 1, 0x06, raw_out);           /* hard reset request */
	assert_int_equal(raw_n, 1);
	assert_true(raw_log[0].out);
	assert_int_equal(raw_log[0].port, 0xcf9);
	assert_int_equal(raw_log[0].size, 1);
	assert_int_equal(raw_log[0].val, 0x06);
	assert_int_equal(pc.cf8, addr(PCI_BDF(0, 2, 0), 0x10));
	assert_int_equal(pci_cfg_port_in(&pc, 0xcf9, 1, raw_in), RAW_IN_VALUE);
	assert_int_equal(raw_n, 2);
	assert_false(raw_log[1].out);
	assert_int_equal(raw_log[1].port, 0xcf9);
	/* The other non-latch bytes, and a word at 0xCFA, are chipset registers too. */
	pci_cfg_port_out(&pc, 0xcfa, 1, 0x12, raw_out);
	pci_cfg_port_out(&pc, 0xcfb, 1, 0x34, raw_out);
	pci_cfg_port_out(&pc, 0xcfa, 2, 0xbeef, raw_out);
	assert_int_equal(raw_n, 5);
	assert_int_equal(raw_log[4].port, 0xcfa);
	assert_int_equal(raw_log[4].size, 2);
	assert_int_equal(pc.cf8, addr(PCI_BDF(0, 2, 0), 0x10));
	assert_int_equal(hw_writes, 0);
}

static void test_narrow_cf8_is_raw(void **state)
{
	setup_cfg();
	latch(PCI_BDF(0, 1, 0), 0);
	pci_cfg_port_out(&pc, 0xcf8, 2, 0xffff, raw_out);
	pci_cfg_port_out(&pc, 0xcf8, 1, 0x00, raw_out);
	assert_int_equal(raw_n, 2);
	assert_int_equal(raw_log[0].port, 0xcf8);
	assert_int_equal(raw_log[0].size, 2);
	assert_int_equal(raw_log[0].val, 0xffff);
	assert_int_equal(raw_log[1].size, 1);
	assert_int_equal(pc.cf8, addr(PCI_BDF(0, 1, 0), 0));
	assert_int_equal(pci_cfg_port_in(&pc, 0xcf8, 2, raw_in), RAW_IN_VALUE);
	assert_int_equal(raw_n, 3);
	assert_int_equal(raw_log[2].size, 2);
	assert_false(raw_log[2].out);
}

/*
 * An access that starts in 0xCF8-0xCFB and runs into 0xCFC would reach the
 * data port through the hardware's latch (odv-hv's, not the guest's): it
 * reaches nothing. libFuzzer found the first (tests/fuzz/fuzz_pci.c: a dword
 * write at 0xCFA went to the raw port whole); the others are its siblings.
 */
static void test_access_into_data_port_reaches_nothing(void **state)
{
	static const struct { uint16_t port; unsigned size; } cross[] = {
		{ 0xcfa, 4 }, { 0xcf9, 4 }, { 0xcfb, 4 }, { 0xcfb, 2 },
	};
	setup_cfg();
	latch(PCI_BDF(0, 1, 1), 0x04);
	for (unsigned i = 0; i < ARRAY_SIZE(cross); i++) {
		pci_cfg_port_out(&pc, cross[i].port, cross[i].size, 0, raw_out);
		uint32_t v = pci_cfg_port_in(&pc, cross[i].port, cross[i].size, raw_in);
		assert_int_equal(v, cross[i].size == 4 ? 0xffffffffu : 0xffffu);
	}
	assert_int_equal(raw_n, 0);
	assert_int_equal(hw_reads, 0);
	assert_int_equal(hw_writes, 0);
	assert_int_equal(pc.cf8, addr(PCI_BDF(0, 1, 1), 0x04));
}

/* ---- passthrough ---- */

static void test_passthrough_read(void **state)
{
	setup_cfg();
	const uint16_t b = PCI_BDF(0, 0, 0);
	assert_int_equal(cfg_in(b, 0, 4), 0x12378086);
	assert_int_equal(last_read.bdf, b);
	assert_int_equal(last_read.off, 0);
	assert_int_equal(last_read.size, 4);
	assert_int_equal(cfg_in(b, 0, 2), 0x8086);
	assert_int_equal(cfg_in(b, 2, 2), 0x1237);
	assert_int_equal(last_read.off, 2);
	assert_int_equal(last_read.size, 2);
	assert_int_equal(cfg_in(b, 0, 1), 0x86);
	assert_int_equal(cfg_in(b, 1, 1), 0x80);
	assert_int_equal(last_read.off, 1);
	assert_int_equal(last_read.size, 1);
	assert_int_equal(cfg_in(b, 2, 1), 0x37);
	assert_int_equal(cfg_in(b, 3, 1), 0x12);
	assert_int_equal(cfg_in(b, 1, 2), 0x3780);                 /* 0xCFD, two bytes: still inside the dword */
	assert_int_equal(cfg_in(PCI_BDF(0, 1, 1), 0, 4), 0x70108086);
	assert_int_equal(cfg_in(PCI_BDF(0, 1, 0), 0x0e, 1), 0x80);
	assert_int_equal(cfg_in(PCI_BDF(0, 2, 0), 2, 2), 0x100e);
	assert_int_equal(cfg_in(PCI_BDF(0, 2, 0), 0x08, 4), 0x02000002);
	/* Nothing at 00:07.0 or on bus 1: the hardware's all ones come through. */
	assert_int_equal(cfg_in(PCI_BDF(0, 7, 0), 0, 4), 0xffffffff);
	assert_int_equal(cfg_in(PCI_BDF(1, 0, 0), 0, 2), 0xffff);
	assert_int_equal(last_read.bdf, PCI_BDF(1, 0, 0));
	assert_int_equal(raw_n, 0);
}

static void test_extended_latch_bits_ignored(void **state)
{
	setup_cfg();
	/* AMD's extended register bits 27:24 and the reserved 30:28 and 1:0 do not change the target. */
	pci_cfg_port_out(&pc, 0xcf8, 4, addr(PCI_BDF(0, 1, 1), 0) | 0x7f000003u, raw_out);
	assert_int_equal(pci_cfg_port_in(&pc, 0xcfc, 4, raw_in), 0x70108086);
	assert_int_equal(last_read.bdf, PCI_BDF(0, 1, 1));
	assert_int_equal(last_read.off, 0);
}

static void test_passthrough_write(void **state)
{
	setup_cfg();
	cfg_out(PCI_BDF(0, 2, 0), PCI_COMMAND, 2, 0x0007);
	assert_int_equal(hw_writes, 1);
	assert_int_equal(hw_log[0].bdf, PCI_BDF(0, 2, 0));
	assert_int_equal(hw_log[0].off, 4);
	assert_int_equal(hw_log[0].size, 2);
	assert_int_equal(hw_log[0].val, 0x0007);
	cfg_out(PCI_BDF(0, 1, 1), 0x3f, 1, 0x12345678);             /* 0xCFF: only the byte goes */
	assert_int_equal(hw_writes, 2);
	assert_int_equal(hw_log[1].bdf, PCI_BDF(0, 1, 1));
	assert_int_equal(hw_log[1].off, 0x3f);
	assert_int_equal(hw_log[1].size, 1);
	assert_int_equal(hw_log[1].val, 0x78);
	cfg_out(PCI_BDF(3, 31, 7), 0x10, 4, 0xfebf0000);
	assert_int_equal(hw_log[2].bdf, 0x03ff);
	assert_int_equal(hw_log[2].off, 0x10);
	assert_int_equal(hw_log[2].size, 4);
	assert_int_equal(hw_log[2].val, 0xfebf0000);
	cfg_out(PCI_BDF(0, 2, 0), 0x06, 2, 0xbeef);                 /* 0xCFE */
	assert_int_equal(hw_log[3].off, 6);
	assert_int_equal(hw_log[3].size, 2);
	assert_int_equal(hw_log[3].val, 0xbeef);
	assert_int_equal(hw_writes, 4);
	assert_int_equal(raw_n, 0);
}

static void test_hidden(void **state)
{
	setup_cfg();
	const uint16_t b = PCI_BDF(0, 2, 0);
	assert_int_equal(pci_cfg_hide(&pc, b), 0);
	assert_int_equal(pci_cfg_hide(&pc, PCI_BDF(5, 0, 0)), 0);   /* any bus */
	struct pci_vdev *d = &vd;
	assert_int_equal(pci_cfg_kind(&pc, b, &d), PCI_FN_HIDDEN);
	assert_null(d);
	assert_int_equal(pci_cfg_kind(&pc, PCI_BDF(5, 0, 0), NULL), PCI_FN_HIDDEN);
	assert_int_equal(pci_cfg_kind(&pc, PCI_BDF(0, 1, 0), NULL), PCI_FN_PASSTHROUGH);
	const unsigned sizes[] = { 1, 2, 4 };
	for (unsigned off = 0; off < 256; off++)
		for (unsigned s = 0; s < 3; s++) {
			if ((off & 3) + sizes[s] > 4)
				continue;
			assert_int_equal(cfg_in(b, off, sizes[s]), ones(sizes[s]));
			cfg_out(b, off, sizes[s], 0);
		}
	assert_int_equal(cfg_in(PCI_BDF(5, 0, 0), 0, 4), 0xffffffff);
	cfg_out(PCI_BDF(5, 0, 0), 4, 2, 0x7);
	assert_int_equal(hw_writes, 0);
	assert_int_equal(hw_reads, 0);
	/* Its neighbour function on another device is untouched. */
	assert_int_equal(cfg_in(PCI_BDF(0, 1, 1), 0, 2), 0x8086);
}

static void test_disabled_latch(void **state)
{
	setup_cfg();
	pci_cfg_port_out(&pc, 0xcf8, 4, PCI_BDF(0, 0, 0) << 8, raw_out);   /* bit 31 clear */
	assert_int_equal(pci_cfg_port_in(&pc, 0xcfc, 4, raw_in), 0xffffffff);
	assert_int_equal(pci_cfg_port_in(&pc, 0xcfe, 2, raw_in), 0xffff);
	assert_int_equal(pci_cfg_port_in(&pc, 0xcfd, 1, raw_in), 0xff);
	pci_cfg_port_out(&pc, 0xcfc, 4, 0, raw_out);
	pci_cfg_port_out(&pc, 0xcfc, 2, 0, raw_out);
	assert_int_equal(hw_reads, 0);
	assert_int_equal(hw_writes, 0);
	assert_int_equal(raw_n, 0);
}

static void test_misaligned_data(void **state)
{
	setup_cfg();
	make_vdev(PCI_BDF(0, 3, 0));
	assert_int_equal(pci_cfg_add_vdev(&pc, &vd), 0);
	const uint16_t bdfs[] = { PCI_BDF(0, 0, 0), PCI_BDF(0, 3, 0) };
	for (unsigned i = 0; i < 2; i++) {
		latch(bdfs[i], 0);
		assert_int_equal(pci_cfg_port_in(&pc, 0xcfd, 4, raw_in), 0xffffffff);
		assert_int_equal(pci_cfg_port_in(&pc, 0xcfe, 4, raw_in), 0xffffffff);
		assert_int_equal(pci_cfg_port_in(&pc, 0xcff, 2, raw_in), 0xffff);
		assert_int_equal(pci_cfg_port_in(&pc, 0xcfc, 3, raw_in), 0xffffffff);
		latch(bdfs[i], PCI_INT_LINE);
		pci_cfg_port_out(&pc, 0xcfd, 4, 0x12345678, raw_out);
		pci_cfg_port_out(&pc, 0xcff, 2, 0x1234, raw_out);
	}
	assert_int_equal(hw_reads, 0);
	assert_int_equal(hw_writes, 0);
	assert_int_equal(vd.cfg[PCI_INT_LINE], 0);
	assert_int_equal(raw_n, 0);
}

/* ---- virtual functions ---- */

static void test_vdev_header(void **state)
{
	setup_cfg();
	const uint16_t b = PCI_BDF(0, 3, 0);
	make_vdev(b);
	assert_int_equal(pci_cfg_add_vdev(&pc, &vd), 0);
	struct pci_vdev *d = NULL;
	assert_int_equal(pci_cfg_kind(&pc, b, &d), PCI_FN_VIRTUAL);
	assert_ptr_equal(d, &vd);
	assert_int_equal(cfg_in(b, PCI_VENDOR_ID, 4), 0x10011af4);
	assert_int_equal(cfg_in(b, PCI_DEVICE_ID, 2), 0x1001);
	assert_int_equal(cfg_in(b, PCI_COMMAND, 2), 0);
	assert_int_equal(cfg_in(b, PCI_STATUS, 2), 0);              /* no caps yet */
	assert_int_equal(cfg_in(b, PCI_REVISION, 4), 0x01000001);   /* class 01 00 00, revision 1 */
	assert_int_equal(cfg_in(b, PCI_CLASS_PROG, 1), 0x00);
	assert_int_equal(cfg_in(b, 0x0b, 1), 0x01);
	assert_int_equal(cfg_in(b, PCI_HEADER_TYPE, 1), 0x00);
	assert_int_equal(cfg_in(b, PCI_SUBSYS_VID, 4), 0x00021af4);
	assert_int_equal(cfg_in(b, PCI_CAP_PTR, 1), 0);
	assert_int_equal(cfg_in(b, PCI_INT_LINE, 2), 0x0100);       /* pin A, line 0 */
	for (unsigned bar = 0; bar < 6; bar++)
		assert_int_equal(cfg_in(b, PCI_BAR0 + 4 * bar, 4), 0);
	assert_null(vd.written);
	assert_null(vd.owner);
	/* Only 00:03.0 is virtual: its other functions still pass through. */
	assert_int_equal(pci_cfg_kind(&pc, PCI_BDF(0, 3, 1), NULL), PCI_FN_PASSTHROUGH);
	assert_int_equal(cfg_in(PCI_BDF(0, 3, 1), 0, 4), 0xffffffff);
	assert_int_equal(hw_reads, 1);
	assert_int_equal(hw_writes, 0);
}

static void test_vdev_bars(void **state)
{
	setup_cfg();
	const uint16_t b = PCI_BDF(0, 3, 0);
	make_vdev(b);
	pci_vdev_bar(&vd, 0, false, 0x1000, 0xfebf0000);
	pci_vdev_bar(&vd, 1, true, 0x20, 0xc040);
	pci_vdev_bar(&vd, 5, false, 16, 0xfebf1010);
	assert_int_equal(pci_cfg_add_vdev(&pc, &vd), 0);
	assert_int_equal(cfg_in(b, PCI_BAR0, 4), 0xfebf0000);
	assert_int_equal(cfg_in(b, PCI_BAR0 + 4, 4), 0xc041);
	assert_int_equal(cfg_in(b, PCI_BAR0 + 20, 4), 0xfebf1010);
	assert_int_equal(pci_vdev_bar_addr(&vd, 0), 0xfebf0000);
	assert_int_equal(pci_vdev_bar_addr(&vd, 1), 0xc040);
	/* Sizing. */
	for (unsigned bar = 0; bar < 6; bar++)
		cfg_out(b, PCI_BAR0 + 4 * bar, 4, 0xffffffff);
	assert_int_equal(cfg_in(b, PCI_BAR0, 4), 0xfffff000);
	assert_int_equal(cfg_in(b, PCI_BAR0 + 4, 4), 0xffffffe1);
	assert_int_equal(cfg_in(b, PCI_BAR0 + 20, 4), 0xfffffff0);
	for (unsigned bar = 2; bar < 5; bar++)
		assert_int_equal(cfg_in(b, PCI_BAR0 + 4 * bar, 4), 0);  /* unused */
	/* A new address, not aligned: the low bits stay hardwired. */
	cfg_out(b, PCI_BAR0, 4, 0xe0001234);
	assert_int_equal(cfg_in(b, PCI_BAR0, 4), 0xe0001000);
	assert_int_equal(pci_vdev_bar_addr(&vd, 0), 0xe0001000);
	cfg_out(b, PCI_BAR0 + 4, 4, 0xd05f);
	assert_int_equal(cfg_in(b, PCI_BAR0 + 4, 4), 0xd041);
	assert_int_equal(pci_vdev_bar_addr(&vd, 1), 0xd040);
	/* Byte and word writes move only their bytes. */
	cfg_out(b, PCI_BAR0 + 3, 1, 0xf0);
	assert_int_equal(cfg_in(b, PCI_BAR0, 4), 0xf0001000);
	cfg_out(b, PCI_BAR0, 2, 0xffff);
	assert_int_equal(cfg_in(b, PCI_BAR0, 4), 0xf000f000);
	assert_int_equal(pci_vdev_bar_addr(&vd, 2), 0);
	assert_int_equal(pci_vdev_bar_addr(&vd, 6), 0);
	assert_int_equal(hw_writes, 0);
}

static void test_vdev_bar_bad_args(void **state)
{
	make_vdev(PCI_BDF(0, 3, 0));
	pci_vdev_bar(&vd, 0, false, 8, 0xfebf0000);       /* memory below 16 bytes */
	pci_vdev_bar(&vd, 1, true, 2, 0xc040);            /* I/O below 4 bytes */
	pci_vdev_bar(&vd, 2, false, 0x3000, 0xfebf0000);  /* not a power of two */
	pci_vdev_bar(&vd, 3, true, 0, 0xc040);
	pci_vdev_bar(&vd, 6, false, 0x1000, 0xfebf0000);  /* no such BAR: the cap pointer follows */
	for (unsigned bar = 0; bar < 6; bar++) {
		pci_vdev_write(&vd, PCI_BAR0 + 4 * bar, 4, 0xffffffff);
		assert_int_equal(pci_vdev_read(&vd, PCI_BAR0 + 4 * bar, 4), 0);
	}
	assert_int_equal(pci_vdev_read(&vd, 0x28, 4), 0);
	assert_int_equal(pci_vdev_read(&vd, PCI_CAP_PTR, 4), 0);
}

static void test_vdev_read_only(void **state)
{
	setup_cfg();
	const uint16_t b = PCI_BDF(0, 3, 0);
	make_vdev(b);
	const uint8_t body[2] = { 0x11, 0x22 };
	assert_int_equal(pci_vdev_add_cap(&vd, 0x09, body, NULL, 4), 0x40);
	assert_int_equal(pci_cfg_add_vdev(&pc, &vd), 0);
	uint8_t before[256];
	memcpy(before, vd.cfg, 256);
	const unsigned sizes[] = { 4, 2, 1 };
	for (unsigned s = 0; s < 3; s++)
		for (unsigned off = 0; off < 256; off += sizes[s])
			cfg_out(b, off, sizes[s], 0xffffffff);
	assert_int_equal(cfg_in(b, PCI_VENDOR_ID, 4), 0x10011af4);
	assert_int_equal(cfg_in(b, PCI_REVISION, 4), 0x01000001);
	assert_int_equal(cfg_in(b, 0x0c, 4), 0);                    /* cache line, latency, header type, BIST */
	assert_int_equal(cfg_in(b, PCI_SUBSYS_VID, 4), 0x00021af4);
	assert_int_equal(cfg_in(b, PCI_CAP_PTR, 4), 0x40);
	assert_int_equal(cfg_in(b, PCI_INT_PIN, 1), 1);
	assert_int_equal(cfg_in(b, PCI_INT_LINE, 1), 0xff);         /* the one writable header byte */
	assert_int_equal(cfg_in(b, PCI_COMMAND, 2), 0x0407);
	assert_int_equal(cfg_in(b, PCI_STATUS, 2), PCI_STATUS_CAPS);
	assert_int_equal(cfg_in(b, 0x40, 4), 0x22110009);
	/* Apart from command and interrupt line, nothing changed. */
	for (unsigned i = 0; i < 256; i++)
		if (i != PCI_COMMAND && i != PCI_COMMAND + 1 && i != PCI_INT_LINE)
			assert_int_equal(vd.cfg[i], before[i]);
	assert_int_equal(hw_writes, 0);
}

static void test_vdev_command(void **state)
{
	setup_cfg();
	const uint16_t b = PCI_BDF(0, 3, 0);
	make_vdev(b);
	assert_int_equal(pci_cfg_add_vdev(&pc, &vd), 0);
	cfg_out(b, PCI_COMMAND, 2, 0xffff);
	assert_int_equal(cfg_in(b, PCI_COMMAND, 2), 0x0407);        /* I/O, memory, bus master, INTx disable */
	cfg_out(b, PCI_COMMAND, 2, 0);
	assert_int_equal(cfg_in(b, PCI_COMMAND, 2), 0);
	cfg_out(b, PCI_COMMAND, 2, PCI_CMD_MEM | 0x0100);           /* SERR# enable: not implemented */
	assert_int_equal(cfg_in(b, PCI_COMMAND, 2), PCI_CMD_MEM);
	cfg_out(b, PCI_COMMAND + 1, 1, 0xff);                        /* the high byte alone */
	assert_int_equal(cfg_in(b, PCI_COMMAND, 2), 0x0402);
	cfg_out(b, PCI_COMMAND, 4, 0xffff0001);                      /* with status, as a dword */
	assert_int_equal(cfg_in(b, PCI_COMMAND, 4), 0x00000001);
}

static void test_caps(void **state)
{
	setup_cfg();
	const uint16_t b = PCI_BDF(0, 3, 0);
	make_vdev(b);
	/* An MSI-like capability (10 bytes) then a vendor one (5 bytes). */
	const uint8_t msi[8] = { 0x80, 0x00, 0, 0, 0, 0, 0, 0 };
	const uint8_t msi_w[8] = { 0x01, 0x00, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff };
	const uint8_t ven[3] = { 5, 0xaa, 0xbb };
	assert_int_equal(pci_vdev_add_cap(&vd, 0x05, msi, msi_w, 10), 0x40);
	assert_int_equal(vd.cfg[PCI_STATUS] & PCI_STATUS_CAPS, PCI_STATUS_CAPS);
	assert_int_equal(pci_vdev_add_cap(&vd, 0x09, ven, NULL, 5), 0x4c);
	assert_int_equal(pci_cfg_add_vdev(&pc, &vd), 0);
	/* Walk it as a guest would. */
	assert_true(cfg_in(b, PCI_STATUS, 2) & PCI_STATUS_CAPS);
	unsigned at = cfg_in(b, PCI_CAP_PTR, 1);
	const uint8_t ids[] = { 0x05, 0x09 };
	unsigned n = 0;
	while (at) {
		assert_int_equal(at & 3, 0);
		assert_true(at >= 0x40);
		assert_true(n < 2);
		assert_int_equal(cfg_in(b, at, 1), ids[n++]);
		at = cfg_in(b, at + 1, 1);
	}
	assert_int_equal(n, 2);
	assert_int_equal(cfg_in(b, 0x40, 4), 0x00804c05);
	assert_int_equal(cfg_in(b, 0x4c, 4), 0xaa050009);
	assert_int_equal(cfg_in(b, 0x50, 1), 0xbb);
	assert_int_equal(cfg_in(b, 0x51, 1), 0);                     /* past the last capability */
	/* The body's write mask: MSI enable bit, the address (dword aligned), the data. */
	cfg_out(b, 0x40, 4, 0xffffffff);
	assert_int_equal(cfg_in(b, 0x40, 4), 0x00814c05);
	cfg_out(b, 0x44, 4, 0xfee01003);
	assert_int_equal(cfg_in(b, 0x44, 4), 0xfee01000);
	cfg_out(b, 0x48, 2, 0x4041);
	assert_int_equal(cfg_in(b, 0x48, 2), 0x4041);
	cfg_out(b, 0x4a, 2, 0xffff);                                  /* the padding before the next cap */
	assert_int_equal(cfg_in(b, 0x4a, 2), 0);
	cfg_out(b, 0x4c, 4, 0xffffffff);                              /* read-only body */
	assert_int_equal(cfg_in(b, 0x4c, 4), 0xaa050009);
}

static void test_cap_room(void **state)
{
	make_vdev(PCI_BDF(0, 3, 0));
	assert_int_equal(pci_vdev_add_cap(&vd, 0x09, NULL, NULL, 1), 0);     /* shorter than its header */
	assert_int_equal(pci_vdev_add_cap(&vd, 0x09, NULL, NULL, 0xc1), 0);  /* past 0xff */
	assert_int_equal(vd.cfg[PCI_CAP_PTR], 0);
	assert_int_equal(vd.cfg[PCI_STATUS], 0);
	/* Two-byte caps fill 0x40..0xff four bytes apart: 48 of them. */
	unsigned n = 0, off;
	while ((off = pci_vdev_add_cap(&vd, 0x09, NULL, NULL, 2)) != 0) {
		assert_int_equal(off, 0x40 + 4 * n);
		n++;
		assert_true(n <= 48);
	}
	assert_int_equal(n, 48);
	assert_int_equal(vd.cfg[0xfd], 0);                            /* the last one ends the list */
	assert_int_equal(vd.cfg[0xf9], 0xfc);
	/* Exactly up to 0x100 fits. */
	make_vdev(PCI_BDF(0, 3, 0));
	assert_int_equal(pci_vdev_add_cap(&vd, 0x10, NULL, NULL, 0xc0), 0x40);
	assert_int_equal(pci_vdev_add_cap(&vd, 0x09, NULL, NULL, 2), 0);
	assert_int_equal(vd.cfg[0x41], 0);
	/* 0xbe bytes leave 0xfe, which aligns up to 0x100: no room either. */
	make_vdev(PCI_BDF(0, 3, 0));
	assert_int_equal(pci_vdev_add_cap(&vd, 0x10, NULL, NULL, 0xbe), 0x40);
	assert_int_equal(pci_vdev_add_cap(&vd, 0x09, NULL, NULL, 2), 0);
	make_vdev(PCI_BDF(0, 3, 0));
	assert_int_equal(pci_vdev_add_cap(&vd, 0x10, NULL, NULL, 0xbb), 0x40);
	assert_int_equal(pci_vdev_add_cap(&vd, 0x09, NULL, NULL, 2), 0xfc);
	assert_int_equal(pci_vdev_add_cap(&vd, 0x09, NULL, NULL, 2), 0);
}

static struct { unsigned calls, off, size; struct pci_vdev *d; } cb;

static void written(struct pci_vdev *d, unsigned off, unsigned size)
{
	cb.calls++;
	cb.d = d;
	cb.off = off;
	cb.size = size;
}

static void test_written_callback(void **state)
{
	setup_cfg();
	const uint16_t b = PCI_BDF(0, 3, 0);
	make_vdev(b);
	vd.written = written;
	int owner;
	vd.owner = &owner;
	assert_int_equal(pci_cfg_add_vdev(&pc, &vd), 0);
	memset(&cb, 0, sizeof(cb));
	cfg_out(b, PCI_INT_LINE, 1, 11);
	assert_int_equal(cb.calls, 1);
	assert_ptr_equal(cb.d, &vd);
	assert_ptr_equal(cb.d->owner, &owner);
	assert_int_equal(cb.off, PCI_INT_LINE);
	assert_int_equal(cb.size, 1);
	assert_int_equal(vd.cfg[PCI_INT_LINE], 11);                  /* already stored when called */
	cfg_out(b, PCI_STATUS, 2, 0xffff);                           /* 0xCFE */
	assert_int_equal(cb.calls, 2);
	assert_int_equal(cb.off, 6);
	assert_int_equal(cb.size, 2);
	cfg_out(b, PCI_BAR0, 4, 0);
	assert_int_equal(cb.off, 0x10);
	assert_int_equal(cb.size, 4);
	/* Dropped writes tell nobody. */
	latch(b, 0);
	pci_cfg_port_out(&pc, 0xcfd, 4, 0, raw_out);
	pci_cfg_port_out(&pc, 0xcf8, 4, 0, raw_out);
	pci_cfg_port_out(&pc, 0xcfc, 4, 0, raw_out);
	pci_vdev_write(&vd, 0xfe, 4, 0);
	pci_vdev_write(&vd, 0x100, 1, 0);
	pci_vdev_write(&vd, 0, 3, 0);
	assert_int_equal(cb.calls, 3);
	/* Reads do not either. */
	cfg_in(b, 0, 4);
	assert_int_equal(cb.calls, 3);
}

static void test_w1c(void **state)
{
	setup_cfg();
	const uint16_t b = PCI_BDF(0, 3, 0);
	make_vdev(b);
	pci_vdev_add_cap(&vd, 0x09, NULL, NULL, 4);
	assert_int_equal(pci_cfg_add_vdev(&pc, &vd), 0);
	/* The device reports a received master abort and a parity error. */
	vd.cfg[PCI_STATUS + 1] |= (1 << 5) | (1 << 0);
	const uint32_t st = PCI_STATUS_CAPS | (1u << 13) | (1u << 8);
	assert_int_equal(cfg_in(b, PCI_STATUS, 2), st);
	cfg_out(b, PCI_STATUS, 2, 0);                                /* writing 0 leaves them */
	assert_int_equal(cfg_in(b, PCI_STATUS, 2), st);
	cfg_out(b, PCI_STATUS, 2, 1u << 13);
	assert_int_equal(cfg_in(b, PCI_STATUS, 2), PCI_STATUS_CAPS | (1u << 8));
	cfg_out(b, PCI_STATUS + 1, 1, 0xff);                         /* the high byte alone */
	assert_int_equal(cfg_in(b, PCI_STATUS, 2), PCI_STATUS_CAPS);
	/* Generic: a byte half write-1-to-clear, half plain writable; a clear bit stays clear. */
	vd.cfg[0x42] = 0xa5;
	vd.w1c[0x42] = 0xf0;
	vd.wmask[0x42] = 0x0f;
	cfg_out(b, 0x42, 1, 0x30);
	assert_int_equal(vd.cfg[0x42], 0x80);                         /* 0xa_ minus 0x20 (0x10 was clear); low nibble 0 */
	cfg_out(b, 0x40, 4, 0x000f0000);
	assert_int_equal(vd.cfg[0x42], 0x8f);
	/* A bit both writable and w1c behaves as w1c. */
	vd.w1c[0x43] = 0x01;
	vd.wmask[0x43] = 0x03;
	vd.cfg[0x43] = 0x01;
	cfg_out(b, 0x43, 1, 0x02);
	assert_int_equal(vd.cfg[0x43], 0x03);
	cfg_out(b, 0x43, 1, 0x01);
	assert_int_equal(vd.cfg[0x43], 0x00);
}

/* ---- bookkeeping ---- */

static void test_free_slot(void **state)
{
	setup_cfg();
	assert_int_equal(pci_cfg_free_slot(&pc), 3);
	assert_int_equal(hw_writes, 0);
	/* A device odv-hv took over (powered off, reads absent) is still not free. */
	assert_int_equal(pci_cfg_hide(&pc, PCI_BDF(0, 3, 0)), 0);
	assert_int_equal(pci_cfg_free_slot(&pc), 4);
	make_vdev(PCI_BDF(0, 4, 0));
	assert_int_equal(pci_cfg_add_vdev(&pc, &vd), 0);
	assert_int_equal(pci_cfg_free_slot(&pc), 5);
	/* Any function of a device counts. */
	static struct pci_vdev fn2;
	pci_vdev_init(&fn2, PCI_BDF(0, 5, 2), 0x1af4, 0x1000, 0x020000, 0, 0, 0);
	assert_int_equal(pci_cfg_add_vdev(&pc, &fn2), 0);
	assert_int_equal(pci_cfg_hide(&pc, PCI_BDF(0, 6, 1)), 0);
	assert_int_equal(pci_cfg_free_slot(&pc), 7);
	/* Hidden devices on other buses do not block bus 0. */
	assert_int_equal(pci_cfg_hide(&pc, PCI_BDF(1, 7, 0)), 0);
	assert_int_equal(pci_cfg_free_slot(&pc), 7);
	/* A full bus. */
	all_present = true;
	assert_int_equal(pci_cfg_free_slot(&pc), -1);
	/* No way to look at the hardware: nothing is known to be free. */
	pci_cfg_init(&pc, NULL);
	assert_int_equal(pci_cfg_free_slot(&pc), -1);
	assert_int_equal(cfg_in(PCI_BDF(0, 0, 0), 0, 4), 0xffffffff);
}

static void test_add_limits(void **state)
{
	setup_cfg();
	static struct pci_vdev v[PCI_MAX_VDEVS + 1];
	pci_vdev_init(&v[0], PCI_BDF(1, 0, 0), 1, 2, 0, 0, 0, 0);
	assert_int_equal(pci_cfg_add_vdev(&pc, &v[0]), -1);           /* not bus 0 */
	assert_int_equal(pci_cfg_kind(&pc, PCI_BDF(1, 0, 0), NULL), PCI_FN_PASSTHROUGH);
	assert_int_equal(pci_cfg_add_vdev(&pc, NULL), -1);
	for (unsigned i = 0; i <= PCI_MAX_VDEVS; i++)
		pci_vdev_init(&v[i], PCI_BDF(0, 10 + i, 0), 1, 2, 0, 0, 0, 0);
	for (unsigned i = 0; i < PCI_MAX_VDEVS; i++)
		assert_int_equal(pci_cfg_add_vdev(&pc, &v[i]), 0);
	assert_int_equal(pci_cfg_add_vdev(&pc, &v[PCI_MAX_VDEVS]), -1);  /* full */
	assert_int_equal(pc.nr_vdev, PCI_MAX_VDEVS);
	assert_int_equal(pci_cfg_kind(&pc, PCI_BDF(0, 10 + PCI_MAX_VDEVS, 0), NULL), PCI_FN_PASSTHROUGH);
	/* The same function twice would be ambiguous. */
	setup_cfg();
	assert_int_equal(pci_cfg_add_vdev(&pc, &v[0]), 0);
	assert_int_equal(pci_cfg_add_vdev(&pc, &v[0]), -1);
	/* Hidden: idempotent, then full. */
	setup_cfg();
	assert_int_equal(pci_cfg_hide(&pc, PCI_BDF(0, 2, 0)), 0);
	assert_int_equal(pci_cfg_hide(&pc, PCI_BDF(0, 2, 0)), 0);
	assert_int_equal(pc.nr_hidden, 1);
	for (unsigned i = 1; i < PCI_MAX_HIDDEN; i++)
		assert_int_equal(pci_cfg_hide(&pc, PCI_BDF(2, i, 0)), 0);
	assert_int_equal(pci_cfg_hide(&pc, PCI_BDF(3, 0, 0)), -1);
	assert_int_equal(pc.nr_hidden, PCI_MAX_HIDDEN);
	assert_int_equal(pci_cfg_kind(&pc, PCI_BDF(3, 0, 0), NULL), PCI_FN_PASSTHROUGH);
}

/* ---- property: random port traffic ---- */

#define RNG_SEED 0x9c1f00d5eed5ca1eull
#include "prng.h"

/* The write rule restated per bit: w1c bits clear on 1, plain writable bits copy, the rest hold. */
static uint8_t model_byte(uint8_t old, uint8_t val, uint8_t wm, uint8_t w1c)
{
	uint8_t r = 0;
	for (unsigned bit = 0; bit < 8; bit++) {
		uint8_t m = (uint8_t)(1u << bit), o = old & m, v = val & m;
		if (w1c & m)
			r |= v ? 0 : o;
		else if (wm & m)
			r |= v;
		else
			r |= o;
	}
	return r;
}

static void test_random_traffic(void **state)
{
	setup_cfg();
	make_vdev(PCI_BDF(0, 3, 0));
	pci_vdev_bar(&vd, 0, false, 0x4000, 0xfebf0000);
	pci_vdev_bar(&vd, 2, true, 0x40, 0xc000);
	uint8_t w[12], wm[12];
	for (unsigned i = 0; i < 12; i++) {
		w[i] = (uint8_t)rng();
		wm[i] = (uint8_t)rng();
	}
	pci_vdev_add_cap(&vd, 0x11, w, wm, 14);
	pci_vdev_add_cap(&vd, 0x09, w, NULL, 7);
	for (unsigned i = 0x42; i < 0x4e; i++)           /* the body only: the chain stays intact */
		vd.w1c[i] = (uint8_t)rng() & (uint8_t)~vd.wmask[i];
	assert_int_equal(pci_cfg_add_vdev(&pc, &vd), 0);
	assert_int_equal(pci_cfg_hide(&pc, PCI_BDF(0, 2, 0)), 0);
	const uint16_t targets[] = { PCI_BDF(0, 3, 0), PCI_BDF(0, 2, 0), PCI_BDF(0, 1, 1), PCI_BDF(0, 9, 0) };
	const unsigned sizes[] = { 1, 2, 4, 3, 0, 8 };
	for (unsigned it = 0; it < 200000; it++) {
		uint64_t x = rng();
		uint16_t bdf = targets[x % 4];
		unsigned reg = (x >> 8) & 0xff, lane = (x >> 16) & 3, size = sizes[(x >> 20) % 6];
		uint32_t val = (uint32_t)(x >> 32);
		uint32_t l = (addr(bdf, reg) & 0x7fffffffu) | ((x >> 24) % 8 == 0 ? 0 : 0x80000000u);
		pci_cfg_port_out(&pc, 0xcf8, 4, l ^ ((x >> 28) & 0x0f000003u), raw_out);
		bool valid = (l >> 31) && (size == 1 || size == 2 || size == 4) && lane + size <= 4;
		unsigned off = (reg & 0xfc) + lane;
		unsigned wr_before = hw_writes;
		if (x & (1ull << 27)) {
			uint8_t old[256];
			memcpy(old, vd.cfg, 256);
			pci_cfg_port_out(&pc, 0xcfc + lane, size, val, raw_out);
			hw_writes = hw_writes > 32 ? 0 : hw_writes;   /* keep the log small */
			for (unsigned i = 0; i < 256; i++) {
				bool hit = valid && bdf == PCI_BDF(0, 3, 0) && i >= off && i < off + size;
				uint8_t want = hit ? model_byte(old[i], (uint8_t)(val >> (8 * (i - off))),
								vd.wmask[i], vd.w1c[i]) : old[i];
				assert_int_equal(vd.cfg[i], want);
			}
			if (bdf == PCI_BDF(0, 2, 0) || !valid || bdf == PCI_BDF(0, 3, 0))
				assert_int_equal(hw_writes, wr_before);
		} else {
			uint32_t got = pci_cfg_port_in(&pc, 0xcfc + lane, size, raw_in);
			if (!valid || bdf == PCI_BDF(0, 2, 0) || bdf == PCI_BDF(0, 9, 0))
				assert_int_equal(got, size == 1 || size == 2 ? ones(size) : 0xffffffffu);
			else if (bdf == PCI_BDF(0, 3, 0))
				assert_int_equal(got, le(vd.cfg + off, size));
			else
				assert_int_equal(got, le(fake_find(bdf)->cfg + off, size));
		}
		/* Invariants of the header whatever was written. */
		assert_int_equal(le(vd.cfg, 4), 0x10011af4);
		assert_int_equal(vd.cfg[PCI_INT_PIN], 1);
		assert_int_equal(vd.cfg[PCI_CAP_PTR], 0x40);
		assert_int_equal(le(vd.cfg + PCI_BAR0, 4) & 0x3fff, 0);
		assert_int_equal(le(vd.cfg + PCI_BAR0 + 8, 4) & 0x3f, 1);
		assert_int_equal(le(vd.cfg + PCI_BAR0 + 4, 4), 0);
	}
	assert_int_equal(raw_n, 0);
}

/* The one BDF formatter: two hex digits of bus and device, one of function. */
static void test_bdf_name(void **state)
{
	char b[PCI_BDF_LEN];
	assert_string_equal(pci_bdf_name(PCI_BDF(0, 2, 0), b), "00:02.0");
	assert_string_equal(pci_bdf_name(PCI_BDF(0xab, 31, 7), b), "ab:1f.7");
	assert_string_equal(pci_bdf_name(0, b), "00:00.0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latch),
		cmocka_unit_test(test_reset_port),
		cmocka_unit_test(test_narrow_cf8_is_raw),
		cmocka_unit_test(test_access_into_data_port_reaches_nothing),
		cmocka_unit_test(test_passthrough_read),
		cmocka_unit_test(test_extended_latch_bits_ignored),
		cmocka_unit_test(test_passthrough_write),
		cmocka_unit_test(test_hidden),
		cmocka_unit_test(test_disabled_latch),
		cmocka_unit_test(test_misaligned_data),
		cmocka_unit_test(test_vdev_header),
		cmocka_unit_test(test_vdev_bars),
		cmocka_unit_test(test_vdev_bar_bad_args),
		cmocka_unit_test(test_vdev_read_only),
		cmocka_unit_test(test_vdev_command),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_cap_room),
		cmocka_unit_test(test_written_callback),
		cmocka_unit_test(test_w1c),
		cmocka_unit_test(test_free_slot),
		cmocka_unit_test(test_add_limits),
		cmocka_unit_test(test_random_traffic),
		cmocka_unit_test(test_bdf_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
