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
 */
#include "hv.h"
#include "arch.h"
#include "insn_decode.h"
#include "pci_cfg.h"
#include "ata.h"
#include "virtio_blk.h"

#define CF8 0xcf8
#define IDE0_CMD 0x1f0
#define IDE0_CTL 0x3f6
#define PCI_CLASS_IDE 0x0101

static struct pci_cfg pcicfg;
static struct ata_dev ata;
static struct vblk vblk;
static bool active;
static uint32_t window;             /* guest-physical base of the virtual BAR window */
static bool broken_logged;

/* ---- the real configuration space (mechanism #1) ---- */
static uint32_t hw_cfg_read(void *ctx, uint16_t bdf, unsigned off, unsigned size)
{
	outl(CF8, 0x80000000u | ((uint32_t)bdf << 8) | (off & 0xfc));
	uint16_t port = (uint16_t)(0xcfc + (off & 3));
	return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

static void hw_cfg_write(void *ctx, uint16_t bdf, unsigned off, unsigned size, uint32_t val)
{
	outl(CF8, 0x80000000u | ((uint32_t)bdf << 8) | (off & 0xfc));
	uint16_t port = (uint16_t)(0xcfc + (off & 3));
	if (size == 1)
		outb(port, (uint8_t)val);
	else if (size == 2)
		outw(port, (uint16_t)val);
	else
		outl(port, val);
}

static uint32_t raw_in(uint16_t port, unsigned size)
{
	return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

static void raw_out(uint16_t port, unsigned size, uint32_t val)
{
	if (size == 1)
		outb(port, (uint8_t)val);
	else if (size == 2)
		outw(port, (uint16_t)val);
	else
		outl(port, val);
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
	uint64_t end = gpa + len;
	if (end < gpa || end > 4 * SZ_1G)
		return NULL;
	if (end > hv.load_base && gpa < hv.load_base + hv.size)
		return NULL;
	for (unsigned i = 0; i < hv.boot.nr_mmap; i++) {
		const struct mem_range *m = &hv.boot.mmap[i];
		if (m->type == MEM_RAM && gpa >= m->base && end <= m->base + m->len)
			return phys_to_virt(gpa);
	}
	return NULL;
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
		pr_err("virtio: MSI address 0x%lx data 0x%x is not a fixed/lowest-priority interrupt: not sent",
		       addr, data);
		return;
	}
	uint32_t lo = vector | ((addr & BIT(2)) ? BIT32(11) : 0);
	/* Keep the guest's ICR high half: it may be between its two ICR writes. */
	uint32_t hi = lapic_x2apic() ? 0 : *lapic_mmio(0x310);
	lapic_send(lo, (uint32_t)(addr >> 12) & 0xff);
	if (!lapic_x2apic())
		*lapic_mmio(0x310) = hi;
}

/* The first free 32 KiB-aligned place for the BAR: above every memory BAR the firmware assigned. */
static uint32_t pick_window(void)
{
	uint32_t top = 0xe0000000u;
	for (unsigned dev = 0; dev < 32; dev++)
		for (unsigned fn = 0; fn < 8; fn++) {
			uint16_t bdf = PCI_BDF(0, dev, fn);
			if ((hw_cfg_read(NULL, bdf, 0, 4) & 0xffff) == 0xffff)
				continue;
			for (unsigned b = 0; b < 6; b++) {
				uint32_t bar = hw_cfg_read(NULL, bdf, PCI_BAR0 + 4 * b, 4);
				if ((bar & 1) || (bar & ~0xfu) == 0)
					continue;
				/* The BAR's size, with decoding off meanwhile (all ones is no place for it). */
				uint32_t cmd = hw_cfg_read(NULL, bdf, PCI_COMMAND, 2);
				hw_cfg_write(NULL, bdf, PCI_COMMAND, 2, cmd & ~3u);
				hw_cfg_write(NULL, bdf, PCI_BAR0 + 4 * b, 4, 0xffffffffu);
				uint32_t mask = hw_cfg_read(NULL, bdf, PCI_BAR0 + 4 * b, 4) & ~0xfu;
				hw_cfg_write(NULL, bdf, PCI_BAR0 + 4 * b, 4, bar);
				hw_cfg_write(NULL, bdf, PCI_COMMAND, 2, cmd);
				uint32_t end = (bar & ~0xfu) + (~mask + 1);
				if (end > top && end < 0xfec00000u)
					top = end;
				if (((bar >> 1) & 3) == 2)
					b++;          /* 64-bit BAR: the next one is its high half */
			}
		}
	return (uint32_t)ALIGN_UP(top, 0x100000);
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

static void trap_ide_ports(void)
{
	for (uint16_t p = IDE0_CMD; p < IDE0_CMD + 8; p++)
		vmx_trap_port(p);
	vmx_trap_port(IDE0_CTL);
}

int vdev_setup(const char *cmdline)
{
	const char *opt = cmdline ? cmdline : "";
	bool slave;
	const char *d = opt;
	for (; *d; d++)
		if ((d == opt || d[-1] == ' ') && d[0] == 'd' && d[1] == 'i' && d[2] == 's' && d[3] == 'k' && d[4] == '=')
			break;
	if (!*d)
		return 0;      /* no virtual devices asked for */
	d += 5;
	const char *master = "ata0-master", *slv = "ata0-slave";
	unsigned i;
	for (i = 0; slv[i] && d[i] == slv[i]; i++)
		;
	if (!slv[i] && (d[i] == ' ' || !d[i])) {
		slave = true;
	} else {
		for (i = 0; master[i] && d[i] == master[i]; i++)
			;
		if (master[i] || (d[i] != ' ' && d[i])) {
			pr_err("disk=: expected ata0-master or ata0-slave; no virtual disk");
			return -1;
		}
		slave = false;
	}
	uint16_t ide;
	if (find_ide(&ide)) {
		pr_err("disk=: no IDE controller on PCI bus 0; no virtual disk");
		return -1;
	}
	if (ata_probe(&ata, &ata_ports, IDE0_CMD, IDE0_CTL, slave)) {
		pr_err("disk=: ata0-%s: %s; no virtual disk", slave ? "slave" : "master", ata.last_error);
		return -1;
	}
	struct pci_hw hw = { hw_cfg_read, hw_cfg_write, NULL };
	pci_cfg_init(&pcicfg, &hw);
	pci_cfg_hide(&pcicfg, ide);
	int slot = pci_cfg_free_slot(&pcicfg);
	if (slot < 0) {
		pr_err("disk=: no free PCI slot on bus 0 for the virtio disk");
		return -1;
	}
	window = pick_window();
	struct blk_backend be = { ata.sectors, be_read, be_write, be_flush, be_error, NULL };
	vblk_init(&vblk, PCI_BDF(0, slot, 0), window, &be, "odv-ata0", &guest_ram);
	vblk.dev.msi = send_msi;
	pci_cfg_add_vdev(&pcicfg, &vblk.dev.pci);
	for (uint16_t p = CF8; p < CF8 + 8; p++)
		vmx_trap_port(p);
	trap_ide_ports();
	active = true;
	pr_info("disk: ata0-%s \"%s\", %lu sectors, driven by odv-hv; IDE controller %02x:%02x.%x hidden",
		slave ? "slave" : "master", ata.model, ata.sectors, ide >> 8, (ide >> 3) & 31, ide & 7);
	pr_info("disk: the guest sees virtio-blk at 00:%02x.0, BAR 0x%x-0x%x (trapped)",
		slot, window, window + VPCI_BAR_SIZE);
	return 0;
}

bool vdev_mmio_window(uint64_t *base, uint64_t *size)
{
	if (!active)
		return false;
	*base = window;
	*size = VPCI_BAR_SIZE;
	return true;
}

/* Port I/O the devices own: true if handled (*val holds an IN's result). */
bool vdev_io(uint16_t port, unsigned size, bool in, uint32_t *val)
{
	if (!active)
		return false;
	if (port >= CF8 && port < CF8 + 8) {
		if (in)
			*val = pci_cfg_port_in(&pcicfg, port, size, raw_in);
		else
			pci_cfg_port_out(&pcicfg, port, size, *val, raw_out);
		return true;
	}
	if ((port >= IDE0_CMD && port < IDE0_CMD + 8) || port == IDE0_CTL) {
		/* The controller is odv-hv's now: to the guest, nothing answers there. */
		if (in)
			*val = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
		return true;
	}
	return false;
}

static void check_broken(void)
{
	struct vpci_dev *d = &vblk.dev;
	if (d->broken && !broken_logged) {
		uint16_t bdf = d->pci.bdf;
		pr_err("%s 00:%02x.%x: broken: %s (queue %u); it does nothing more until the guest resets it",
		       d->name, (bdf >> 3) & 31, bdf & 7, d->broken_why, d->broken_queue);
		broken_logged = true;
	} else if (!d->broken) {
		broken_logged = false;
	}
}

bool vdev_mmio_covers(uint64_t gpa)
{
	return active && gpa >= window && gpa < (uint64_t)window + VPCI_BAR_SIZE;
}

/* A guest load or store in the virtual BAR window: emulate it. 0, or -1 with the reason logged. */
int vdev_mmio(struct vcpu *v, uint64_t gpa)
{
	uint8_t code[15];
	uint64_t rip = vmread(VMCS_GUEST_RIP);
	unsigned n = guest_read_linear(vmread(VMCS_GUEST_CS_BASE) + rip, code, sizeof(code));
	uint64_t cs_ar = vmread(VMCS_GUEST_CS_AR);
	bool long64 = (cs_ar >> 13) & 1, def32 = (cs_ar >> 14) & 1;
	struct mmio_access a;
	const char *err = "no instruction bytes readable";
	if (!long64 && !def32)
		err = "16-bit code segment";
	if (!n || (!long64 && !def32) || decode_mmio_access(code, n, long64, &a, &err)) {
		pr_err("virtio BAR access at rip=0x%lx (gpa 0x%lx) not emulated: %s", rip, gpa, err);
		return -1;
	}
	uint32_t bar = vpci_bar(&vblk.dev);
	/* Moved by the guest (or decoding off): odv-hv traps only `window`, where nothing answers now. */
	bool here = bar == window && vpci_mem_enabled(&vblk.dev);
	uint64_t size_mask = a.size == 8 ? ~0ull : (1ull << (8 * a.size)) - 1;
	if (a.write) {
		uint64_t val = a.src == STORE_IMM ? a.imm : vcpu_gpr(v, a.reg);
		if (a.src == STORE_REG && a.high_byte)
			val >>= 8;
		if (here) {
			vpci_mmio_write(&vblk.dev, (uint32_t)(gpa - window), a.size, val & size_mask);
			check_broken();
		}
	} else {
		uint64_t val = here ? vpci_mmio_read(&vblk.dev, (uint32_t)(gpa - window), a.size) : ~0ull;
		val &= size_mask;          /* MOVZX: the zero extension */
		uint64_t old = vcpu_gpr(v, a.reg);
		if (a.high_byte)
			val = (old & ~0xff00ull) | (val << 8);
		else if (a.dest_size == 1)
			val = (old & ~0xffull) | val;
		else if (a.dest_size == 2)
			val = (old & ~0xffffull) | val;
		/* 4- and 8-byte destinations: the whole register (a 32-bit write clears bits 63:32). */
		vcpu_set_gpr(v, a.reg, val);
	}
	vmwrite(VMCS_GUEST_RIP, rip + a.len);
	uint64_t intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
	if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS))
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(uint64_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS));
	return 0;
}
