/*
 * libFuzzer harness for what a guest reaches of odv-hv's PCI devices: the
 * configuration ports (drivers/pci_cfg.c) and the virtio-pci register model
 * (drivers/virtio_pci.c) of a virtio-blk function (drivers/virtio_blk.c over
 * a RAM disk), whose queue notifications walk virtqueues (drivers/virtq.c) in
 * fuzzed guest RAM. The platform is the one odv-hv makes with disk= and nic=:
 * a virtual function at 00:03.0, the taken-over devices hidden (00:02.0, and
 * 00:01.1 standing for the IDE controller), everything else passed through to
 * a fake configuration space.
 *
 * Input (little-endian): the length of the operation list (2 bytes, taken
 * modulo MAX_OPS + 1), the operations, then the first bytes of guest RAM (RAM_SIZE bytes at RAM_BASE,
 * the rest zero). An operation is one byte, kind = bits 1:0:
 *   0 port write  port 0xCF8 + bits 4:2, width {1,2,4,4}[bits 6:5], 4-byte value
 *   1 port read   port and width as for 0
 *   2 BAR write   width {1,2,4,8}[bits 3:2], 2-byte offset (below the BAR size),
 *                 then `width` bytes of value
 *   3 BAR read    width and offset as for 2
 *
 * Invariants: the hidden and the virtual functions never reach the hardware;
 * hardware accesses stay inside one dword of config space; raw port accesses
 * stay on 0xCF8-0xCFB and never are the latch; reads give no more bits than
 * their width; read-only header bytes never change; MSIs go out only for an
 * enabled, unmasked vector; the device's state stays in its ranges; the disk
 * is touched only within its capacity.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "le.h"
#include "virtio_blk.h"

#define RAM_BASE  0x100000ull
#define RAM_SIZE  0x8000ull
#define SECTORS   64u
#define BAR       0xfe000000u
#define VBDF      PCI_BDF(0, 3, 0)
#define HIDDEN_NIC PCI_BDF(0, 2, 0)
#define HIDDEN_IDE PCI_BDF(0, 1, 1)
#define CF8       0xcf8u
#define MAX_OPS   1024

static uint8_t *ram;
static uint8_t *disk, *disk_image;
static struct vblk *blk;
static struct pci_cfg pc;
static uint8_t ro_init[256];        /* the header bytes no write may change */

/* ---- guest RAM, disk, interrupts ---- */

static void *ram_map(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (len == 0 || gpa < RAM_BASE || gpa - RAM_BASE >= RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE))
		return NULL;
	return ram + (gpa - RAM_BASE);
}
static const struct guest_ram gram = { ram_map, NULL };

static int d_read(void *ctx, uint64_t lba, unsigned n, void *buf)
{
	(void)ctx;
	FUZZ_CHECK(n >= 1 && n <= VBLK_CHUNK_SECTORS && lba < SECTORS && n <= SECTORS - lba);
	memcpy(buf, disk + lba * VBLK_SECTOR, n * VBLK_SECTOR);
	return 0;
}
static int d_write(void *ctx, uint64_t lba, unsigned n, const void *buf)
{
	(void)ctx;
	FUZZ_CHECK(n >= 1 && n <= VBLK_CHUNK_SECTORS && lba < SECTORS && n <= SECTORS - lba);
	memcpy(disk + lba * VBLK_SECTOR, buf, n * VBLK_SECTOR);
	return 0;
}
static int d_flush(void *ctx) { (void)ctx; return 0; }

#define MSIX_ENABLE   0x8000
#define MSIX_FUNCMASK 0x4000

static void msi(void *ctx, uint64_t addr, uint32_t data)
{
	(void)ctx;
	struct vpci_dev *d = &blk->dev;
	uint16_t ctrl = (uint16_t)pci_vdev_read(&d->pci, d->msix_cap + 2, 2);
	FUZZ_CHECK((ctrl & MSIX_ENABLE) && !(ctrl & MSIX_FUNCMASK));
	bool found = false;
	for (unsigned v = 0; v < VPCI_MSIX_VECTORS; v++) {
		const struct vpci_msix_entry *e = &d->msix[v];
		found = found || (!(e->ctrl & 1) && e->data == data &&
				  (((uint64_t)e->addr_hi << 32) | e->addr_lo) == addr);
	}
	FUZZ_CHECK(found);
}

/* ---- the hardware behind pci_cfg ---- */

static uint32_t hw_read(void *ctx, uint16_t bdf, unsigned off, unsigned size)
{
	(void)ctx;
	FUZZ_CHECK(bdf != VBDF && bdf != HIDDEN_NIC && bdf != HIDDEN_IDE);
	FUZZ_CHECK((size == 1 || size == 2 || size == 4) && (off & 3) + size <= 4 && off + size <= 256);
	/* Something that is not all ones, and more bits than asked for. */
	return 0xa5000000u ^ (uint32_t)bdf << 8 ^ off ^ 0x5a5a5a00u;
}
static void hw_write(void *ctx, uint16_t bdf, unsigned off, unsigned size, uint32_t val)
{
	(void)ctx;
	FUZZ_CHECK(bdf != VBDF && bdf != HIDDEN_NIC && bdf != HIDDEN_IDE);
	FUZZ_CHECK((size == 1 || size == 2 || size == 4) && (off & 3) + size <= 4 && off + size <= 256);
	FUZZ_CHECK(size == 4 || val >> (8 * size) == 0);
}

/* Ports 0xCF8-0xCFB other than the latch dword: chipset registers (0xCF9 is reset control). */
static void raw_check(uint16_t port, unsigned size)
{
	FUZZ_CHECK(port >= CF8 && port + size <= CF8 + 4);
	FUZZ_CHECK(!(port == CF8 && size == 4));
}
static uint64_t ones(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* As IN does: only `size` bytes come back. */
static uint32_t raw_in(uint16_t port, unsigned size)
{
	raw_check(port, size);
	return (uint32_t)(0x12345678u & ones(size));
}
static void raw_out(uint16_t port, unsigned size, uint32_t val)
{
	(void)val;
	raw_check(port, size);
}

/* ---- invariants after every operation ---- */

NO_COVERAGE static void check_device(void)
{
	struct vpci_dev *d = &blk->dev;
	for (unsigned i = 0; i < 256; i++) {
		uint8_t fixed = (uint8_t)~(d->pci.wmask[i] | d->pci.w1c[i]);
		FUZZ_CHECK((d->pci.cfg[i] & fixed) == (ro_init[i] & fixed));
	}
	FUZZ_CHECK((pci_vdev_read(&d->pci, PCI_BAR0, 4) & (VPCI_BAR_SIZE - 1)) == 0);
	FUZZ_CHECK(!(d->status & VIRTIO_STATUS_NEEDS_RESET));
	FUZZ_CHECK(d->msix_config < VPCI_MSIX_VECTORS || d->msix_config == VIRTIO_MSI_NO_VECTOR);
	FUZZ_CHECK(d->pba < (1ull << VPCI_MSIX_VECTORS));
	FUZZ_CHECK(!d->broken || d->broken_why);
	for (unsigned q = 0; q < d->nr_queues; q++) {
		const struct virtq *vq = &d->vq[q];
		FUZZ_CHECK(vq->size <= d->queue_max);
		FUZZ_CHECK(d->vq_msix[q] < VPCI_MSIX_VECTORS || d->vq_msix[q] == VIRTIO_MSI_NO_VECTOR);
		if (vq->enabled)
			FUZZ_CHECK(virtq_check_layout(vq, &gram) == 0);
	}
}

static void port_op(uint8_t op, struct fuzz_in *in, bool write)
{
	static const unsigned widths[4] = { 1, 2, 4, 4 };
	uint16_t port = (uint16_t)(CF8 + ((op >> 2) & 7));
	unsigned size = widths[(op >> 5) & 3];
	if (write) {
		pci_cfg_port_out(&pc, port, size, fz_u32(in), raw_out);
		return;
	}
	uint32_t latch = pc.cf8;
	uint32_t v = pci_cfg_port_in(&pc, port, size, raw_in);
	FUZZ_CHECK(v <= ones(size));
	if (port == CF8 && size == 4) {
		FUZZ_CHECK(v == latch);
		return;
	}
	if (port < CF8 + 4 || !(latch & 0x80000000u))
		return;
	uint16_t bdf = (uint16_t)(latch >> 8);
	unsigned lane = port & 3;
	if (lane + size > 4)
		return;
	/* The hidden functions read as absent, the virtual one as its config space. */
	if (bdf == HIDDEN_NIC || bdf == HIDDEN_IDE)
		FUZZ_CHECK(v == ones(size));
	if (bdf == VBDF)
		FUZZ_CHECK(v == pci_vdev_read(&blk->dev.pci, (latch & 0xfc) + lane, size));
}

static void bar_op(uint8_t op, struct fuzz_in *in, bool write)
{
	static const unsigned widths[4] = { 1, 2, 4, 8 };
	unsigned size = widths[(op >> 2) & 3];
	uint32_t off = fz_u16(in) % VPCI_BAR_SIZE;
	if (write) {
		vpci_mmio_write(&blk->dev, off, size, fz_take(in, size));
		return;
	}
	FUZZ_CHECK(vpci_mmio_read(&blk->dev, off, size) <= ones(size));
}

NO_COVERAGE static void setup(void)
{
	/* Allocated once (exactly sized, so ASan still sees every overrun), reset for each input. */
	if (!disk_image) {
		disk_image = malloc(SECTORS * VBLK_SECTOR);
		ram = malloc(RAM_SIZE);
		disk = malloc(SECTORS * VBLK_SECTOR);
		blk = malloc(sizeof(*blk));
		FUZZ_CHECK(disk_image && ram && disk && blk);
		for (unsigned i = 0; i < SECTORS * VBLK_SECTOR; i++)
			disk_image[i] = (uint8_t)(i * 7 + i / VBLK_SECTOR);
	}
	memcpy(disk, disk_image, SECTORS * VBLK_SECTOR);
	memset(blk, 0, sizeof(*blk));
	struct blk_backend be = { SECTORS, d_read, d_write, d_flush, NULL, NULL };
	vblk_init(blk, VBDF, BAR, &be, "fuzz-disk", &gram);
	blk->dev.msi = msi;
	struct pci_hw hw = { hw_read, hw_write, NULL };
	pci_cfg_init(&pc, &hw);
	FUZZ_CHECK(pci_cfg_add_vdev(&pc, &blk->dev.pci) == 0);
	FUZZ_CHECK(pci_cfg_hide(&pc, HIDDEN_NIC) == 0 && pci_cfg_hide(&pc, HIDDEN_IDE) == 0);
	memcpy(ro_init, blk->dev.pci.cfg, 256);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	/* Long lists only slow the fuzzer down: each operation is checked in full. */
	size_t nops = fz_u16(&in) % (MAX_OPS + 1);
	struct fuzz_in ops = { in.p, nops < in.n ? nops : in.n };
	in.p += ops.n;
	in.n -= ops.n;
	setup();
	memset(ram, 0, RAM_SIZE);
	memcpy(ram, in.p, in.n < RAM_SIZE ? in.n : RAM_SIZE);

	while (ops.n) {
		uint8_t op = fz_u8(&ops);
		switch (op & 3) {
		case 0: port_op(op, &ops, true); break;
		case 1: port_op(op, &ops, false); break;
		case 2: bar_op(op, &ops, true); break;
		case 3: bar_op(op, &ops, false); break;
		}
		check_device();
	}
	return 0;
}
