/*
 * The disk backend: odv-hv takes the primary IDE channel over
 * ("disk=ata0-master" or "disk=ata0-slave"), drives that disk itself
 * (drivers/ata.c, polled PIO), hides the controller, and shows the guest a
 * virtio-blk function (drivers/virtio_blk.c) in a free PCI slot instead.
 */
#include "vdev_int.h"
#include "arch.h"
#include "cmdline.h"
#include "hv.h"
#include "log.h"
#include "pci_host.h"
#include "ata.h"
#include "virtio_blk.h"

#define IDE0_CMD 0x1f0
#define IDE0_CTL 0x3f6
#define PCI_CLASS_IDE 0x0101

static struct ata_dev ata;
static struct vblk vblk;

/* ---- port I/O for the ATA driver ---- */
static uint8_t io_inb(void *c, uint16_t p) { return inb(p); }
static void io_outb(void *c, uint16_t p, uint8_t v) { outb(p, v); }
static uint16_t io_inw(void *c, uint16_t p) { return inw(p); }
static void io_outw(void *c, uint16_t p, uint16_t v) { outw(p, v); }
static const struct ata_io ata_ports = { io_inb, io_outb, io_inw, io_outw, NULL };

static int be_read(void *c, uint64_t lba, unsigned n, void *buf) { return ata_read(&ata, lba, n, buf); }
static int be_write(void *c, uint64_t lba, unsigned n, const void *buf) { return ata_write(&ata, lba, n, buf); }
static int be_flush(void *c) { return ata_flush(&ata); }
static const char *be_error(void *c) { return ata.last_error; }

static const struct vdevice_ops vblk_ops = { NULL, NULL, NULL, NULL, NULL };

int vdev_disk_setup(const char *v)
{
	bool slave;
	if (cmdline_word_is(v, "ata0-slave")) {
		slave = true;
	} else if (cmdline_word_is(v, "ata0-master")) {
		slave = false;
	} else {
		pr_err("disk=: expected ata0-master or ata0-slave; no virtual disk");
		return -1;
	}
	uint16_t ide;
	if (pci_host_find_class(PCI_CLASS_IDE, &ide)) {
		pr_err("disk=: no IDE controller on PCI bus 0; no virtual disk");
		return -1;
	}
	/* I/O decoding on: on the kexec path Linux has just removed (and disabled) the function. */
	pci_host_write(NULL, ide, PCI_COMMAND, 2, pci_host_read(NULL, ide, PCI_COMMAND, 2) | 1);
	if (ata_probe(&ata, &ata_ports, IDE0_CMD, IDE0_CTL, slave)) {
		pr_err("disk=: ata0-%s: %s; no virtual disk", slave ? "slave" : "master", ata.last_error);
		return -1;
	}
	int slot = pci_cfg_free_slot(&vdev_pcicfg);
	if (slot < 0) {
		pr_err("disk=: no free PCI slot on bus 0 for the virtio disk");
		return -1;
	}
	struct undo u = vdev_undo_mark();
	if (vdev_hide_bars(ide) < 0) {
		vdev_undo_to(u);
		pr_err("disk=: cannot hide the IDE controller; no virtual disk");
		return -1;
	}
	struct blk_backend be = { ata.sectors, be_read, be_write, be_flush, be_error, NULL };
	vblk_init(&vblk, PCI_BDF(0, slot, 0), vdev_window + vdev_count * VPCI_BAR_SIZE, &be, ata.serial, &vdev_guest_ram);
	if (vdev_claim_ports(IDE0_CMD, 8, vdev_absent_pio) || vdev_claim_ports(IDE0_CTL, 1, vdev_absent_pio) ||
	    vdevice_add(&vblk.dev, &vblk_ops)) {
		vdev_undo_to(u);
		pr_err("disk=: odv-hv's device tables are full; no virtual disk");
		return -1;
	}
	pci_cfg_hide(&vdev_pcicfg, ide);
	char hw[PCI_BDF_LEN], virt[PCI_BDF_LEN];
	pr_info("disk: ata0-%s \"%s\" serial \"%s\", %lu sectors, driven by odv-hv; IDE controller %s hidden",
		slave ? "slave" : "master", ata.model, ata.serial, ata.sectors, pci_bdf_name(ide, hw));
	pr_info("disk: the guest sees virtio-blk at %s, BAR 0x%x-0x%x (trapped)",
		pci_bdf_name(vblk.dev.pci.bdf, virt), vpci_bar(&vblk.dev), vpci_bar(&vblk.dev) + VPCI_BAR_SIZE);
	return 0;
}

