/*
 * The device core: odv-hv's virtual PCI functions as device objects, and the
 * physical devices hidden behind them. The backends (vdev_disk.c: IDE disk
 * -> virtio-blk; vdev_nic.c: e1000 -> virtio-net) take a physical device
 * over and add a function here; this file gives each function's BAR a
 * region (platform/region.h), answers configuration mechanism #1 through
 * drivers/pci_cfg.c (ports 0xCF8-0xCFF), follows BARs the guest moves,
 * sends the MSI-X messages the guest programmed as IPIs from the real local
 * APIC, and polls the backends on CPU 0's VM exits (the VMX-preemption timer
 * makes sure there is one at least every millisecond).
 *
 * Whatever a hidden device used (its BARs, its ports) answers as an absent
 * device: all ones, writes dropped.
 */
#include "vdev.h"
#include "arch.h"
#include "guest.h"
#include "hv.h"
#include "mm.h"
#include "region.h"
#include "smp.h"
#include "vmx.h"
#include "pci_host.h"
#include "cmdline.h"
#include "vdev_int.h"


struct pci_cfg vdev_pcicfg;
uint32_t vdev_window;               /* guest-physical base of the virtual BAR window */
static bool active;
static struct vdevice vdevs[MAX_VDEVICES];
unsigned vdev_count;
/* BARs of the devices odv-hv took over: out of EPT, absent to the guest. */
static unsigned nr_hidden_bars;
uint64_t vdev_poll_tsc;
static uint64_t last_poll_tsc;
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
static enum access_result pci_config_ports(void *arg, struct pio_request *rq);

/* ---- guest RAM as the devices may touch it: RAM in the guest's map, in odv-hv's direct map ---- */
static void *ram_map(void *ctx, uint64_t gpa, uint64_t len)
{
	return guest_ram_range(gpa, len) ? phys_to_virt(gpa) : NULL;
}
const struct guest_ram vdev_guest_ram = { ram_map, NULL };

/*
 * One MSI as the guest programmed it (Intel SDM vol. 3 11.11): address
 * 0xFEExxxxx with the destination in bits 19:12 and logical mode in bit 2,
 * data with the vector and delivery mode. Sent as a fixed IPI.
 */
void vdev_send_msi(void *ctx, uint64_t addr, uint32_t data)
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
	uint64_t w = ALIGN_UP(pci_host_bars_top(0xe0000000u, 0xfec00000u), 0x100000);
	return mmio_place_free(w, VDEV_WINDOW) ? (uint32_t)w : 0;
}

/* Where a device odv-hv took over used to answer: nothing does now. */
static enum access_result absent_mmio(void *arg, struct mmio_request *rq)
{
	if (!rq->write)
		rq->value = ~0ull;
	return ACCESS_DONE;
}

enum access_result vdev_absent_pio(void *arg, struct pio_request *rq)
{
	if (rq->in)
		rq->value = ~0u;        /* the exit keeps the access's width of it */
	return ACCESS_DONE;
}

/* Ports the guest's accesses to trap, answered by handler: 0, or -1 if the region table is full. */
int vdev_claim_ports(uint16_t base, uint32_t count, pio_handler handler)
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
		return vdev_claim_ports((uint16_t)base, (uint32_t)size, vdev_absent_pio);
	struct mmio_region r = { base, size, absent_mmio, NULL, "device BAR access",
				 REGION_EPT_HOLE, REGION_ANY_MOV, false, true };
	return region_add_mmio(&hv_regions, &r) < 0 ? -1 : 0;
}

/*
 * Note a hidden device's BARs: memory BARs leave EPT, I/O BARs are trapped, and
 * both answer the guest as an absent device would. Returns BAR0's address (0
 * if BAR0 is not memory), or -1 (too many BARs).
 */
int64_t vdev_hide_bars(uint16_t bdf)
{
	uint64_t bar0 = 0;
	char name[PCI_BDF_LEN];
	for (unsigned b = 0; b < 6; b++) {
		uint32_t bar = pci_host_read(NULL, bdf, PCI_BAR0 + 4 * b, 4);
		bool io = bar & 1;
		bool wide = !io && ((bar >> 1) & 3) == 2;
		uint64_t addr, size;
		if (wide) {             /* anywhere: odv-hv's direct map and the EPT cover every 64-bit BAR */
			if (pci_host_bar64(bdf, b, &addr, &size))
				return -1;
		} else {
			uint32_t mask = pci_host_bar_mask(bdf, b, io);
			addr = bar & (io ? ~3u : ~0xfu);
			size = io ? (uint64_t)(uint16_t)(~mask + 1) : (uint64_t)(uint32_t)(~mask + 1);
		}
		if (!addr) {
			b += wide;
			continue;
		}
		if (nr_hidden_bars == MAX_HIDDEN_BARS || claim_absent(addr, size, io)) {
			pr_err("%s: more BARs to hide than odv-hv keeps (%u)", pci_bdf_name(bdf, name), MAX_HIDDEN_BARS);
			return -1;
		}
		nr_hidden_bars++;
		if (b == 0 && !io)
			bar0 = addr;
		if (wide)
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

int vdevice_add(struct vpci_dev *d, const struct vdevice_ops *ops)
{
	if (vdev_count == MAX_VDEVICES)
		return -1;
	struct vdevice *s = &vdevs[vdev_count];
	*s = (struct vdevice){ d, ops, vpci_bar(d), -1, false };
	struct mmio_region r = { s->bar, VPCI_BAR_SIZE, vdevice_access, s, "device BAR access",
				 REGION_EPT_HOLE, REGION_ANY_MOV, false, false };
	s->region = region_add_mmio(&hv_regions, &r);
	if (s->region < 0)
		return -1;
	d->msi = vdev_send_msi;
	pci_cfg_add_vdev(&vdev_pcicfg, &d->pci);
	vdev_count++;
	return 0;
}

struct undo vdev_undo_mark(void)
{
	return (struct undo){ nr_hidden_bars, hv_regions.nr_mmio, hv_regions.nr_pio };
}
void vdev_undo_to(struct undo u)
{
	nr_hidden_bars = u.hidden;
	region_truncate(&hv_regions, u.mmio, u.pio);
}

int vdev_setup(const char *cmdline)
{
	const char *disk = cmdline_opt(cmdline ? cmdline : "", "disk="), *nicv = cmdline_opt(cmdline ? cmdline : "", "nic=");
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
	struct pci_hw hw = { pci_host_read, pci_host_write, NULL };
	pci_cfg_init(&vdev_pcicfg, &hw);
	vdev_window = pick_window();
	if (!vdev_window) {
		pr_err("virtual devices: no free place below 0xfec00000 for their BARs; odv-hv takes no device over");
		return -1;
	}
	int err = 0;
	if (disk && vdev_disk_setup(disk))
		err = -1;
	if (nicv && vdev_nic_setup(nicv))
		err = -1;
	if (vdev_count || vdev_pcicfg.nr_hidden) {
		/* A fallback: a function's BAR in the window answers first (region_find_mmio). */
		struct mmio_region w = { vdev_window, VDEV_WINDOW, absent_mmio, NULL, "device BAR access",
					 REGION_EPT_HOLE, REGION_ANY_MOV, false, true };
		if (vdev_claim_ports(PCI_HOST_CF8, 8, pci_config_ports) || region_add_mmio(&hv_regions, &w) < 0) {
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
	for (unsigned i = 0; i < vdev_count; i++) {
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
	if (rq->port < PCI_HOST_CF8 || rq->port + rq->size > PCI_HOST_CF8 + 8)
		return vdev_absent_pio(arg, rq);
	lock();
	if (rq->in) {
		rq->value = pci_cfg_port_in(&vdev_pcicfg, rq->port, rq->size, port_in);
	} else {
		pci_cfg_port_out(&vdev_pcicfg, rq->port, rq->size, rq->value, port_out);
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
	if (!vdev_poll_tsc)
		return;
	uint64_t now = rdtsc();
	if (!force && now - last_poll_tsc < vdev_poll_tsc)
		return;
	last_poll_tsc = now;
	lock();
	for (unsigned i = 0; i < vdev_count; i++) {
		if (vdevs[i].ops->poll)
			vdevs[i].ops->poll(&vdevs[i]);
		check_broken(&vdevs[i]);
	}
	unlock();
}

/* TSC ticks between polls, 0 when nothing needs polling. */
uint64_t vdev_poll_period(void) { return vdev_poll_tsc; }

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
	for (unsigned i = 0; i < vdev_count && !busy; i++)
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
	for (unsigned i = 0; i < vdev_count; i++)
		if (vdevs[i].ops->release)
			vdevs[i].ops->release(&vdevs[i]);
	vdev_poll_tsc = 0;
	unlock();
}
