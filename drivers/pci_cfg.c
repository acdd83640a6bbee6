/*
 * PCI configuration mechanism #1 as the guest sees it (PCI Local Bus spec
 * 3.0, 3.2.2.3.2): the 0xCF8 address latch, the 0xCFC data window, and the
 * type-0 header of odv-hv's own virtual functions. Hidden functions read as
 * absent; everything else is passed through to pc->hw unchanged.
 */
#include "le.h"
#include "pci_cfg.h"

#define CFG_ADDR      0xcf8
#define CFG_DATA      0xcfc
#define LATCH_ENABLE  0x80000000u
#define LATCH_DECODE  0x80fffffcu   /* enable, bus, device, function, register; bits 27:24 ignored */
#define NR_BARS       6
#define CAP_FIRST     0x40
#define CAP_LIMIT     0x100
#define CMD_WRITABLE  (PCI_CMD_IO | PCI_CMD_MEM | BIT(2) | BIT(10))
/* Status bits the spec defines as write-1-to-clear: data parity, signalled/received aborts, SERR, parity. */
#define STATUS_W1C    (BIT(8) | BIT(11) | BIT(12) | BIT(13) | BIT(14) | BIT(15))

/* What a read nobody answers returns; a malformed size gets the widest. */
static uint32_t ones(unsigned size)
{
	return size == 1 ? 0xffu : size == 2 ? 0xffffu : 0xffffffffu;
}

static bool size_ok(unsigned size)
{
	return size == 1 || size == 2 || size == 4;
}


static void zero(void *p, size_t n)
{
	uint8_t *b = p;
	while (n--)
		*b++ = 0;
}

/* ---- one virtual function's config space ---- */

void pci_vdev_init(struct pci_vdev *d, uint16_t bdf, uint16_t vendor, uint16_t device,
		   uint32_t class_code, uint8_t revision, uint16_t subsys_vendor, uint16_t subsys_id)
{
	zero(d, sizeof(*d));
	d->bdf = bdf;
	d->cap_end = CAP_FIRST;
	le_put(d->cfg + PCI_VENDOR_ID, 2, vendor);
	le_put(d->cfg + PCI_DEVICE_ID, 2, device);
	d->cfg[PCI_REVISION] = revision;
	le_put(d->cfg + PCI_CLASS_PROG, 3, class_code);
	d->cfg[PCI_HEADER_TYPE] = 0x00;      /* type 0, bit 7 clear: single function */
	le_put(d->cfg + PCI_SUBSYS_VID, 2, subsys_vendor);
	le_put(d->cfg + PCI_SUBSYS_ID, 2, subsys_id);
	d->cfg[PCI_INT_PIN] = 1;             /* INTA# */
	le_put(d->wmask + PCI_COMMAND, 2, CMD_WRITABLE);
	le_put(d->w1c + PCI_STATUS, 2, STATUS_W1C);
	d->wmask[PCI_INT_LINE] = 0xff;       /* scratch for the guest's IRQ routing */
}

static bool pow2(uint32_t x)
{
	return x && !(x & (x - 1));
}

void pci_vdev_bar(struct pci_vdev *d, unsigned bar, bool io, uint32_t size, uint32_t addr)
{
	/* A size the BAR cannot express leaves it unused (reads 0, not writable). */
	if (bar >= NR_BARS || !pow2(size) || size < (io ? 4u : 16u))
		return;
	unsigned off = PCI_BAR0 + 4 * bar;
	uint32_t mask = ~(size - 1);
	/* The low bits below the size are hardwired: 0 address bits plus the type bits. */
	le_put(d->cfg + off, 4, (addr & mask) | (io ? 1u : 0u));
	le_put(d->wmask + off, 4, mask);
}

uint32_t pci_vdev_bar_addr(const struct pci_vdev *d, unsigned bar)
{
	if (bar >= NR_BARS)
		return 0;
	uint32_t v = (uint32_t)le_get(d->cfg + PCI_BAR0 + 4 * bar, 4);
	return v & ((v & 1) ? ~3u : ~0xfu);
}

/* The offset of the last capability in the list, 0 if none. */
static unsigned last_cap(const struct pci_vdev *d)
{
	unsigned at = d->cfg[PCI_CAP_PTR] & 0xfc, last = 0;
	/* Bounded: at most (0x100 - 0x40) / 4 capabilities fit, even if an owner broke the chain. */
	for (unsigned n = 0; at >= CAP_FIRST && n < (CAP_LIMIT - CAP_FIRST) / 4; n++) {
		last = at;
		at = d->cfg[at + 1] & 0xfc;
	}
	return last;
}

unsigned pci_vdev_add_cap(struct pci_vdev *d, uint8_t id, const uint8_t *body,
			  const uint8_t *wmask_body, unsigned len)
{
	/* Every capability starts dword aligned (the pointers' low two bits are reserved). */
	unsigned off = (d->cap_end < CAP_FIRST ? CAP_FIRST : d->cap_end + 3u) & ~3u;
	if (len < 2 || off >= CAP_LIMIT || len > CAP_LIMIT - off)
		return 0;
	d->cfg[off] = id;
	d->cfg[off + 1] = 0;                 /* end of the list, for now */
	for (unsigned i = 2; i < len; i++) {
		d->cfg[off + i] = body ? body[i - 2] : 0;
		d->wmask[off + i] = wmask_body ? wmask_body[i - 2] : 0;
	}
	unsigned prev = last_cap(d);
	if (prev)
		d->cfg[prev + 1] = (uint8_t)off;
	else
		d->cfg[PCI_CAP_PTR] = (uint8_t)off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAPS;
	d->cap_end = (uint16_t)(off + len);
	return off;
}

static bool vdev_access_ok(unsigned off, unsigned size)
{
	return size_ok(size) && off < 256 && size <= 256 - off;
}

uint32_t pci_vdev_read(const struct pci_vdev *d, unsigned off, unsigned size)
{
	if (!vdev_access_ok(off, size))
		return ones(size);
	return (uint32_t)le_get(d->cfg + off, size);
}

/* One byte: wmask bits take the new value, w1c bits clear where 1 was written, the rest stay. */
static uint8_t merge(uint8_t old, uint8_t val, uint8_t wmask, uint8_t w1c)
{
	uint8_t plain = wmask & (uint8_t)~w1c;
	uint8_t b = (old & (uint8_t)~plain) | (val & plain);
	return b & (uint8_t)~(val & w1c);
}

void pci_vdev_write(struct pci_vdev *d, unsigned off, unsigned size, uint32_t val)
{
	if (!vdev_access_ok(off, size))
		return;
	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;
		d->cfg[o] = merge(d->cfg[o], (uint8_t)(val >> (8 * i)), d->wmask[o], d->w1c[o]);
	}
	if (d->written)
		d->written(d, off, size);
}

/* ---- routing of the guest's accesses ---- */

void pci_cfg_init(struct pci_cfg *pc, const struct pci_hw *hw)
{
	zero(pc, sizeof(*pc));
	if (hw)
		pc->hw = *hw;
}

static bool same_device(uint16_t a, uint16_t b)
{
	return (a >> 3) == (b >> 3);
}

static struct pci_vdev *find_vdev(const struct pci_cfg *pc, uint16_t bdf)
{
	for (unsigned i = 0; i < pc->nr_vdev; i++)
		if (pc->vdev[i]->bdf == bdf)
			return pc->vdev[i];
	return NULL;
}

static bool is_hidden(const struct pci_cfg *pc, uint16_t bdf)
{
	for (unsigned i = 0; i < pc->nr_hidden; i++)
		if (pc->hidden[i] == bdf)
			return true;
	return false;
}

int pci_cfg_add_vdev(struct pci_cfg *pc, struct pci_vdev *d)
{
	/* Only bus 0: emulating a device behind a real bridge would need the bridge's windows too. */
	if (!d || (d->bdf >> 8) != 0 || pc->nr_vdev >= PCI_MAX_VDEVS || find_vdev(pc, d->bdf))
		return -1;
	pc->vdev[pc->nr_vdev++] = d;
	return 0;
}

int pci_cfg_hide(struct pci_cfg *pc, uint16_t bdf)
{
	if (is_hidden(pc, bdf))
		return 0;
	if (pc->nr_hidden >= PCI_MAX_HIDDEN)
		return -1;
	pc->hidden[pc->nr_hidden++] = bdf;
	return 0;
}

enum pci_fn_kind pci_cfg_kind(const struct pci_cfg *pc, uint16_t bdf, struct pci_vdev **vd)
{
	struct pci_vdev *d = find_vdev(pc, bdf);
	if (vd)
		*vd = d;
	if (d)
		return PCI_FN_VIRTUAL;
	return is_hidden(pc, bdf) ? PCI_FN_HIDDEN : PCI_FN_PASSTHROUGH;
}

/* A data-port access the latch enables and that stays inside the selected dword. */
static bool data_target(const struct pci_cfg *pc, uint16_t port, unsigned size,
			uint16_t *bdf, unsigned *off)
{
	uint32_t a = pc->cf8 & LATCH_DECODE;
	unsigned lane = port & 3;
	if (!size_ok(size) || lane + size > 4 || !(a & LATCH_ENABLE))
		return false;
	*bdf = (uint16_t)(a >> 8);
	*off = (a & 0xfc) + lane;
	return true;
}

static uint32_t data_in(struct pci_cfg *pc, uint16_t port, unsigned size)
{
	uint16_t bdf;
	unsigned off;
	struct pci_vdev *d;
	if (!data_target(pc, port, size, &bdf, &off))
		return ones(size);
	switch (pci_cfg_kind(pc, bdf, &d)) {
	case PCI_FN_VIRTUAL:
		return pci_vdev_read(d, off, size);
	case PCI_FN_PASSTHROUGH:
		if (pc->hw.read)
			return pc->hw.read(pc->hw.ctx, bdf, off, size) & ones(size);
		return ones(size);
	default:
		return ones(size);        /* hidden: as if no device answered */
	}
}

static void data_out(struct pci_cfg *pc, uint16_t port, unsigned size, uint32_t val)
{
	uint16_t bdf;
	unsigned off;
	struct pci_vdev *d;
	if (!data_target(pc, port, size, &bdf, &off))
		return;
	val &= ones(size);
	switch (pci_cfg_kind(pc, bdf, &d)) {
	case PCI_FN_VIRTUAL:
		pci_vdev_write(d, off, size, val);
		break;
	case PCI_FN_PASSTHROUGH:
		if (pc->hw.write)
			pc->hw.write(pc->hw.ctx, bdf, off, size, val);
		break;
	default:
		break;                    /* hidden: the guest must not reach the device */
	}
}

static bool is_latch(uint16_t port, unsigned size)
{
	return port == CFG_ADDR && size == 4;
}

static bool is_addr_range(uint16_t port)
{
	return port >= CFG_ADDR && port < CFG_DATA;
}

static bool is_data_range(uint16_t port)
{
	return port >= CFG_DATA && port <= CFG_DATA + 3;
}

/*
 * An access that starts below 0xCFC and runs into it (a word at 0xCFB, a
 * dword at 0xCF9..0xCFB): on the bus its high bytes would be a data-port
 * access through the hardware's latch, which holds odv-hv's address, not the
 * guest's. No device decodes it as one access, so nothing answers.
 */
static bool crosses_into_data(uint16_t port, unsigned size)
{
	return port < CFG_DATA && port + size > CFG_DATA;
}

uint32_t pci_cfg_port_in(struct pci_cfg *pc, uint16_t port, unsigned size,
			 uint32_t (*raw_in)(uint16_t port, unsigned size))
{
	if (is_latch(port, size))
		return pc->cf8;
	if (crosses_into_data(port, size))
		return ones(size);
	/* Only a dword at 0xCF8 is the latch; the other bytes are chipset registers (reset control). */
	if (is_addr_range(port))
		return raw_in ? raw_in(port, size) : ones(size);
	if (is_data_range(port))
		return data_in(pc, port, size);
	return ones(size);
}

void pci_cfg_port_out(struct pci_cfg *pc, uint16_t port, unsigned size, uint32_t val,
		      void (*raw_out)(uint16_t port, unsigned size, uint32_t val))
{
	if (is_latch(port, size)) {
		pc->cf8 = val;
		return;
	}
	if (crosses_into_data(port, size))
		return;
	if (is_addr_range(port)) {
		if (raw_out)
			raw_out(port, size, val);
		return;
	}
	if (is_data_range(port))
		data_out(pc, port, size, val);
}

int pci_cfg_free_slot(const struct pci_cfg *pc)
{
	if (!pc->hw.read)
		return -1;                /* cannot tell an empty slot from a populated one */
	for (unsigned dev = 1; dev < 32; dev++) {
		uint16_t fn0 = PCI_BDF(0, dev, 0);
		bool taken = false;
		for (unsigned i = 0; i < pc->nr_hidden; i++)
			taken |= same_device(pc->hidden[i], fn0);
		for (unsigned i = 0; i < pc->nr_vdev; i++)
			taken |= same_device(pc->vdev[i]->bdf, fn0);
		if (!taken && (pc->hw.read(pc->hw.ctx, fn0, PCI_VENDOR_ID, 2) & 0xffff) == 0xffff)
			return (int)dev;
	}
	return -1;
}

const char *pci_bdf_name(uint16_t bdf, char out[PCI_BDF_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned bus = bdf >> 8, dev = (bdf >> 3) & 31, fn = bdf & 7;
	out[0] = hex[bus >> 4];
	out[1] = hex[bus & 15];
	out[2] = ':';
	out[3] = hex[dev >> 4];
	out[4] = hex[dev & 15];
	out[5] = '.';
	out[6] = hex[fn];
	out[7] = 0;
	return out;
}
