/*
 * The modern virtio-pci transport (see virtio_pci.h). Config space carries the
 * four virtio vendor capabilities and an MSI-X capability that point into one
 * memory BAR; the BAR's registers are emulated here. Common-configuration
 * fields are handled as whole fields: an access of any size or alignment
 * reads or merges into the field(s) it covers, so a driver may use 64-bit or
 * two 32-bit accesses for queue addresses, as the spec allows.
 */
#include "virtio_pci.h"

#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11
#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_ISR    3
#define VIRTIO_PCI_CAP_DEVICE 4
#define MSIX_CTRL_ENABLE   0x8000
#define MSIX_CTRL_FUNCMASK 0x4000
#define MSIX_ENTRY_MASKED  1u
#define PCI_CMD_MASTER     BIT(2)

/* Common configuration layout (virtio 1.x 4.1.4.3): offset and width of each field. */
enum {
	CC_DFSELECT = 0x00, CC_DF = 0x04, CC_GFSELECT = 0x08, CC_GF = 0x0c,
	CC_MSIX = 0x10, CC_NUMQ = 0x12, CC_STATUS = 0x14, CC_CFGGEN = 0x15,
	CC_QSELECT = 0x16, CC_QSIZE = 0x18, CC_QMSIX = 0x1a, CC_QENABLE = 0x1c,
	CC_QNOFF = 0x1e, CC_QDESC = 0x20, CC_QAVAIL = 0x28, CC_QUSED = 0x30,
};

static void add_virtio_cap(struct vpci_dev *d, uint8_t type, uint32_t off, uint32_t len, bool notify)
{
	uint8_t body[18] = { 0 };
	unsigned n = notify ? 20 : 16;
	body[0] = (uint8_t)n;          /* cap_len */
	body[1] = type;                /* cfg_type */
	body[2] = 0;                   /* bar */
	for (int i = 0; i < 4; i++) {
		body[6 + i] = (uint8_t)(off >> (8 * i));
		body[10 + i] = (uint8_t)(len >> (8 * i));
		if (notify)
			body[14 + i] = (uint8_t)(VPCI_NOTIFY_MULT >> (8 * i));
	}
	pci_vdev_add_cap(&d->pci, PCI_CAP_ID_VNDR, body, NULL, n);
}

static void add_msix_cap(struct vpci_dev *d)
{
	uint8_t body[10] = { 0 }, wmask[10] = { 0 };
	uint16_t ctrl = VPCI_MSIX_VECTORS - 1;         /* table size - 1 */
	body[0] = (uint8_t)ctrl;
	body[1] = (uint8_t)(ctrl >> 8);
	uint32_t table = VPCI_MSIX_OFF | 0, pba = VPCI_PBA_OFF | 0;   /* BIR 0 */
	for (int i = 0; i < 4; i++) {
		body[2 + i] = (uint8_t)(table >> (8 * i));
		body[6 + i] = (uint8_t)(pba >> (8 * i));
	}
	wmask[1] = (MSIX_CTRL_ENABLE | MSIX_CTRL_FUNCMASK) >> 8;
	d->msix_cap = pci_vdev_add_cap(&d->pci, PCI_CAP_ID_MSIX, body, wmask, 12);
}

static uint16_t msix_ctrl(const struct vpci_dev *d)
{
	return d->msix_cap ? (uint16_t)pci_vdev_read(&d->pci, d->msix_cap + 2, 2) : 0;
}

/* Send vector v now, or leave it pending while it (or the whole function) is masked. */
static void send_vector(struct vpci_dev *d, uint16_t v)
{
	uint16_t ctrl = msix_ctrl(d);
	if (v >= VPCI_MSIX_VECTORS || !(ctrl & MSIX_CTRL_ENABLE))
		return;
	const struct vpci_msix_entry *e = &d->msix[v];
	if ((ctrl & MSIX_CTRL_FUNCMASK) || (e->ctrl & MSIX_ENTRY_MASKED)) {
		d->pba |= BIT(v);
		return;
	}
	d->pba &= ~BIT(v);
	d->interrupts_sent++;
	d->msi(d->msi_ctx, ((uint64_t)e->addr_hi << 32) | e->addr_lo, e->data);
}

/* A mask bit was cleared somewhere: deliver what waited for it. */
static void deliver_pending(struct vpci_dev *d)
{
	for (uint16_t v = 0; v < VPCI_MSIX_VECTORS; v++)
		if (d->pba & BIT(v))
			send_vector(d, v);
}

static void config_written(struct pci_vdev *p, unsigned off, unsigned size)
{
	struct vpci_dev *d = p->owner;
	if (d->msix_cap && off < d->msix_cap + 4 && off + size > d->msix_cap + 2)
		deliver_pending(d);
}

static void reset(struct vpci_dev *d)
{
	d->driver_features = 0;
	d->dfeat_sel = d->drvfeat_sel = 0;
	d->status = 0;
	d->isr = 0;
	d->queue_sel = 0;
	d->msix_config = VIRTIO_MSI_NO_VECTOR;
	for (unsigned q = 0; q < VPCI_MAX_QUEUES; q++) {
		d->vq[q] = (struct virtq){ .size = d->queue_max };
		d->vq_msix[q] = VIRTIO_MSI_NO_VECTOR;
	}
	d->broken = false;
	d->broken_why = NULL;
	if (d->ops->reset)
		d->ops->reset(d);
}

void vpci_init(struct vpci_dev *d, const char *name, uint16_t bdf, uint16_t virtio_id,
	       uint32_t class_code, uint32_t bar_addr, unsigned nr_queues, uint16_t queue_max,
	       uint64_t features, const struct vpci_ops *ops, const struct guest_ram *ram)
{
	struct pci_vdev *p = &d->pci;
	d->name = name;
	d->ops = ops;
	d->ram = ram;
	d->features = features | VIRTIO_F_VERSION_1;
	d->nr_queues = nr_queues > VPCI_MAX_QUEUES ? VPCI_MAX_QUEUES : nr_queues;
	d->queue_max = queue_max;
	d->config_gen = 0;
	d->pba = 0;
	d->interrupts_sent = 0;
	for (unsigned v = 0; v < VPCI_MSIX_VECTORS; v++)
		d->msix[v] = (struct vpci_msix_entry){ .ctrl = MSIX_ENTRY_MASKED };
	/* Revision 1: a modern-only device (virtio 1.x 4.1.2.1). */
	pci_vdev_init(p, bdf, VIRTIO_PCI_VENDOR, (uint16_t)(VIRTIO_PCI_DEVICE_BASE + virtio_id),
		      class_code, 1, VIRTIO_PCI_VENDOR, (uint16_t)(VIRTIO_PCI_DEVICE_BASE + virtio_id));
	pci_vdev_bar(p, 0, false, VPCI_BAR_SIZE, bar_addr);
	/* No INTx: interrupts are MSI-X only, so no pin is claimed (a driver then never waits on one). */
	p->cfg[PCI_INT_PIN] = 0;
	p->owner = d;
	p->written = config_written;
	add_virtio_cap(d, VIRTIO_PCI_CAP_COMMON, VPCI_COMMON_OFF, VPCI_COMMON_LEN, false);
	add_virtio_cap(d, VIRTIO_PCI_CAP_ISR, VPCI_ISR_OFF, 1, false);
	add_virtio_cap(d, VIRTIO_PCI_CAP_DEVICE, VPCI_DEVCFG_OFF, VPCI_DEVCFG_LEN, false);
	add_virtio_cap(d, VIRTIO_PCI_CAP_NOTIFY, VPCI_NOTIFY_OFF, VPCI_NOTIFY_MULT * VPCI_MAX_QUEUES, true);
	add_msix_cap(d);
	reset(d);
}

uint32_t vpci_bar(const struct vpci_dev *d) { return pci_vdev_bar_addr(&d->pci, 0); }

bool vpci_mem_enabled(const struct vpci_dev *d)
{
	return pci_vdev_read(&d->pci, PCI_COMMAND, 2) & PCI_CMD_MEM;
}

bool vpci_live(const struct vpci_dev *d)
{
	return !d->broken && (d->status & VIRTIO_STATUS_DRIVER_OK) &&
	       (pci_vdev_read(&d->pci, PCI_COMMAND, 2) & PCI_CMD_MASTER);
}

void vpci_set_broken(struct vpci_dev *d, unsigned q, const char *why)
{
	if (d->broken)
		return;
	d->broken = true;
	d->broken_why = why;
	d->broken_queue = q;
	/* Tell the driver through a configuration-change interrupt (virtio 1.x 2.1.2). */
	d->isr |= 2;
	d->config_gen++;
	send_vector(d, d->msix_config);
}

void vpci_interrupt(struct vpci_dev *d, unsigned q)
{
	if (q >= d->nr_queues || !virtq_wants_interrupt(&d->vq[q], d->ram))
		return;
	d->isr |= 1;
	send_vector(d, d->vq_msix[q]);
}

void vpci_drain(struct vpci_dev *d, unsigned qi, vpci_serve_fn serve)
{
	struct virtq *q = &d->vq[qi];
	struct virtq_chain c;
	bool any = false;
	/* A queue holds at most size chains; more pops than that mean the guest keeps refilling. */
	for (unsigned i = 0; i < q->size && vpci_live(d); i++) {
		int r = virtq_pop(q, d->ram, &c);
		if (r == 0)
			break;
		if (r < 0) {
			vpci_set_broken(d, qi, virtq_strerror(r));
			break;
		}
		const char *why = "malformed request";
		int64_t written = serve(d, &c, &why);
		if (written < 0) {
			vpci_set_broken(d, qi, why);
			break;
		}
		if (virtq_push(q, d->ram, c.head, (uint32_t)written)) {
			vpci_set_broken(d, qi, "used ring no longer in guest memory");
			break;
		}
		any = true;
	}
	if (any)
		vpci_interrupt(d, qi);
}

static struct virtq *selected(struct vpci_dev *d)
{
	return d->queue_sel < d->nr_queues ? &d->vq[d->queue_sel] : NULL;
}

/* The common-configuration field that holds byte `off`: its start, width and value. */
static bool common_field(struct vpci_dev *d, unsigned off, unsigned *start, unsigned *width, uint64_t *val)
{
	static const uint8_t starts[] = { CC_DFSELECT, CC_DF, CC_GFSELECT, CC_GF, CC_MSIX, CC_NUMQ,
					  CC_STATUS, CC_CFGGEN, CC_QSELECT, CC_QSIZE, CC_QMSIX,
					  CC_QENABLE, CC_QNOFF, CC_QDESC, CC_QAVAIL, CC_QUSED };
	static const uint8_t widths[] = { 4, 4, 4, 4, 2, 2, 1, 1, 2, 2, 2, 2, 2, 8, 8, 8 };
	unsigned i;
	for (i = 0; i < ARRAY_SIZE(starts); i++)
		if (off >= starts[i] && off < starts[i] + widths[i])
			break;
	if (i == ARRAY_SIZE(starts))
		return false;
	*start = starts[i];
	*width = widths[i];
	struct virtq *q = selected(d);
	unsigned qi = d->queue_sel;
	switch (*start) {
	case CC_DFSELECT: *val = d->dfeat_sel; break;
	case CC_DF:       *val = d->dfeat_sel < 2 ? (uint32_t)(d->features >> (32 * d->dfeat_sel)) : 0; break;
	case CC_GFSELECT: *val = d->drvfeat_sel; break;
	case CC_GF:       *val = d->drvfeat_sel < 2 ? (uint32_t)(d->driver_features >> (32 * d->drvfeat_sel)) : 0; break;
	case CC_MSIX:     *val = d->msix_config; break;
	case CC_NUMQ:     *val = d->nr_queues; break;
	case CC_STATUS:   *val = d->status | (d->broken ? VIRTIO_STATUS_NEEDS_RESET : 0); break;
	case CC_CFGGEN:   *val = d->config_gen; break;
	case CC_QSELECT:  *val = d->queue_sel; break;
	case CC_QSIZE:    *val = q ? q->size : 0; break;
	case CC_QMSIX:    *val = q ? d->vq_msix[qi] : VIRTIO_MSI_NO_VECTOR; break;
	case CC_QENABLE:  *val = q ? q->enabled : 0; break;
	case CC_QNOFF:    *val = q ? qi : 0; break;
	case CC_QDESC:    *val = q ? q->desc : 0; break;
	case CC_QAVAIL:   *val = q ? q->avail : 0; break;
	case CC_QUSED:    *val = q ? q->used : 0; break;
	}
	return true;
}

static void set_status(struct vpci_dev *d, uint8_t val)
{
	if (val == 0) {
		reset(d);
		return;
	}
	/* FEATURES_OK sticks only for a feature set the device offered, with VERSION_1. */
	if ((val & VIRTIO_STATUS_FEATURES_OK) && !(d->status & VIRTIO_STATUS_FEATURES_OK) &&
	    ((d->driver_features & ~d->features) || !(d->driver_features & VIRTIO_F_VERSION_1)))
		val &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	d->status = val & (uint8_t)~VIRTIO_STATUS_NEEDS_RESET;
}

static void enable_queue(struct vpci_dev *d, struct virtq *q, unsigned qi)
{
	q->last_avail = 0;
	q->used_idx = 0;
	int err = virtq_check_layout(q, d->ram);
	if (err) {
		vpci_set_broken(d, qi, virtq_strerror(err));
		return;
	}
	q->enabled = true;
}

static void common_set(struct vpci_dev *d, unsigned start, uint64_t val)
{
	struct virtq *q = selected(d);
	/* Queue layout is frozen once the queue is enabled (virtio 1.x 4.1.4.3.2). */
	bool q_writable = q && !q->enabled;
	switch (start) {
	case CC_DFSELECT: d->dfeat_sel = (uint32_t)val; break;
	case CC_GFSELECT: d->drvfeat_sel = (uint32_t)val; break;
	case CC_GF:
		if (d->drvfeat_sel < 2 && !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned sh = 32 * d->drvfeat_sel;
			d->driver_features = (d->driver_features & ~(0xffffffffull << sh)) | ((val & 0xffffffffull) << sh);
		}
		break;
	case CC_MSIX:
		d->msix_config = val < VPCI_MSIX_VECTORS ? (uint16_t)val : VIRTIO_MSI_NO_VECTOR;
		break;
	case CC_STATUS: set_status(d, (uint8_t)val); break;
	case CC_QSELECT: d->queue_sel = (uint16_t)val; break;
	case CC_QSIZE:
		/* A smaller power of two is allowed; anything else is kept and refused at enable. */
		if (q_writable)
			q->size = val > d->queue_max ? 0 : (uint16_t)val;
		break;
	case CC_QMSIX:
		if (q)
			d->vq_msix[d->queue_sel] = val < VPCI_MSIX_VECTORS ? (uint16_t)val : VIRTIO_MSI_NO_VECTOR;
		break;
	case CC_QENABLE:
		if (q_writable && val == 1)
			enable_queue(d, q, d->queue_sel);
		break;
	case CC_QDESC:  if (q_writable) q->desc = val; break;
	case CC_QAVAIL: if (q_writable) q->avail = val; break;
	case CC_QUSED:  if (q_writable) q->used = val; break;
	default: break;          /* read-only fields */
	}
}

static uint64_t common_read(struct vpci_dev *d, unsigned off, unsigned size)
{
	uint64_t out = 0;
	for (unsigned i = 0; i < size; i++) {
		unsigned start, width;
		uint64_t val;
		if (common_field(d, off + i, &start, &width, &val))
			out |= ((val >> (8 * (off + i - start))) & 0xff) << (8 * i);
	}
	return out;
}

static void common_write(struct vpci_dev *d, unsigned off, unsigned size, uint64_t val)
{
	unsigned i = 0;
	while (i < size) {
		unsigned start, width;
		uint64_t cur;
		if (!common_field(d, off + i, &start, &width, &cur)) {
			i++;
			continue;
		}
		/* Merge the bytes of this access that fall into the field, then store the field once. */
		while (i < size && off + i < start + width) {
			unsigned sh = 8 * (off + i - start);
			cur = (cur & ~(0xffull << sh)) | (((val >> (8 * i)) & 0xff) << sh);
			i++;
		}
		common_set(d, start, cur);
	}
}

static uint32_t msix_read(struct vpci_dev *d, uint32_t off)
{
	unsigned v = off / 16, reg = (off % 16) / 4;
	if (v >= VPCI_MSIX_VECTORS)
		return 0;
	const struct vpci_msix_entry *e = &d->msix[v];
	return reg == 0 ? e->addr_lo : reg == 1 ? e->addr_hi : reg == 2 ? e->data : e->ctrl;
}

static void msix_write(struct vpci_dev *d, uint32_t off, uint32_t val)
{
	unsigned v = off / 16, reg = (off % 16) / 4;
	if (v >= VPCI_MSIX_VECTORS)
		return;
	struct vpci_msix_entry *e = &d->msix[v];
	switch (reg) {
	case 0: e->addr_lo = val & ~3u; break;
	case 1: e->addr_hi = val; break;
	case 2: e->data = val; break;
	case 3:
		e->ctrl = val & MSIX_ENTRY_MASKED;
		if (!(e->ctrl & MSIX_ENTRY_MASKED) && (d->pba & BIT(v)))
			send_vector(d, (uint16_t)v);
		break;
	}
}

uint64_t vpci_mmio_read(struct vpci_dev *d, uint32_t off, unsigned size)
{
	if (off < VPCI_COMMON_OFF + VPCI_COMMON_LEN)     /* the common config is at offset 0 */
		return common_read(d, off - VPCI_COMMON_OFF, size);
	if (off == VPCI_ISR_OFF) {
		uint8_t isr = d->isr;    /* reading acknowledges (virtio 1.x 4.1.4.5) */
		d->isr = 0;
		return isr;
	}
	if (off >= VPCI_DEVCFG_OFF && off < VPCI_DEVCFG_OFF + VPCI_DEVCFG_LEN) {
		uint64_t v = 0;
		for (unsigned done = 0; done < size; done += 4) {
			unsigned n = size - done < 4 ? size - done : 4;
			v |= (uint64_t)d->ops->cfg_read(d, off - VPCI_DEVCFG_OFF + done, n) << (8 * done);
		}
		return v;
	}
	if (off >= VPCI_MSIX_OFF && off < VPCI_MSIX_OFF + 16 * VPCI_MSIX_VECTORS) {
		uint32_t o = off - VPCI_MSIX_OFF;
		uint64_t v = msix_read(d, o & ~3u) >> (8 * (o & 3));
		if (size == 8)
			v |= (uint64_t)msix_read(d, (o & ~3u) + 4) << 32;
		return size >= 4 ? v : v & ((1ull << (8 * size)) - 1);
	}
	if (off >= VPCI_PBA_OFF && off < VPCI_PBA_OFF + 8)
		return (d->pba >> (8 * (off - VPCI_PBA_OFF))) & (size == 8 ? ~0ull : (1ull << (8 * size)) - 1);
	return 0;     /* unused parts of the BAR read as zero */
}

void vpci_mmio_write(struct vpci_dev *d, uint32_t off, unsigned size, uint64_t val)
{
	if (off < VPCI_COMMON_OFF + VPCI_COMMON_LEN) {     /* the common config is at offset 0 */
		common_write(d, off - VPCI_COMMON_OFF, size, val);
	} else if (off >= VPCI_NOTIFY_OFF && off < VPCI_NOTIFY_OFF + VPCI_NOTIFY_MULT * VPCI_MAX_QUEUES) {
		/* Without VIRTIO_F_NOTIFICATION_DATA the value is the queue index; the address says the same. */
		unsigned q = (off - VPCI_NOTIFY_OFF) / VPCI_NOTIFY_MULT;
		if (q < d->nr_queues && d->vq[q].enabled && vpci_live(d))
			d->ops->notify(d, q);
	} else if (off >= VPCI_MSIX_OFF && off < VPCI_MSIX_OFF + 16 * VPCI_MSIX_VECTORS) {
		/* The MSI-X table takes dword (or qword) accesses only (PCI 3.0 6.8.2). */
		uint32_t o = off - VPCI_MSIX_OFF;
		if ((o & 3) == 0 && size >= 4) {
			msix_write(d, o, (uint32_t)val);
			if (size == 8)
				msix_write(d, o + 4, (uint32_t)(val >> 32));
		}
	}
	/* ISR, device config (read-only for the devices odv-hv models) and the PBA ignore writes. */
}
