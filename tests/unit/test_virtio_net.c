/*
 * Host unit tests for drivers/virtio_net.c: a virtio-net device over a fake
 * wire, driven through its BAR the way a virtio 1.x driver does, with a fake
 * guest RAM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "virtio_net.h"

#define RAM_BASE 0x200000ull
#define RAM_SIZE 0x40000ull
#define QSIZE 8
static uint8_t *ram;
static uint8_t sent[16][1600];
static unsigned sent_len[16], nr_sent;
static unsigned nr_msi;
static uint32_t last_msi_data;
static struct vnet *n;
static struct vpci_dev *d;
static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static uint16_t avail_idx[2];

static void *ram_map(void *ctx, uint64_t gpa, uint64_t len)
{
	if (gpa < RAM_BASE || gpa + len < gpa || gpa + len > RAM_BASE + RAM_SIZE)
		return NULL;
	return ram + (gpa - RAM_BASE);
}
static const struct guest_ram gram = { ram_map, NULL };
static int wire_send(void *ctx, const void *f, unsigned len)
{
	if (nr_sent < 16) {
		memcpy(sent[nr_sent], f, len);
		sent_len[nr_sent] = len;
	}
	nr_sent++;
	return 0;
}
static void msi(void *ctx, uint64_t addr, uint32_t data) { nr_msi++; last_msi_data = data; }
static void *gp(uint64_t gpa) { return ram + (gpa - RAM_BASE); }

/* Queue q's rings at RAM_BASE + q * 0x4000; buffers from RAM_BASE + 0x10000. */
#define DESC(q)  (RAM_BASE + (q) * 0x4000)
#define AVAIL(q) (RAM_BASE + (q) * 0x4000 + 0x1000)
#define USED(q)  (RAM_BASE + (q) * 0x4000 + 0x2000)
#define BUF(i)   (RAM_BASE + 0x10000 + (i) * 0x800)

static int setup(void **state)
{
	ram = calloc(1, RAM_SIZE);
	n = calloc(1, sizeof(*n));
	nr_sent = nr_msi = 0;
	avail_idx[0] = avail_idx[1] = 0;
	struct net_backend be = { wire_send, NULL };
	vnet_init(n, PCI_BDF(0, 4, 0), 0xe0010000u, mac, &be, &gram);
	d = &n->dev;
	d->msi = msi;
	/* Driver init: features VERSION_1 | MAC | STATUS, two queues, MSI-X vectors 0 (rx) 1 (tx). */
	vpci_mmio_write(d, 0x14, 1, 0);
	vpci_mmio_write(d, 0x14, 1, 3);
	vpci_mmio_write(d, 0x08, 4, 0); vpci_mmio_write(d, 0x0c, 4, (uint32_t)(VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS));
	vpci_mmio_write(d, 0x08, 4, 1); vpci_mmio_write(d, 0x0c, 4, 1);
	vpci_mmio_write(d, 0x14, 1, 0xb);
	for (unsigned q = 0; q < 2; q++) {
		vpci_mmio_write(d, 0x16, 2, q);
		vpci_mmio_write(d, 0x18, 2, QSIZE);
		vpci_mmio_write(d, 0x20, 8, DESC(q));
		vpci_mmio_write(d, 0x28, 8, AVAIL(q));
		vpci_mmio_write(d, 0x30, 8, USED(q));
		vpci_mmio_write(d, 0x1a, 2, q);
		vpci_mmio_write(d, 0x1c, 2, 1);
	}
	vpci_mmio_write(d, 0x14, 1, 0xf);
	for (unsigned v = 0; v < 2; v++) {
		vpci_mmio_write(d, VPCI_MSIX_OFF + 16 * v, 4, 0xfee00000u);
		vpci_mmio_write(d, VPCI_MSIX_OFF + 16 * v + 8, 4, 0x60 + v);
		vpci_mmio_write(d, VPCI_MSIX_OFF + 16 * v + 12, 4, 0);
	}
	pci_vdev_write(&d->pci, d->msix_cap + 2, 2, 0x8000);
	pci_vdev_write(&d->pci, PCI_COMMAND, 2, 0x6);
	return 0;
}
static int teardown(void **state) { free(ram); free(n); return 0; }

static void put_desc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = gp(DESC(q) + 16 * i);
	memcpy(p, &addr, 8); memcpy(p + 8, &len, 4); memcpy(p + 12, &flags, 2); memcpy(p + 14, &next, 2);
}
static void publish(unsigned q, uint16_t head, bool kick)
{
	uint16_t *av = gp(AVAIL(q));
	av[2 + avail_idx[q] % QSIZE] = head;
	av[1] = ++avail_idx[q];
	if (kick)
		vpci_mmio_write(d, VPCI_NOTIFY_OFF + VPCI_NOTIFY_MULT * q, 2, q);
}
static uint16_t used_idx(unsigned q) { return ((uint16_t *)gp(USED(q)))[1]; }
static uint32_t used_len(unsigned q, unsigned k) { return ((uint32_t *)gp(USED(q) + 4))[2 * k + 1]; }

static void test_config(void **state)
{
	assert_int_equal(pci_vdev_read(&d->pci, 0, 4), 0x10411af4);
	assert_int_equal(pci_vdev_read(&d->pci, 8, 4) >> 8, 0x020000);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(vpci_mmio_read(d, VPCI_DEVCFG_OFF + i, 1), mac[i]);
	assert_int_equal(vpci_mmio_read(d, VPCI_DEVCFG_OFF + 6, 2), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(vpci_mmio_read(d, 0x12, 2), 2);
	assert_int_equal(vpci_mmio_read(d, 0x14, 1), 0xf);
}

static void test_receive(void **state)
{
	uint8_t frame[100];
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	assert_int_equal(vnet_receive(n, frame, sizeof(frame)), -1);      /* no buffer yet */
	assert_int_equal(n->rx_no_buffer, 1);
	put_desc(0, 0, BUF(0), 1526, 2, 0);
	publish(0, 0, true);
	assert_int_equal(nr_sent, 0);
	assert_int_equal(vnet_receive(n, frame, sizeof(frame)), 0);
	uint8_t *b = gp(BUF(0));
	assert_int_equal(b[10], 1);                                       /* num_buffers */
	assert_int_equal(b[0] | b[1] | b[2] | b[3], 0);
	assert_memory_equal(b + VNET_HDR_LEN, frame, sizeof(frame));
	assert_int_equal(used_idx(0), 1);
	assert_int_equal(used_len(0, 0), VNET_HDR_LEN + sizeof(frame));
	assert_int_equal(nr_msi, 1);
	assert_int_equal(last_msi_data, 0x60);
	/* A buffer split in two parts. */
	put_desc(0, 1, BUF(1), 20, 3, 2);
	put_desc(0, 2, BUF(2), 1506, 2, 0);
	publish(0, 1, false);
	assert_int_equal(vnet_receive(n, frame, sizeof(frame)), 0);
	assert_memory_equal(gp(BUF(1)) + VNET_HDR_LEN, frame, 8);
	assert_memory_equal(gp(BUF(2)), frame + 8, sizeof(frame) - 8);
	/* Too small: the frame is dropped, the buffer returned empty. */
	put_desc(0, 3, BUF(3), 40, 2, 0);
	publish(0, 3, false);
	assert_int_equal(vnet_receive(n, frame, sizeof(frame)), -1);
	assert_int_equal(used_len(0, 2), 0);
	assert_false(d->broken);
	/* A receive buffer the device may only read: broken. */
	put_desc(0, 4, BUF(4), 1526, 0, 0);
	publish(0, 4, false);
	assert_int_equal(vnet_receive(n, frame, sizeof(frame)), -1);
	assert_true(d->broken);
}

static void test_transmit(void **state)
{
	uint8_t *h = gp(BUF(0)), *f = gp(BUF(1));
	memset(h, 0, VNET_HDR_LEN);
	for (unsigned i = 0; i < 60; i++)
		f[i] = (uint8_t)(0xa0 + i);
	put_desc(1, 0, BUF(0), VNET_HDR_LEN, 1, 1);
	put_desc(1, 1, BUF(1), 60, 0, 0);
	publish(1, 0, true);
	assert_int_equal(nr_sent, 1);
	assert_int_equal(sent_len[0], 60);
	assert_memory_equal(sent[0], f, 60);
	assert_int_equal(used_idx(1), 1);
	assert_int_equal(nr_msi, 1);
	assert_int_equal(last_msi_data, 0x61);
	/* Header and frame in one buffer. */
	memcpy(gp(BUF(2)) + VNET_HDR_LEN, f, 60);
	put_desc(1, 2, BUF(2), VNET_HDR_LEN + 60, 0, 0);
	publish(1, 2, true);
	assert_int_equal(nr_sent, 2);
	assert_memory_equal(sent[1], f, 60);
	/* A transmit chain with a device-writable buffer: broken, nothing sent. */
	put_desc(1, 3, BUF(3), VNET_HDR_LEN + 60, 2, 0);
	publish(1, 3, true);
	assert_true(d->broken);
	assert_int_equal(nr_sent, 2);
}

static void test_transmit_runt_and_loop(void **state)
{
	put_desc(1, 0, BUF(0), VNET_HDR_LEN + 4, 0, 0);
	publish(1, 0, true);
	assert_true(d->broken);
	assert_int_equal(nr_sent, 0);
	teardown(state);                   /* a fresh device */
	setup(state);
	put_desc(1, 0, BUF(0), VNET_HDR_LEN, 1, 1);
	put_desc(1, 1, BUF(1), 60, 1, 0);
	publish(1, 0, true);
	assert_true(d->broken);
	assert_int_equal(nr_sent, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transmit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transmit_runt_and_loop, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
