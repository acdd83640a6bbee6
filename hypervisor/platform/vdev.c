/*
 * odv-hv's virtual devices and the physical ones behind them: the glue
 * between the VM exits and the pure device logic in drivers/.
 *
 * With "disk=ata0-master" / "disk=ata0-slave" (odv-hv's command line) odv-hv
 * takes over the IDE controller: it drives that disk itself (drivers/ata.c,
 * polled PIO), hides the controller from the guest (its configuration space
 * reads as absent, its legacy ports read as floating) and shows the guest a
 * virtio-blk function in a free PCI slot instead (drivers/virtio_blk.c).
 * Configuration-space ports 0xCF8-0xCFF are then trapped (drivers/pci_cfg.c);
 * the virtio function's BAR sits in a window odv-hv leaves out of EPT, so
 * every guest access to it is an EPT violation decoded and emulated here.
 * Interrupts go out as the MSI-X messages the guest programmed, sent as IPIs
 * from the real local APIC.
 *
 * With "nic=BB:DD.F" odv-hv takes that e1000 over the same way (drivers/
 * e1000.c, polled) and shows a virtio-net function with the NIC's MAC
 * (drivers/virtio_net.c). Frames from the guest go out when it notifies the
 * transmit queue; frames from the wire are polled for on VM exits, and the
 * VMX-preemption timer makes sure there is an exit at least every
 * millisecond while the guest computes or halts.
 *
 * The BARs of taken-over devices are left out of EPT too: a guest that
 * still pokes them reads all ones, as from an absent device.
 */
#include "vdev.h"
#include "arch.h"
#include "guest.h"
#include "hv.h"
#include "mm.h"
#include "region.h"
#include "smp.h"
#include "vmx.h"
#include "pci_cfg.h"
#include "ata.h"
#include "virtio_blk.h"
#include "virtio_net.h"
#include "e1000.h"

#define CF8 0xcf8
#define IDE0_CMD 0x1f0
#define IDE0_CTL 0x3f6
#define PCI_CLASS_IDE 0x0101

#define MAX_VDEVICES 4
#define VDEV_WINDOW (MAX_VDEVICES * VPCI_BAR_SIZE)   /* one BAR per virtual device */
#define MAX_HIDDEN_BARS 8

static struct pci_cfg pcicfg;
static struct ata_dev ata;
static struct vblk vblk;
static struct e1000_dev nic;
static struct vnet vnet;
static bool active;
static uint32_t window;             /* guest-physical base of the virtual BAR window */

/*
 * A virtual PCI function odv-hv shows the guest. Its BAR is a region in the
 * registry (platform/region.h), moved when the guest moves the BAR.
 * Checkpoints (a later issue) will save and restore each device through
 * save/restore; no device has them yet, and a checkpoint must refuse a
 * device whose ops leave them NULL.
 */
struct vdevice;
struct vdevice_ops {
	void (*poll)(struct vdevice *d);           /* CPU 0, VM exits: work from the wire */
	void (*release)(struct vdevice *d);        /* before go-native: the physical device quiet */
	size_t (*state_size)(const struct vdevice *d);
	int (*save)(const struct vdevice *d, void *buf, size_t len);
	int (*restore)(struct vdevice *d, const void *buf, size_t len);
};
struct vdevice {
	struct vpci_dev *dev;
	const struct vdevice_ops *ops;
	uint32_t bar;              /* where its BAR is trapped (0: nowhere) */
	int region;                /* its handle in hv_regions */
	bool broken_logged;
};
static struct vdevice vdevs[MAX_VDEVICES];
static unsigned nr_vdevs;
/* BARs of the devices odv-hv took over: out of EPT, absent to the guest. */
static unsigned nr_hidden_bars;
static uint64_t poll_period_tsc, last_poll_tsc;
/*
 * One lock for all device state: a guest on one CPU may kick a queue while
 * CPU 0 polls the wire. Held only in VMX root with interrupts off; never
 * held while waiting for the guest.
 */
static volatile int dev_lock;
static void lock(void)
{
	while (__atomic_exchange_n(&dev_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}
static void unlock(void) { __atomic_store_n(&dev_lock, 0, __ATOMIC_RELEASE); }
static uint8_t rx_frame[E1000_BUF_SIZE];
static enum access_result pci_config_ports(void *arg, struct pio_request *rq);

/* ---- the real configuration space (mechanism #1) ---- */
static uint32_t hw_cfg_read(void *ctx, uint16_t bdf, unsigned off, unsigned size)
{
	outl(CF8, 0x80000000u | ((uint32_t)bdf << 8) | (off & 0xfc));
	return port_in((uint16_t)(0xcfc + (off & 3)), size);
}

static void hw_cfg_write(void *ctx, uint16_t bdf, unsigned off, unsigned size, uint32_t val)
{
	outl(CF8, 0x80000000u | ((uint32_t)bdf << 8) | (off & 0xfc));
	port_out((uint16_t)(0xcfc + (off & 3)), size, val);
}

/*
 * The size mask of BAR b (what it reads back after all ones, type bits
 * cleared), with decoding off meanwhile: all ones is no place for it.
 */
static uint32_t hw_bar_mask(uint16_t bdf, unsigned b, bool io)
{
	unsigned off = PCI_BAR0 + 4 * b;
	uint32_t cmd = hw_cfg_read(NULL, bdf, PCI_COMMAND, 2), bar = hw_cfg_read(NULL, bdf, off, 4);
	hw_cfg_write(NULL, bdf, PCI_COMMAND, 2, cmd & ~3u);
	hw_cfg_write(NULL, bdf, off, 4, 0xffffffffu);
	uint32_t mask = hw_cfg_read(NULL, bdf, off, 4) & (io ? ~3u : ~0xfu);
	hw_cfg_write(NULL, bdf, off, 4, bar);
	hw_cfg_write(NULL, bdf, PCI_COMMAND, 2, cmd);
	return mask;
}

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

/* ---- guest RAM as the devices may touch it: RAM in the guest's map, below 4 GiB (odv-hv's direct map) ---- */
static void *ram_map(void *ctx, uint64_t gpa, uint64_t len)
{
	return guest_ram_range(gpa, len) ? phys_to_virt(gpa) : NULL;
}
static const struct guest_ram guest_ram = { ram_map, NULL };

/*
 * One MSI as the guest programmed it (Intel SDM vol. 3 11.11): address
 * 0xFEExxxxx with the destination in bits 19:12 and logical mode in bit 2,
 * data with the vector and delivery mode. Sent as a fixed IPI.
 */
static void send_msi(void *ctx, uint64_t addr, uint32_t data)
{
	uint32_t vector = data & 0xff, mode = (data >> 8) & 7;
	if ((addr >> 20) != 0xfee || vector < 16 || mode > 1) {
		static unsigned logged;
		if (logged++ < 4)      /* the guest chooses how often: keep the log (and the lock) short */
			pr_err("virtio: MSI address 0x%lx data 0x%x is not a fixed/lowest-priority interrupt: not sent",
			       addr, data);
		return;
	}
	/* Physical or logical destination (address bit 2), as the guest chose; lapic_send keeps its ICR. */
	lapic_send(vector | ((addr & BIT(2)) ? BIT32(11) : 0), (uint32_t)(addr >> 12) & 0xff);
}

/* Below the IOAPIC/LAPIC area and clear of everything in the memory map (RAM, ROM, ACPI). */
static bool mmio_place_free(uint64_t base, uint64_t size)
{
	if (!base || base + size > 0xfec00000ull || (base & (PAGE_SIZE - 1)))
		return false;
	for (unsigned i = 0; i < hv.boot.nr_mmap; i++) {
		const struct mem_range *m = &hv.boot.mmap[i];
		if (base < m->base + m->len && m->base < base + size)
			return false;
	}
	return !(base < hv.load_base + hv.size && hv.load_base < base + size);
}

/*
 * A place for the virtual BARs: the first 1 MiB boundary above every memory BAR
 * the firmware assigned on bus 0 (bridges are skipped: their registers at
 * 0x10-0x24 are not six BARs). 0 if that would reach the IOAPIC/LAPIC area at
 * 0xFEC00000 or overlap anything in the memory map.
 */
static uint32_t pick_window(void)
{
	uint32_t top = 0xe0000000u;
	for (unsigned dev = 0; dev < 32; dev++)
		for (unsigned fn = 0; fn < 8; fn++) {
			uint16_t bdf = PCI_BDF(0, dev, fn);
			if ((hw_cfg_read(NULL, bdf, 0, 4) & 0xffff) == 0xffff)
				continue;
			if ((hw_cfg_read(NULL, bdf, PCI_HEADER_TYPE, 1) & 0x7f) != 0)
				continue;
			for (unsigned b = 0; b < 6; b++) {
				uint32_t bar = hw_cfg_read(NULL, bdf, PCI_BAR0 + 4 * b, 4);
				if ((bar & 1) || (bar & ~0xfu) == 0)
					continue;
				uint32_t end = (bar & ~0xfu) + (~hw_bar_mask(bdf, b, false) + 1);
				if (end > top && end <= 0xfec00000u)
					top = end;
				if (((bar >> 1) & 3) == 2)
					b++;          /* 64-bit BAR: the next one is its high half */
			}
		}
	uint64_t w = ALIGN_UP(top, 0x100000);
	return mmio_place_free(w, VDEV_WINDOW) ? (uint32_t)w : 0;
}

static int find_ide(uint16_t *bdf)
{
	for (unsigned dev = 0; dev < 32; dev++)
		for (unsigned fn = 0; fn < 8; fn++) {
			uint16_t b = PCI_BDF(0, dev, fn);
			if ((hw_cfg_read(NULL, b, 0, 4) & 0xffff) == 0xffff)
				continue;
			if ((hw_cfg_read(NULL, b, 8, 4) >> 16) == PCI_CLASS_IDE) {
				*bdf = b;
				return 0;
			}
		}
	return -1;
}

/* The value of option `key` (e.g. "disk=") in odv-hv's command line, or NULL; it ends at a space. */
static const char *opt(const char *cmdline, const char *key)
{
	for (const char *p = cmdline; *p; p++) {
		if (p != cmdline && p[-1] != ' ')
			continue;
		unsigned i = 0;
		while (key[i] && p[i] == key[i])
			i++;
		if (!key[i])
			return p + i;
	}
	return NULL;
}

static bool word_is(const char *v, const char *w)
{
	unsigned i = 0;
	while (w[i] && v[i] == w[i])
		i++;
	return !w[i] && (v[i] == ' ' || !v[i]);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* "BB:DD.F" or "0000:BB:DD.F" -> bdf; -1 if malformed. */
static int parse_bdf(const char *v)
{
	if (hexval(v[0]) >= 0 && hexval(v[1]) >= 0 && hexval(v[2]) >= 0 && hexval(v[3]) >= 0 && v[4] == ':')
		v += 5;                        /* PCI segment 0000 */
	int b1 = hexval(v[0]), b0 = hexval(v[1]), d1 = hexval(v[3]), d0 = hexval(v[4]), f = hexval(v[6]);
	if (b1 < 0 || b0 < 0 || v[2] != ':' || d1 < 0 || d0 < 0 || v[5] != '.' || f < 0 || f > 7 ||
	    (v[7] && v[7] != ' '))
		return -1;
	unsigned dev = (unsigned)(d1 * 16 + d0);
	if (dev > 31)
		return -1;
	return PCI_BDF(b1 * 16 + b0, dev, f);
}

/* Where a device odv-hv took over used to answer: nothing does now. */
static enum access_result absent_mmio(void *arg, struct mmio_request *rq)
{
	if (!rq->write)
		rq->value = ~0ull;
	return ACCESS_DONE;
}

static enum access_result absent_pio(void *arg, struct pio_request *rq)
{
	if (rq->in)
		rq->value = ~0u;        /* the exit keeps the access's width of it */
	return ACCESS_DONE;
}

/* Ports the guest's accesses to trap, answered by handler: 0, or -1 if the region table is full. */
static int claim_ports(uint16_t base, uint32_t count, pio_handler handler)
{
	if (base + count > 0x10000)
		count = 0x10000 - base;
	struct pio_region r = { base, (uint16_t)count, handler, NULL };
	if (region_add_pio(&hv_regions, &r) < 0)
		return -1;
	for (uint32_t p = base; p < (uint32_t)base + count; p++)
		vmx_trap_port((uint16_t)p);
	return 0;
}

/* A range that answers as an absent device: ports trapped, or memory left out of EPT. */
static int claim_absent(uint64_t base, uint64_t size, bool io)
{
	if (io)
		return claim_ports((uint16_t)base, (uint32_t)size, absent_pio);
	struct mmio_region r = { base, size, absent_mmio, NULL, "device BAR access",
				 REGION_EPT_HOLE, REGION_ANY_MOV, false, true };
	return region_add_mmio(&hv_regions, &r) < 0 ? -1 : 0;
}

/*
 * Note a hidden device's BARs: memory BARs leave EPT, I/O BARs are trapped, and
 * both answer the guest as an absent device would. Returns BAR0's address (0
 * if BAR0 is not memory), or -1 (a BAR above 4 GiB, or too many BARs).
 */
static int64_t hide_bars(uint16_t bdf)
{
	uint64_t bar0 = 0;
	char name[PCI_BDF_LEN];
	for (unsigned b = 0; b < 6; b++) {
		uint32_t bar = hw_cfg_read(NULL, bdf, PCI_BAR0 + 4 * b, 4);
		bool io = bar & 1;
		uint32_t addr = bar & (io ? ~3u : ~0xfu);
		if (!addr)
			continue;
		uint32_t mask = hw_bar_mask(bdf, b, io);
		uint64_t size = io ? (uint64_t)(uint16_t)(~mask + 1) : (uint64_t)(uint32_t)(~mask + 1);
		if (!io && ((bar >> 1) & 3) == 2 && hw_cfg_read(NULL, bdf, PCI_BAR0 + 4 * (b + 1), 4)) {
			pr_err("%s: BAR%u lies above 4 GiB: not supported", pci_bdf_name(bdf, name), b);
			return -1;
		}
		if (nr_hidden_bars == MAX_HIDDEN_BARS || claim_absent(addr, size, io)) {
			pr_err("%s: more BARs to hide than odv-hv keeps (%u)", pci_bdf_name(bdf, name), MAX_HIDDEN_BARS);
			return -1;
		}
		nr_hidden_bars++;
		if (b == 0 && !io)
			bar0 = addr;
		if (!io && ((bar >> 1) & 3) == 2)
			b++;          /* the high half of a 64-bit BAR */
	}
	return (int64_t)bar0;
}

static void check_broken(struct vdevice *s)
{
	struct vpci_dev *d = s->dev;
	if (d->broken && !s->broken_logged) {
		char name[PCI_BDF_LEN];
		pr_err("%s %s: broken: %s (queue %u); it does nothing more until the guest resets it",
		       d->name, pci_bdf_name(d->pci.bdf, name), d->broken_why, d->broken_queue);
		s->broken_logged = true;
	} else if (!d->broken) {
		s->broken_logged = false;
	}
}

/*
 * A guest load or store in a virtual function's BAR. Where the guest has
 * moved the BAR away (not yet trapped at its new place, or memory decoding
 * off), nothing answers: all ones, as on the bus.
 */
static enum access_result vdevice_access(void *arg, struct mmio_request *rq)
{
	struct vdevice *s = arg;
	lock();
	uint32_t bar = vpci_bar(s->dev);
	bool live = bar == s->bar && vpci_mem_enabled(s->dev) && rq->gpa >= bar &&
		    rq->gpa < (uint64_t)bar + VPCI_BAR_SIZE;
	if (rq->write && live) {
		vpci_mmio_write(s->dev, (uint32_t)(rq->gpa - bar), rq->size, rq->value);
		check_broken(s);
	} else if (!rq->write) {
		rq->value = live ? vpci_mmio_read(s->dev, (uint32_t)(rq->gpa - bar), rq->size) : ~0ull;
	}
	unlock();
	return ACCESS_DONE;
}

static int vdevice_add(struct vpci_dev *d, const struct vdevice_ops *ops)
{
	if (nr_vdevs == MAX_VDEVICES)
		return -1;
	struct vdevice *s = &vdevs[nr_vdevs];
	*s = (struct vdevice){ d, ops, vpci_bar(d), -1, false };
	struct mmio_region r = { s->bar, VPCI_BAR_SIZE, vdevice_access, s, "device BAR access",
				 REGION_EPT_HOLE, REGION_ANY_MOV, false, false };
	s->region = region_add_mmio(&hv_regions, &r);
	if (s->region < 0)
		return -1;
	d->msi = send_msi;
	pci_cfg_add_vdev(&pcicfg, &d->pci);
	nr_vdevs++;
	return 0;
}

/* A device setup that fails half way leaves no region or hidden BAR behind. */
struct undo { unsigned hidden, mmio, pio; };
static struct undo undo_mark(void)
{
	return (struct undo){ nr_hidden_bars, hv_regions.nr_mmio, hv_regions.nr_pio };
}
static void undo_to(struct undo u)
{
	nr_hidden_bars = u.hidden;
	region_truncate(&hv_regions, u.mmio, u.pio);
}

static const struct vdevice_ops vblk_ops = { NULL, NULL, NULL, NULL, NULL };

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

static int setup_disk(const char *v)
{
	bool slave;
	if (word_is(v, "ata0-slave")) {
		slave = true;
	} else if (word_is(v, "ata0-master")) {
		slave = false;
	} else {
		pr_err("disk=: expected ata0-master or ata0-slave; no virtual disk");
		return -1;
	}
	uint16_t ide;
	if (find_ide(&ide)) {
		pr_err("disk=: no IDE controller on PCI bus 0; no virtual disk");
		return -1;
	}
	/* I/O decoding on: on the kexec path Linux has just removed (and disabled) the function. */
	hw_cfg_write(NULL, ide, PCI_COMMAND, 2, hw_cfg_read(NULL, ide, PCI_COMMAND, 2) | 1);
	if (ata_probe(&ata, &ata_ports, IDE0_CMD, IDE0_CTL, slave)) {
		pr_err("disk=: ata0-%s: %s; no virtual disk", slave ? "slave" : "master", ata.last_error);
		return -1;
	}
	int slot = pci_cfg_free_slot(&pcicfg);
	if (slot < 0) {
		pr_err("disk=: no free PCI slot on bus 0 for the virtio disk");
		return -1;
	}
	struct undo u = undo_mark();
	if (hide_bars(ide) < 0) {
		undo_to(u);
		pr_err("disk=: cannot hide the IDE controller; no virtual disk");
		return -1;
	}
	struct blk_backend be = { ata.sectors, be_read, be_write, be_flush, be_error, NULL };
	vblk_init(&vblk, PCI_BDF(0, slot, 0), window + nr_vdevs * VPCI_BAR_SIZE, &be, "odv-ata0", &guest_ram);
	if (claim_ports(IDE0_CMD, 8, absent_pio) || claim_ports(IDE0_CTL, 1, absent_pio) ||
	    vdevice_add(&vblk.dev, &vblk_ops)) {
		undo_to(u);
		pr_err("disk=: odv-hv's device tables are full; no virtual disk");
		return -1;
	}
	pci_cfg_hide(&pcicfg, ide);
	char hw[PCI_BDF_LEN], virt[PCI_BDF_LEN];
	pr_info("disk: ata0-%s \"%s\", %lu sectors, driven by odv-hv; IDE controller %s hidden",
		slave ? "slave" : "master", ata.model, ata.sectors, pci_bdf_name(ide, hw));
	pr_info("disk: the guest sees virtio-blk at %s, BAR 0x%x-0x%x (trapped)",
		pci_bdf_name(vblk.dev.pci.bdf, virt), vpci_bar(&vblk.dev), vpci_bar(&vblk.dev) + VPCI_BAR_SIZE);
	return 0;
}

/* ---- the e1000 odv-hv drives ---- */
static uint64_t nic_mmio;
static uint32_t nic_rd32(void *c, uint32_t reg) { return *(volatile uint32_t *)phys_to_virt(nic_mmio + reg); }
static void nic_wr32(void *c, uint32_t reg, uint32_t v) { *(volatile uint32_t *)phys_to_virt(nic_mmio + reg) = v; }
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

static int setup_nic(const char *v)
{
	int bdf = parse_bdf(v);
	if (bdf < 0 || (bdf >> 8) != 0) {
		/* Bus 0 only: behind a bridge the guest could renumber buses and find it again. */
		pr_err("nic=: expected a PCI address 00:DD.F on bus 0; no virtual NIC");
		return -1;
	}
	uint16_t f = (uint16_t)bdf;
	char hw[PCI_BDF_LEN], virt[PCI_BDF_LEN];
	uint32_t id = hw_cfg_read(NULL, f, 0, 4), class = hw_cfg_read(NULL, f, 8, 4) >> 8;
	if ((id & 0xffff) != 0x8086 || class != 0x020000) {
		pr_err("nic=%s: %04x:%04x class %06x is not an Intel Ethernet controller; no virtual NIC",
		       pci_bdf_name(f, hw), id & 0xffff, id >> 16, class);
		return -1;
	}
	int slot = pci_cfg_free_slot(&pcicfg);
	if (slot < 0) {
		pr_err("nic=: no free PCI slot on bus 0 for the virtio NIC");
		return -1;
	}
	tsc_ms = tsc_per_ms();
	struct undo u = undo_mark();
	int64_t bar0 = hide_bars(f);
	if (bar0 <= 0) {
		undo_to(u);
		pr_err("nic=: %s; no virtual NIC", bar0 ? "cannot hide its BARs" : "BAR0 is not a memory BAR");
		return -1;
	}
	nic_mmio = (uint64_t)bar0;
	/* Memory decoding and bus mastering on, I/O decoding off (its IOADDR/IODATA window reaches every register). */
	hw_cfg_write(NULL, f, PCI_COMMAND, 2, (hw_cfg_read(NULL, f, PCI_COMMAND, 2) | 0x6) & ~1u);
	if (e1000_init(&nic, &nic_env)) {
		undo_to(u);
		pr_err("nic=: e1000 %04x: %s; no virtual NIC", id >> 16, nic.last_error);
		return -1;
	}
	struct net_backend be = { nic_send, NULL };
	vnet_init(&vnet, PCI_BDF(0, slot, 0), window + nr_vdevs * VPCI_BAR_SIZE, nic.mac, &be, &guest_ram);
	if (vdevice_add(&vnet.dev, &vnet_ops)) {
		e1000_stop(&nic);
		undo_to(u);
		pr_err("nic=: odv-hv's device tables are full; no virtual NIC");
		return -1;
	}
	pci_cfg_hide(&pcicfg, f);
	/* Poll the wire at least every millisecond. */
	poll_period_tsc = tsc_ms;
	const uint8_t *m = nic.mac;
	pr_info("nic: e1000 %04x at %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, driven by odv-hv (link %s); hidden",
		id >> 16, pci_bdf_name(f, hw), m[0], m[1], m[2], m[3], m[4], m[5],
		e1000_link_up(&nic) ? "up" : "down");
	pr_info("nic: the guest sees virtio-net at %s with that MAC, BAR 0x%x-0x%x (trapped)",
		pci_bdf_name(vnet.dev.pci.bdf, virt), vpci_bar(&vnet.dev), vpci_bar(&vnet.dev) + VPCI_BAR_SIZE);
	return 0;
}

int vdev_setup(const char *cmdline)
{
	const char *disk = opt(cmdline ? cmdline : "", "disk="), *nicv = opt(cmdline ? cmdline : "", "nic=");
	if (!disk && !nicv)
		return 0;      /* no virtual devices asked for */
	if (hv.has_ecam) {
		/*
		 * The guest could reach a hidden device's configuration space through
		 * ECAM (memory-mapped, ACPI MCFG), which odv-hv does not emulate yet, and
		 * re-enable it behind odv-hv's back: take nothing over.
		 */
		pr_err("virtual devices: this platform maps PCI configuration space into memory (ACPI MCFG), "
		       "which odv-hv does not filter yet; odv-hv takes no device over");
		return -1;
	}
	struct pci_hw hw = { hw_cfg_read, hw_cfg_write, NULL };
	pci_cfg_init(&pcicfg, &hw);
	window = pick_window();
	if (!window) {
		pr_err("virtual devices: no free place below 0xfec00000 for their BARs; odv-hv takes no device over");
		return -1;
	}
	int err = 0;
	if (disk && setup_disk(disk))
		err = -1;
	if (nicv && setup_nic(nicv))
		err = -1;
	if (nr_vdevs || pcicfg.nr_hidden) {
		/* A fallback: a function's BAR in the window answers first (region_find_mmio). */
		struct mmio_region w = { window, VDEV_WINDOW, absent_mmio, NULL, "device BAR access",
					 REGION_EPT_HOLE, REGION_ANY_MOV, false, true };
		if (claim_ports(CF8, 8, pci_config_ports) || region_add_mmio(&hv_regions, &w) < 0) {
			pr_err("virtual devices: odv-hv's region table is full");
			return -1;
		}
		active = true;
	}
	return err;
}

/*
 * After a configuration write: a virtual function whose BAR the guest moved
 * (Linux reassigns the BARs of functions found by a rescan) is trapped at its
 * new place, once memory decoding is on there. The old place stays a hole.
 */
static void follow_bars(void)
{
	for (unsigned i = 0; i < nr_vdevs; i++) {
		struct vdevice *s = &vdevs[i];
		uint32_t bar = vpci_bar(s->dev);
		if (bar == s->bar || !vpci_mem_enabled(s->dev))
			continue;
		char name[PCI_BDF_LEN];
		pci_bdf_name(s->dev->pci.bdf, name);
		if (!mmio_place_free(bar, VPCI_BAR_SIZE) || ept_trap_range(bar, VPCI_BAR_SIZE)) {
			pr_err("%s %s: the guest put its BAR at 0x%x, where odv-hv cannot trap it; "
			       "the device does not answer there", s->dev->name, name, bar);
			s->bar = 0;
			region_mmio_off(&hv_regions, s->region);
			continue;
		}
		/* Debug level (the ring, odv log): the guest's console is busy at this moment. */
		pr_debug("%s %s: BAR moved by the guest 0x%x -> 0x%x; trapped there",
			s->dev->name, name, s->bar, bar);
		s->bar = bar;
		region_mmio_move(&hv_regions, s->region, bar);
	}
}

/*
 * Configuration mechanism #1 (ports 0xCF8-0xCFF), filtered by pci_cfg.c: the
 * virtual functions answer, the hidden ones read as absent. An access that
 * straddles out of the range gets what an absent device gives.
 */
static enum access_result pci_config_ports(void *arg, struct pio_request *rq)
{
	if (rq->port < CF8 || rq->port + rq->size > CF8 + 8)
		return absent_pio(arg, rq);
	lock();
	if (rq->in) {
		rq->value = pci_cfg_port_in(&pcicfg, rq->port, rq->size, port_in);
	} else {
		pci_cfg_port_out(&pcicfg, rq->port, rq->size, rq->value, port_out);
		follow_bars();
	}
	unlock();
	return ACCESS_DONE;
}

/*
 * Frames from the wire into the guest's receive queue. Called at the end of
 * VM exits on CPU 0; does the work at most once per poll period.
 */
void vdev_poll(bool force)
{
	if (!poll_period_tsc)
		return;
	uint64_t now = rdtsc();
	if (!force && now - last_poll_tsc < poll_period_tsc)
		return;
	last_poll_tsc = now;
	lock();
	for (unsigned i = 0; i < nr_vdevs; i++) {
		if (vdevs[i].ops->poll)
			vdevs[i].ops->poll(&vdevs[i]);
		check_broken(&vdevs[i]);
	}
	unlock();
}

/* TSC ticks between polls, 0 when nothing needs polling. */
uint64_t vdev_poll_period(void) { return poll_period_tsc; }

/*
 * A virtual device a driver still runs (DRIVER_OK), or NULL. Leaving VMX under
 * it would pull the disk or NIC away from a live driver: the agent removes the
 * functions first. (Linux's removal resets the device and then sets
 * ACKNOWLEDGE again, so only DRIVER_OK means "in use".)
 */
const char *vdev_busy(void)
{
	const char *busy = NULL;
	lock();
	for (unsigned i = 0; i < nr_vdevs && !busy; i++)
		if (vdevs[i].dev->status & VIRTIO_STATUS_DRIVER_OK)
			busy = vdevs[i].dev->name;
	unlock();
	return busy;
}

/* Before go-native: leave the devices quiet for the guest's own drivers. */
void vdev_release(void)
{
	if (!active)
		return;
	lock();
	for (unsigned i = 0; i < nr_vdevs; i++)
		if (vdevs[i].ops->release)
			vdevs[i].ops->release(&vdevs[i]);
	poll_period_tsc = 0;
	unlock();
}
