/*
 * The NIC backend: odv-hv takes an Intel e1000 over ("nic=BB:DD.F", bus 0),
 * drives it itself (drivers/e1000.c, polled), hides it, and shows the guest
 * a virtio-net function with its MAC (drivers/virtio_net.c). Frames from the
 * guest go out when it notifies the transmit queue; frames from the wire are
 * polled for on CPU 0's VM exits (vdev_poll), at least every millisecond.
 */
#include "vtd.h"
#include "vdev_int.h"
#include "arch.h"
#include "cmdline.h"
#include "hv.h"
#include "log.h"
#include "pci_host.h"
#include "e1000.h"
#include "virtio_net.h"

static struct e1000_dev nic;
static struct vnet vnet;
static uint8_t rx_frame[E1000_BUF_SIZE];

static void vnet_poll(struct vdevice *d)
{
	/* A bounded batch: the guest must get the CPU back. */
	for (unsigned i = 0; i < E1000_RX_DESCS; i++) {
		unsigned len = e1000_recv(&nic, rx_frame, sizeof(rx_frame));
		if (!len)
			break;
		vnet_receive(&vnet, rx_frame, len);
	}
}

static void vnet_release(struct vdevice *d)
{
	if (nic.running)
		e1000_stop(&nic);
}

static const struct vdevice_ops vnet_ops = { vnet_poll, vnet_release, NULL, NULL, NULL };

static uint64_t nic_mmio;
static uint32_t nic_rd32(void *c, uint32_t reg) { return *(volatile uint32_t *)phys_to_virt(nic_mmio + reg); }
static void nic_wr32(void *c, uint32_t reg, uint32_t v) { *(volatile uint32_t *)phys_to_virt(nic_mmio + reg) = v; }
static uint16_t nic_bdf;
static void *nic_dma_alloc(void *c, uint64_t size, uint64_t *phys)
{
	/* The pool hands out consecutive pages: a multi-page block is contiguous. */
	void *first = NULL;
	for (uint64_t done = 0; done < size; done += PAGE_SIZE) {
		uint64_t pa;
		void *p = page_alloc(&pa);
		if (!p)
			return NULL;
		if (!first) {
			first = p;
			*phys = pa;
		} else if (pa != *phys + done) {
			return NULL;
		}
	}
	/* In odv-hv's region, which VT-d keeps every device out of: this one may reach it. */
	vtd_note_dma(nic_bdf, *phys, ALIGN_UP(size, PAGE_SIZE));
	return first;
}
static uint64_t tsc_ms;
/* Short waits spin on the TSC: the PIT (udelay) is the guest's once it runs. */
static void nic_delay(void *c, unsigned us)
{
	uint64_t end = rdtsc() + tsc_ms * us / 1000 + 1;
	while (rdtsc() < end)
		cpu_relax();
}
static const struct e1000_env nic_env = { nic_rd32, nic_wr32, nic_dma_alloc, nic_delay, NULL };
/* Frames to a wire without link are dropped at once: waiting for the NIC would stall the exit. */
static int nic_send(void *c, const void *frame, unsigned len)
{
	return e1000_link_up(&nic) ? e1000_send(&nic, frame, len) : -1;
}

int vdev_nic_setup(const char *v)
{
	int bdf = cmdline_bdf(v);
	if (bdf < 0 || (bdf >> 8) != 0) {
		/* Bus 0 only: behind a bridge the guest could renumber buses and find it again. */
		pr_err("nic=: expected a PCI address 00:DD.F on bus 0; no virtual NIC");
		return -1;
	}
	uint16_t f = (uint16_t)bdf;
	nic_bdf = f;
	char hw[PCI_BDF_LEN], virt[PCI_BDF_LEN];
	uint32_t id = pci_host_read(NULL, f, 0, 4), class = pci_host_read(NULL, f, 8, 4) >> 8;
	if ((id & 0xffff) != 0x8086 || class != 0x020000) {
		pr_err("nic=%s: %04x:%04x class %06x is not an Intel Ethernet controller; no virtual NIC",
		       pci_bdf_name(f, hw), id & 0xffff, id >> 16, class);
		return -1;
	}
	int slot = pci_cfg_free_slot(&vdev_pcicfg);
	if (slot < 0) {
		pr_err("nic=: no free PCI slot on bus 0 for the virtio NIC");
		return -1;
	}
	tsc_ms = tsc_per_ms();
	struct undo u = vdev_undo_mark();
	int64_t bar0 = vdev_hide_bars(f);
	if (bar0 <= 0) {
		vdev_undo_to(u);
		pr_err("nic=: %s; no virtual NIC", bar0 ? "cannot hide its BARs" : "BAR0 is not a memory BAR");
		return -1;
	}
	nic_mmio = (uint64_t)bar0;
	/* Memory decoding and bus mastering on, I/O decoding off (its IOADDR/IODATA window reaches every register). */
	pci_host_write(NULL, f, PCI_COMMAND, 2, (pci_host_read(NULL, f, PCI_COMMAND, 2) | 0x6) & ~1u);
	if (e1000_init(&nic, &nic_env)) {
		vdev_undo_to(u);
		pr_err("nic=: e1000 %04x: %s; no virtual NIC", id >> 16, nic.last_error);
		return -1;
	}
	struct net_backend be = { nic_send, NULL };
	vnet_init(&vnet, PCI_BDF(0, slot, 0), vdev_window + vdev_count * VPCI_BAR_SIZE, nic.mac, &be, &vdev_guest_ram);
	if (vdevice_add(&vnet.dev, &vnet_ops)) {
		e1000_stop(&nic);
		vdev_undo_to(u);
		pr_err("nic=: odv-hv's device tables are full; no virtual NIC");
		return -1;
	}
	pci_cfg_hide(&vdev_pcicfg, f);
	/* Poll the wire at least every millisecond. */
	vdev_poll_tsc = tsc_ms;
	const uint8_t *m = nic.mac;
	pr_info("nic: e1000 %04x at %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, driven by odv-hv (link %s); hidden",
		id >> 16, pci_bdf_name(f, hw), m[0], m[1], m[2], m[3], m[4], m[5],
		e1000_link_up(&nic) ? "up" : "down");
	pr_info("nic: the guest sees virtio-net at %s with that MAC, BAR 0x%x-0x%x (trapped)",
		pci_bdf_name(vnet.dev.pci.bdf, virt), vpci_bar(&vnet.dev), vpci_bar(&vnet.dev) + VPCI_BAR_SIZE);
	return 0;
}

