/*
 * Test guest D: a virtio-blk driver of its own, run against the virtual disk
 * odv-hv shows in place of the IDE disk it took over (odv-hv command line
 * "disk=ata0-slave"; the disk is build/disk/data.img, one ext4 filesystem
 * labelled "odvdata"). It checks what the guest sees of PCI (IDE controller
 * gone, virtio-blk present, the rest passed through), drives the device the
 * way a virtio 1.x driver does, reads the ext4 superblock, writes and reads
 * back a sector, takes MSI-X interrupts, and then hands the device malformed
 * queues: odv-hv must mark it broken (DEVICE_NEEDS_RESET) and keep running,
 * and the device must work again after a reset.
 */
#include "guest.h"

#define QSIZE 16
#define MSI_VEC_QUEUE 0x51
#define MSI_VEC_CONFIG 0x52
#define LAPIC 0xfee00000ull

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct avail { uint16_t flags, idx, ring[QSIZE], used_event; };
struct used_elem { uint32_t id, len; };
struct used { uint16_t flags, idx; struct used_elem ring[QSIZE]; uint16_t avail_event; };
struct blk_req { uint32_t type, reserved; uint64_t sector; };

static struct desc descs[QSIZE] __attribute__((aligned(4096)));
static struct avail avail __attribute__((aligned(4096)));
static struct used used __attribute__((aligned(4096)));
static struct blk_req req;
static uint8_t data[512] __attribute__((aligned(512)));
static volatile uint8_t status_byte;

static uint16_t bdf;
static uintptr_t bar, common, isr, devcfg, notify;
static uint32_t notify_mult, msix_cap, msix_table;
static uint16_t avail_idx, used_seen;
volatile uint64_t irq_queue, irq_config;

/* ---- interrupt entries: count, EOI, return ---- */
__asm__(".text\n"
	"irq_queue_entry:\n\tpush %rax\n\tlock incq irq_queue(%rip)\n\tjmp irq_eoi\n"
	"irq_config_entry:\n\tpush %rax\n\tlock incq irq_config(%rip)\n"
	"irq_eoi:\n\tmovabs $0xfee000b0, %rax\n\tmovl $0, (%rax)\n\tpop %rax\n\tiretq\n");
extern void irq_queue_entry(void), irq_config_entry(void);

/* ---- PCI configuration space, mechanism #1 ---- */
static uint32_t cfg32(uint16_t f, unsigned off)
{
	g_outl(0xcf8, 0x80000000u | ((uint32_t)f << 8) | (off & 0xfc));
	return g_inl(0xcfc);
}
static void cfg_w32(uint16_t f, unsigned off, uint32_t v)
{
	g_outl(0xcf8, 0x80000000u | ((uint32_t)f << 8) | (off & 0xfc));
	g_outl(0xcfc, v);
}
static uint8_t cfg8(uint16_t f, unsigned off) { return (uint8_t)(cfg32(f, off) >> (8 * (off & 3))); }

/* ---- the BAR, through volatile accesses (plain MOVs, as Linux's readl/writel) ---- */
static uint8_t rd8(uintptr_t a) { return *(volatile uint8_t *)a; }
static uint16_t rd16(uintptr_t a) { return *(volatile uint16_t *)a; }
static uint32_t rd32(uintptr_t a) { return *(volatile uint32_t *)a; }
static void wr8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static void wr16(uintptr_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static void wr32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static void wr64(uintptr_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

enum { DFSEL = 0x00, DF = 0x04, GFSEL = 0x08, GF = 0x0c, CFGMSIX = 0x10, NUMQ = 0x12, STATUS = 0x14,
       QSEL = 0x16, QSZ = 0x18, QMSIX = 0x1a, QEN = 0x1c, QNOFF = 0x1e, QDESC = 0x20, QDRV = 0x28, QDEV = 0x30 };

static bool find_device(void)
{
	bool ide = false, isa = false;
	bdf = 0xffff;
	for (unsigned dev = 0; dev < 32; dev++)
		for (unsigned fn = 0; fn < 8; fn++) {
			uint16_t f = (uint16_t)((dev << 3) | fn);
			uint32_t id = cfg32(f, 0);
			if ((id & 0xffff) == 0xffff)
				continue;
			uint32_t class = cfg32(f, 8) >> 16;
			if (class == 0x0101)
				ide = true;
			if (class == 0x0601)
				isa = true;
			if (id == 0x10421af4)
				bdf = f;
		}
	check(!ide, "no IDE controller in the guest's PCI view", "an IDE function is visible");
	check(isa, "ISA bridge still visible (passed through)", "no function of class 0x0601");
	check(g_inb(0x1f7) == 0xff, "legacy IDE status port reads as floating", "port 0x1f7 = 0x%x", g_inb(0x1f7));
	return check(bdf != 0xffff, "virtio-blk (1af4:1042) found on bus 0", "not found");
}

static void walk_caps(void)
{
	uint32_t b0 = cfg32(bdf, 0x10);
	cfg_w32(bdf, 0x10, 0xffffffffu);
	uint32_t size_mask = cfg32(bdf, 0x10);
	cfg_w32(bdf, 0x10, b0);
	check(size_mask == 0xffff8000u, "BAR0 sizes as 32 KiB memory", "read 0x%x after writing all ones", size_mask);
	bar = b0 & ~0xfu;
	gprintf("virtio-blk at 00:%02x.%x, BAR0 0x%lx\n", bdf >> 3, bdf & 7, (uint64_t)bar);
	cfg_w32(bdf, 4, cfg32(bdf, 4) | 0x6);        /* memory decoding + bus master */
	unsigned found = 0;
	for (unsigned p = cfg8(bdf, 0x34); p && found < 16; p = cfg8(bdf, p + 1), found++) {
		uint8_t id = cfg8(bdf, p);
		if (id == 0x11) {
			msix_cap = p;
			msix_table = cfg32(bdf, p + 4);
		} else if (id == 0x09) {
			uint8_t type = cfg8(bdf, p + 3);
			uintptr_t at = bar + cfg32(bdf, p + 8);
			if (type == 1) common = at;
			if (type == 2) { notify = at; notify_mult = cfg32(bdf, p + 16); }
			if (type == 3) isr = at;
			if (type == 4) devcfg = at;
		}
	}
	check(common && notify && isr && devcfg && msix_cap && (msix_table & 7) == 0,
	      "capabilities: common, notify, isr, device config, MSI-X (table in BAR0)",
	      "common=%lx notify=%lx isr=%lx devcfg=%lx msix=%x", (uint64_t)common, (uint64_t)notify,
	      (uint64_t)isr, (uint64_t)devcfg, msix_cap);
}

static void msix_setup(void)
{
	uint32_t apic_id = rd32(LAPIC + 0x20) >> 24;
	uintptr_t t = bar + (msix_table & ~7u);
	wr32(t + 0, 0xfee00000u | (apic_id << 12)); wr32(t + 4, 0); wr32(t + 8, MSI_VEC_QUEUE); wr32(t + 12, 0);
	wr32(t + 16, 0xfee00000u | (apic_id << 12)); wr32(t + 20, 0); wr32(t + 24, MSI_VEC_CONFIG); wr32(t + 28, 0);
	cfg_w32(bdf, msix_cap, cfg32(bdf, msix_cap) | (0x8000u << 16));   /* MSI-X enable */
}

/* The driver's side of device initialisation (virtio 1.x 3.1.1). Returns the status it ends with. */
static uint8_t driver_init(uint64_t *features)
{
	wr8(common + STATUS, 0);
	wr8(common + STATUS, 1 | 2);
	wr32(common + DFSEL, 1);
	uint64_t f = (uint64_t)rd32(common + DF) << 32;
	wr32(common + DFSEL, 0);
	f |= rd32(common + DF);
	if (features)
		*features = f;
	wr32(common + GFSEL, 0);
	wr32(common + GF, (uint32_t)f & (1u << 9));   /* FLUSH */
	wr32(common + GFSEL, 1);
	wr32(common + GF, 1);                          /* VERSION_1 */
	wr8(common + STATUS, 1 | 2 | 8);
	if (!(rd8(common + STATUS) & 8))
		return rd8(common + STATUS);
	for (unsigned i = 0; i < QSIZE; i++)
		descs[i] = (struct desc){ 0 };
	avail = (struct avail){ 0 };
	used = (struct used){ 0 };
	avail_idx = used_seen = 0;
	wr16(common + QSEL, 0);
	wr16(common + QSZ, QSIZE);
	wr64(common + QDESC, (uint64_t)descs);                 /* one 64-bit store */
	wr32(common + QDRV, (uint32_t)(uint64_t)&avail);       /* two 32-bit stores */
	wr32(common + QDRV + 4, (uint32_t)((uint64_t)&avail >> 32));
	wr64(common + QDEV, (uint64_t)&used);
	wr16(common + QMSIX, 0);
	wr16(common + CFGMSIX, 1);
	wr16(common + QEN, 1);
	wr8(common + STATUS, 1 | 2 | 8 | 4);
	return rd8(common + STATUS);
}

static void kick(uint16_t head)
{
	avail.ring[avail_idx % QSIZE] = head;
	__asm__ volatile("" ::: "memory");
	avail.idx = ++avail_idx;
	__asm__ volatile("" ::: "memory");
	wr16(notify + rd16(common + QNOFF) * notify_mult, 0);
}

/* One request: header, optional 512-byte data buffer (device-writable for reads), status. */
static int blk_rw(uint32_t type, uint64_t sector, bool with_data)
{
	req = (struct blk_req){ type, 0, sector };
	status_byte = 0xee;
	bool dev_writes = type == 0;
	descs[0] = (struct desc){ (uint64_t)&req, sizeof(req), 1, 1 };
	if (with_data) {
		descs[1] = (struct desc){ (uint64_t)data, 512, (uint16_t)(1 | (dev_writes ? 2 : 0)), 2 };
		descs[2] = (struct desc){ (uint64_t)&status_byte, 1, 2, 0 };
	} else {
		descs[0].next = 2;
		descs[2] = (struct desc){ (uint64_t)&status_byte, 1, 2, 0 };
	}
	uint64_t irqs = irq_queue;
	kick(0);
	/* odv-hv completes the request before the notify store returns; the MSI follows. */
	if (used.idx != (uint16_t)(used_seen + 1))
		return -1;
	used_seen++;
	for (int i = 0; i < 100000 && irq_queue == irqs; i++)
		__asm__ volatile("pause");
	if (irq_queue == irqs)
		return -2;
	return status_byte;
}

static bool broken_after(const char *what, struct desc d0, struct desc d1)
{
	uint64_t cfg_irqs = irq_config;
	descs[0] = d0;
	descs[1] = d1;
	kick(0);
	uint8_t st = rd8(common + STATUS);
	for (int i = 0; i < 100000 && irq_config == cfg_irqs; i++)
		__asm__ volatile("pause");
	bool ok = check((st & 0x40) && used.idx == used_seen, what,
			"status 0x%x used.idx %u", st, used.idx);
	check(irq_config > cfg_irqs, "configuration-change interrupt for the breakage", "none");
	return ok;
}

int guest_main(struct odv_tg_info *info)
{
	set_irq_gate(MSI_VEC_QUEUE, irq_queue_entry);
	set_irq_gate(MSI_VEC_CONFIG, irq_config_entry);
	/* The BIOS left the 8259s routing the timer to vector 8: mask them, only MSIs come in. */
	g_outb(0x21, 0xff);
	g_outb(0xa1, 0xff);
	wr32(LAPIC + 0xf0, rd32(LAPIC + 0xf0) | 0x1ff);    /* APIC software-enabled, spurious 0xff */
	wr32(LAPIC + 0x80, 0);                             /* TPR 0 */
	__asm__ volatile("sti");
	if (!find_device())
		return 0;
	walk_caps();
	msix_setup();
	uint64_t features = 0;
	uint8_t st = driver_init(&features);
	check((features >> 32) & 1, "device offers VIRTIO_F_VERSION_1", "features 0x%lx", features);
	check(st == 0xf, "driver init: status ACK|DRIVER|FEATURES_OK|DRIVER_OK", "status 0x%x", st);
	uint64_t cap = rd32(devcfg) | (uint64_t)rd32(devcfg + 4) << 32;
	check(cap == 32 * 16 * 63, "capacity is the IDE disk's (32256 sectors)", "capacity %lu", cap);

	int r = blk_rw(0, 2, true);      /* the ext4 superblock: byte 1024 = sector 2 */
	uint16_t magic = (uint16_t)(data[0x38] | data[0x39] << 8);
	check(r == 0 && magic == 0xef53 && data[0x78] == 'o' && data[0x79] == 'd' && data[0x7a] == 'v',
	      "read sector 2 through virtio-blk: ext4 magic 0xef53, label odvdata",
	      "status %d magic 0x%x label %c%c%c", r, magic, data[0x78], data[0x79], data[0x7a]);
	check(r >= 0, "MSI-X interrupt for the completed request", "result %d", r);
	for (unsigned i = 0; i < 512; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	int w = blk_rw(1, cap - 1, true), fl = blk_rw(4, 0, false);
	for (unsigned i = 0; i < 512; i++)
		data[i] = 0;
	int rb = blk_rw(0, cap - 1, true);
	bool same = true;
	for (unsigned i = 0; i < 512; i++)
		same = same && data[i] == (uint8_t)(i * 7 + 3);
	check(w == 0 && fl == 0 && rb == 0 && same, "write + flush + read back of the last sector",
	      "write %d flush %d read %d same %d", w, fl, rb, same);
	r = blk_rw(0, cap, true);
	check(r == 1 && !(rd8(common + STATUS) & 0x40), "read past the end: IOERR, device still usable",
	      "status %d device status 0x%x", r, rd8(common + STATUS));

	/* Malformed queues: each must break the device, not odv-hv. */
	broken_after("descriptor loop: device marked DEVICE_NEEDS_RESET",
		     (struct desc){ (uint64_t)&req, 16, 1, 1 }, (struct desc){ (uint64_t)data, 512, 1, 0 });
	check(driver_init(NULL) == 0xf, "device usable after reset (loop)", "status 0x%x", rd8(common + STATUS));
	broken_after("buffer beyond guest RAM: device marked DEVICE_NEEDS_RESET",
		     (struct desc){ 0x7fff00000000ull, 16, 1, 1 }, (struct desc){ (uint64_t)&status_byte, 1, 2, 0 });
	check(driver_init(NULL) == 0xf, "device usable after reset (address)", "status 0x%x", rd8(common + STATUS));
	broken_after("buffer inside odv-hv's region: device marked DEVICE_NEEDS_RESET",
		     (struct desc){ info->hv_base + 0x1000, 16, 1, 1 }, (struct desc){ (uint64_t)&status_byte, 1, 2, 0 });
	check(driver_init(NULL) == 0xf, "device usable after reset (odv-hv region)", "status 0x%x", rd8(common + STATUS));
	r = blk_rw(0, 2, true);
	magic = (uint16_t)(data[0x38] | data[0x39] << 8);
	check(r == 0 && magic == 0xef53, "after the resets, reads work again", "status %d magic 0x%x", r, magic);
	gprintf("interrupts: %lu queue, %lu configuration-change\n", irq_queue, irq_config);
	return 0;
}
