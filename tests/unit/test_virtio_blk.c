/*
 * Host unit tests for drivers/virtio_pci.c and drivers/virtio_blk.c: a
 * virtio-blk device over a RAM disk, driven through its BAR the way a virtio
 * 1.x driver does (the sequence Linux's virtio_pci_modern follows), with a
 * fake guest RAM and a recorder for the MSIs the device sends.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "virtio_blk.h"

#define RAM_BASE 0x100000ull
#define RAM_SIZE 0x40000ull
#define DISK_SECTORS 200
#define BAR 0xe0000000u
#define QSIZE 8

static uint8_t *ram;
static uint8_t disk[DISK_SECTORS * 512];
static int flushes, fail_read;
static struct { uint64_t addr; uint32_t data; } msis[64];
static unsigned nr_msi;

static void *ram_map(void *ctx, uint64_t gpa, uint64_t len)
{
	if (gpa < RAM_BASE || gpa + len < gpa || gpa + len > RAM_BASE + RAM_SIZE)
		return NULL;
	return ram + (gpa - RAM_BASE);
}
static const struct guest_ram gram = { ram_map, NULL };

static int d_read(void *c, uint64_t lba, unsigned n, void *buf)
{
	if (fail_read)
		return -1;
	memcpy(buf, disk + lba * 512, n * 512);
	return 0;
}
static int d_write(void *c, uint64_t lba, unsigned n, const void *buf)
{
	memcpy(disk + lba * 512, buf, n * 512);
	return 0;
}
static int d_flush(void *c) { flushes++; return 0; }
static void msi(void *ctx, uint64_t addr, uint32_t data)
{
	if (nr_msi < 64)
		msis[nr_msi] = (typeof(msis[0])){ addr, data };
	nr_msi++;
}

static struct vblk *b;
static struct vpci_dev *d;

/* Guest-physical layout of the driver's queue and buffers. */
#define G_DESC  (RAM_BASE + 0x0000)
#define G_AVAIL (RAM_BASE + 0x1000)
#define G_USED  (RAM_BASE + 0x2000)
#define G_HDR   (RAM_BASE + 0x3000)
#define G_STAT  (RAM_BASE + 0x3100)
#define G_DATA  (RAM_BASE + 0x4000)     /* 0xc000 bytes */
static uint16_t avail_idx;

static void *gp(uint64_t gpa) { return ram + (gpa - RAM_BASE); }
static uint8_t r8(unsigned off) { return (uint8_t)vpci_mmio_read(d, off, 1); }
static uint16_t r16(unsigned off) { return (uint16_t)vpci_mmio_read(d, off, 2); }
static uint32_t r32(unsigned off) { return (uint32_t)vpci_mmio_read(d, off, 4); }
static void w8(unsigned off, uint8_t v) { vpci_mmio_write(d, off, 1, v); }
static void w16(unsigned off, uint16_t v) { vpci_mmio_write(d, off, 2, v); }
static void w32(unsigned off, uint32_t v) { vpci_mmio_write(d, off, 4, v); }

static int setup(void **state)
{
	ram = calloc(1, RAM_SIZE);
	b = calloc(1, sizeof(*b));
	for (unsigned i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i * 13 + i / 512);
	flushes = fail_read = 0;
	nr_msi = 0;
	avail_idx = 0;
	struct blk_backend be = { DISK_SECTORS, d_read, d_write, d_flush, NULL, NULL };
	vblk_init(b, PCI_BDF(0, 3, 0), BAR, &be, "serial-1", &gram);
	d = &b->dev;
	d->msi = msi;
	return 0;
}
static int teardown(void **state) { free(ram); free(b); return 0; }

/* Linux's order: reset, ACK, DRIVER, features, FEATURES_OK, queue, DRIVER_OK. */
static uint8_t init_driver(uint64_t want)
{
	w8(0x14, 0);
	w8(0x14, 1 | 2);
	w32(0x08, 0); w32(0x0c, (uint32_t)want);
	w32(0x08, 1); w32(0x0c, (uint32_t)(want >> 32));
	w8(0x14, 1 | 2 | 8);
	if (!(r8(0x14) & 8))
		return r8(0x14);
	w16(0x16, 0);
	w16(0x18, QSIZE);
	vpci_mmio_write(d, 0x20, 8, G_DESC);
	w32(0x28, (uint32_t)G_AVAIL); w32(0x2c, 0);
	w32(0x30, (uint32_t)G_USED); w32(0x34, 0);
	w16(0x1a, 0);
	w16(0x10, 1);
	w16(0x1c, 1);
	w8(0x14, 1 | 2 | 8 | 4);
	/* MSI-X: entries 0 and 1 unmasked, enable in config space; bus master + memory on. */
	for (unsigned v = 0; v < 2; v++) {
		w32(VPCI_MSIX_OFF + 16 * v, 0xfee00000u);
		w32(VPCI_MSIX_OFF + 16 * v + 8, 0x40 + v);
		w32(VPCI_MSIX_OFF + 16 * v + 12, 0);
	}
	pci_vdev_write(&d->pci, d->msix_cap + 2, 2, 0x8000);
	pci_vdev_write(&d->pci, PCI_COMMAND, 2, 0x6);
	return r8(0x14);
}

static void put_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = gp(G_DESC + 16 * i);
	memcpy(p, &addr, 8); memcpy(p + 8, &len, 4); memcpy(p + 12, &flags, 2); memcpy(p + 14, &next, 2);
}
static void publish(uint16_t head)
{
	uint16_t *av = gp(G_AVAIL);
	av[2 + avail_idx % QSIZE] = head;
	av[1] = ++avail_idx;
	w16(VPCI_NOTIFY_OFF, 0);
}
static uint16_t used_idx(void) { return ((uint16_t *)gp(G_USED))[1]; }

static uint8_t request(uint32_t type, uint64_t sector, uint32_t len, bool dev_writes)
{
	struct { uint32_t type, res; uint64_t sector; } h = { type, 0, sector };
	memcpy(gp(G_HDR), &h, sizeof(h));
	*(uint8_t *)gp(G_STAT) = 0xee;
	if (len) {
		put_desc(0, G_HDR, 16, 1, 1);
		put_desc(1, G_DATA, len, (uint16_t)(1 | (dev_writes ? 2 : 0)), 2);
	} else {
		put_desc(0, G_HDR, 16, 1, 2);
	}
	put_desc(2, G_STAT, 1, 2, 0);
	publish(0);
	return *(uint8_t *)gp(G_STAT);
}

static void test_identity_and_caps(void **state)
{
	assert_int_equal(pci_vdev_read(&d->pci, 0, 4), 0x10421af4);
	assert_int_equal(pci_vdev_read(&d->pci, 8, 4) >> 8, 0x018000);
	assert_int_equal(pci_vdev_read(&d->pci, 8, 1), 1);           /* revision 1: modern only */
	pci_vdev_write(&d->pci, 0x10, 4, 0xffffffff);
	assert_int_equal(pci_vdev_read(&d->pci, 0x10, 4), 0xffff8000);
	pci_vdev_write(&d->pci, 0x10, 4, BAR);
	assert_int_equal(vpci_bar(d), BAR);
	/* Walk the capabilities: four virtio ones and MSI-X. */
	unsigned seen = 0, p = pci_vdev_read(&d->pci, 0x34, 1);
	for (int n = 0; p && n < 10; n++, p = pci_vdev_read(&d->pci, p + 1, 1)) {
		unsigned id = pci_vdev_read(&d->pci, p, 1);
		if (id == 9)
			seen |= 1u << pci_vdev_read(&d->pci, p + 3, 1);
		if (id == 0x11) {
			seen |= 1u << 8;
			assert_int_equal(pci_vdev_read(&d->pci, p + 2, 2) & 0x7ff, VPCI_MSIX_VECTORS - 1);
			assert_int_equal(pci_vdev_read(&d->pci, p + 4, 4), VPCI_MSIX_OFF);
		}
		if (id == 9 && pci_vdev_read(&d->pci, p + 3, 1) == 2)
			assert_int_equal(pci_vdev_read(&d->pci, p + 16, 4), VPCI_NOTIFY_MULT);
	}
	assert_int_equal(seen, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 8));
}

static void test_features_and_config(void **state)
{
	w32(0x00, 1);
	assert_int_equal(r32(0x04) & 1, 1);                          /* VERSION_1 */
	w32(0x00, 0);
	assert_true(r32(0x04) & (1u << 9));                          /* FLUSH */
	assert_int_equal(r16(0x12), 1);                              /* one queue */
	assert_int_equal(r32(VPCI_DEVCFG_OFF), DISK_SECTORS);
	assert_int_equal(r32(VPCI_DEVCFG_OFF + 4), 0);
	assert_int_equal(r32(VPCI_DEVCFG_OFF + 20), 512);
	assert_int_equal(r32(VPCI_DEVCFG_OFF + 8), VBLK_SIZE_MAX);
	assert_int_equal(r32(VPCI_DEVCFG_OFF + 12), VIRTQ_MAX_CHAIN - 2);
	assert_int_equal(pci_vdev_read(&d->pci, PCI_INT_PIN, 1), 0);      /* MSI-X only */
	/* A driver without VERSION_1, or asking for what was not offered, gets no FEATURES_OK. */
	assert_int_equal(init_driver(0) & 8, 0);
	assert_int_equal(init_driver(VIRTIO_F_VERSION_1 | BIT(3)) & 8, 0);
	assert_int_equal(init_driver(VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_FLUSH), 0xf);
	/* Queue fields read back, 64-bit field assembled from halves; size bounded by the maximum. */
	assert_int_equal(r32(0x20), (uint32_t)G_DESC);
	assert_int_equal(vpci_mmio_read(d, 0x28, 8), G_AVAIL);
	assert_int_equal(r16(0x1c), 1);
	w16(0x16, 1);                                                /* a queue that does not exist */
	assert_int_equal(r16(0x18), 0);
}

static void test_read_write_flush(void **state)
{
	assert_int_equal(init_driver(VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_FLUSH), 0xf);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 3, 2048, true), VIRTIO_BLK_S_OK);
	assert_memory_equal(gp(G_DATA), disk + 3 * 512, 2048);
	assert_int_equal(used_idx(), 1);
	uint32_t *ue = gp(G_USED + 4);
	assert_int_equal(ue[0], 0);
	assert_int_equal(ue[1], 2048 + 1);
	assert_int_equal(nr_msi, 1);
	assert_int_equal(msis[0].data, 0x40);
	memset(gp(G_DATA), 0x5a, 0xc000);     /* 96 sectors: more than one bounce chunk */
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 0, 0xc000, false), 0);
	assert_int_equal(disk[0xc000], (uint8_t)(0xc000 * 13 + 0xc000 / 512));
	for (unsigned i = 0; i < 0xc000; i++)
		assert_int_equal(disk[i], 0x5a);
	assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
	assert_int_equal(flushes, 1);
	assert_int_equal(request(VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024, true), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(99, 0, 0, false), VIRTIO_BLK_S_UNSUPP);
	fail_read = 1;
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 512, true), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(VIRTIO_BLK_T_GET_ID, 0, 20, true), VIRTIO_BLK_S_OK);
	assert_memory_equal(gp(G_DATA), "serial-1", 9);
	assert_false(d->broken);
	assert_int_equal(used_idx(), 7);
}

static void test_msix_mask_and_pending(void **state)
{
	init_driver(VIRTIO_F_VERSION_1);
	w32(VPCI_MSIX_OFF + 12, 1);                                  /* mask vector 0 */
	request(VIRTIO_BLK_T_IN, 0, 512, true);
	assert_int_equal(nr_msi, 0);
	assert_int_equal(r32(VPCI_PBA_OFF) & 1, 1);
	w32(VPCI_MSIX_OFF + 12, 0);                                  /* unmask: the pending one goes out */
	assert_int_equal(nr_msi, 1);
	assert_int_equal(r32(VPCI_PBA_OFF) & 1, 0);
	pci_vdev_write(&d->pci, d->msix_cap + 2, 2, 0xc000);         /* function mask */
	request(VIRTIO_BLK_T_IN, 0, 512, true);
	assert_int_equal(nr_msi, 1);
	pci_vdev_write(&d->pci, d->msix_cap + 2, 2, 0x8000);
	assert_int_equal(nr_msi, 2);
	/* The driver asked for no interrupts: none. */
	((uint16_t *)gp(G_AVAIL))[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
	request(VIRTIO_BLK_T_IN, 0, 512, true);
	assert_int_equal(nr_msi, 2);
	/* A vector beyond the table reads back as "no vector". */
	w16(0x1a, 9);
	assert_int_equal(r16(0x1a), VIRTIO_MSI_NO_VECTOR);
}

static void test_malformed_breaks_device(void **state)
{
	init_driver(VIRTIO_F_VERSION_1);
	put_desc(0, G_HDR, 16, 1, 1);
	put_desc(1, G_DATA, 512, 1, 0);                              /* 0 -> 1 -> 0 ... */
	publish(0);
	assert_true(d->broken);
	assert_non_null(d->broken_why);
	assert_int_equal(r8(0x14) & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(used_idx(), 0);
	assert_int_equal(nr_msi, 1);                                 /* configuration change */
	assert_int_equal(msis[0].data, 0x41);
	/* Broken: further notifies do nothing, even for good requests. */
	uint8_t st = request(VIRTIO_BLK_T_IN, 0, 512, true);
	assert_int_equal(st, 0xee);
	/* A reset brings it back. */
	assert_int_equal(init_driver(VIRTIO_F_VERSION_1), 0xf);
	assert_false(d->broken);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 512, true), 0);
	/* No status byte: malformed request. */
	put_desc(0, G_HDR, 16, 0, 0);
	publish(0);
	assert_true(d->broken);
	/* Rings outside guest RAM at enable time. */
	w8(0x14, 0);
	w8(0x14, 1 | 2);
	w32(0x08, 1); w32(0x0c, 1);
	w8(0x14, 1 | 2 | 8);
	w16(0x16, 0);
	vpci_mmio_write(d, 0x20, 8, 0x7000000000ull);
	w16(0x1c, 1);
	assert_true(d->broken);
	assert_int_equal(r16(0x1c), 0);
}

static void test_bus_master_off_no_dma(void **state)
{
	init_driver(VIRTIO_F_VERSION_1);
	pci_vdev_write(&d->pci, PCI_COMMAND, 2, 0x2);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 512, true), 0xee);
	pci_vdev_write(&d->pci, PCI_COMMAND, 2, 0x6);
	w16(VPCI_NOTIFY_OFF, 0);                                     /* the next kick does it */
	assert_int_equal(*(uint8_t *)gp(G_STAT), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_and_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features_and_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_write_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_mask_and_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_breaks_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_master_off_no_dma, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
