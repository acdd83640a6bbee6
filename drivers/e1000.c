/*
 * Polled driver for the Intel 8254x gigabit controller (82540EM, 8086:100e,
 * as Bochs and QEMU emulate it), written from the 8254x Software Developer's
 * Manual: legacy descriptors, one 2 KiB buffer per descriptor, every
 * interrupt masked. odv-hv runs it with interrupts off, so each wait polls a
 * bounded number of times and errors come back as -1 with d->last_error.
 */
#include "e1000.h"

#define RESET_POLLS 10000u          /* CTRL reads 10 us apart: 100 ms for reset + EEPROM load */
#define EERD_POLLS  10000u          /* EERD reads 10 us apart, per word */
#define TX_POLLS    200000u         /* descriptor reads 1 us apart: 200 ms, generous for Bochs */

/* Registers, offsets into BAR0. */
#define REG_CTRL    0x0000
#define REG_STATUS  0x0008
#define REG_EERD    0x0014
#define REG_ICR     0x00c0
#define REG_IMC     0x00d8
#define REG_RCTL    0x0100
#define REG_TCTL    0x0400
#define REG_TIPG    0x0410
#define REG_RDBAL   0x2800
#define REG_RDBAH   0x2804
#define REG_RDLEN   0x2808
#define REG_RDH     0x2810
#define REG_RDT     0x2818
#define REG_TDBAL   0x3800
#define REG_TDBAH   0x3804
#define REG_TDLEN   0x3808
#define REG_TDH     0x3810
#define REG_TDT     0x3818
#define REG_RXCSUM  0x5000
#define REG_MTA     0x5200          /* 128 dwords */
#define REG_RAL(n)  (0x5400 + 8 * (n))
#define REG_RAH(n)  (0x5404 + 8 * (n))

#define MTA_DWORDS  128
#define RA_ENTRIES  16

#define CTRL_ASDE   (1u << 5)
#define CTRL_SLU    (1u << 6)
#define CTRL_RST    (1u << 26)
#define STATUS_LU   (1u << 1)
#define EERD_START  1u
#define EERD_DONE   (1u << 4)
#define RAH_AV      (1u << 31)

#define RCTL_EN     (1u << 1)
#define RCTL_BAM    (1u << 15)      /* BSIZE (17:16) = 00 with BSEX clear: 2048-byte buffers */
#define RCTL_SECRC  (1u << 26)
#define TCTL_EN     (1u << 1)
#define TCTL_PSP    (1u << 3)
#define TCTL_CT     (0x0fu << 4)    /* collision threshold, the SDM's recommended 15 */
#define TCTL_COLD   (0x40u << 12)   /* collision distance for full duplex */
#define TIPG_IEEE   (10u | 8u << 10 | 6u << 20)   /* IPGT, IPGR1, IPGR2 of 802.3 */

#define RXD_DD      0x01
#define RXD_EOP     0x02
#define TXD_EOP     0x01
#define TXD_IFCS    0x02
#define TXD_RS      0x08
#define TXD_DD      0x01

#define BUFS_PER_PAGE (PAGE_SIZE / E1000_BUF_SIZE)

/*
 * Legacy descriptors. Their fields are little-endian, like x86, so they are
 * used as they are; the layout is the natural one, no packing needed.
 */
struct rx_desc {
	uint64_t addr;
	uint16_t length;
	uint16_t csum;
	uint8_t status;
	uint8_t errors;
	uint16_t special;
};

struct tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso;
	uint8_t cmd;
	uint8_t sta;
	uint8_t css;
	uint16_t special;
};

_Static_assert(sizeof(struct rx_desc) == 16 && sizeof(struct tx_desc) == 16, "16-byte descriptors");
_Static_assert(E1000_RX_DESCS % 8 == 0 && E1000_TX_DESCS % 8 == 0, "ring length: 128-byte multiple");
_Static_assert(E1000_RX_DESCS % BUFS_PER_PAGE == 0 && E1000_TX_DESCS % BUFS_PER_PAGE == 0,
	       "buffers come in whole pages");

/*
 * x86 keeps loads in order with loads and stores with stores (TSO), and the
 * device's DMA snoops the caches: only the compiler must be kept from moving
 * descriptor and buffer accesses across the points where ownership changes.
 */
#define barrier() __asm__ volatile("" ::: "memory")

/* ---- helpers ---- */

static uint32_t rd(const struct e1000_dev *d, uint32_t reg)
{
	return d->env.rd32(d->env.ctx, reg);
}

static void wr(const struct e1000_dev *d, uint32_t reg, uint32_t val)
{
	d->env.wr32(d->env.ctx, reg, val);
}

static void delay(const struct e1000_dev *d, unsigned us)
{
	d->env.delay_us(d->env.ctx, us);
}

static int fail(struct e1000_dev *d, const char *why)
{
	d->last_error = why;
	return -1;
}

static volatile struct rx_desc *rx_desc(const struct e1000_dev *d, unsigned i)
{
	return (volatile struct rx_desc *)d->rx_ring + i;
}

static volatile struct tx_desc *tx_desc(const struct e1000_dev *d, unsigned i)
{
	return (volatile struct tx_desc *)d->tx_ring + i;
}

/* Byte loops through volatile: no libc, and the compiler cannot turn them into memcpy calls. */
static void copy_to_dma(volatile uint8_t *dst, const uint8_t *src, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		dst[i] = src[i];
}

static void copy_from_dma(uint8_t *dst, const volatile uint8_t *src, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		dst[i] = src[i];
}

/* ---- reset ---- */

/*
 * Mask interrupts, stop both DMA engines and reset the device; wait
 * (bounded) for CTRL.RST to clear. Interrupts are masked again afterwards and
 * any cause left pending is read away: the IRQ line may be the guest's.
 */
static int quiesce(struct e1000_dev *d)
{
	wr(d, REG_IMC, ~0u);
	wr(d, REG_RCTL, 0);
	wr(d, REG_TCTL, 0);
	wr(d, REG_CTRL, rd(d, REG_CTRL) | CTRL_RST);
	for (unsigned i = 0; i < RESET_POLLS; i++) {
		delay(d, 10);               /* the SDM asks for a pause before the device is touched */
		if (!(rd(d, REG_CTRL) & CTRL_RST)) {
			wr(d, REG_IMC, ~0u);
			(void)rd(d, REG_ICR);
			return 0;
		}
	}
	return fail(d, "reset timeout: CTRL.RST never cleared");
}

/* ---- MAC address ---- */

static int eeprom_word(struct e1000_dev *d, unsigned addr, uint16_t *val)
{
	wr(d, REG_EERD, addr << 8 | EERD_START);
	for (unsigned i = 0; i < EERD_POLLS; i++) {
		uint32_t v = rd(d, REG_EERD);
		if (v & EERD_DONE) {
			*val = (uint16_t)(v >> 16);
			return 0;
		}
		delay(d, 10);
	}
	return fail(d, "EEPROM read timeout (EERD.DONE never set)");
}

/* Words 0-2 of the EEPROM hold the MAC, first byte in the low half of word 0. */
static int mac_from_eeprom(struct e1000_dev *d)
{
	for (unsigned w = 0; w < 3; w++) {
		uint16_t v;
		if (eeprom_word(d, w, &v))
			return -1;
		d->mac[2 * w] = (uint8_t)v;
		d->mac[2 * w + 1] = (uint8_t)(v >> 8);
	}
	return 0;
}

/*
 * Reset normally loads RAL0/RAH0 from the EEPROM; if it did not (AV clear),
 * read the EEPROM and program the filter ourselves. Entries 1-15 may still
 * hold addresses a previous driver added, so they are invalidated.
 */
static int setup_mac(struct e1000_dev *d)
{
	uint32_t ral = rd(d, REG_RAL(0)), rah = rd(d, REG_RAH(0));
	if (rah & RAH_AV) {
		for (unsigned i = 0; i < 4; i++)
			d->mac[i] = (uint8_t)(ral >> 8 * i);
		d->mac[4] = (uint8_t)rah;
		d->mac[5] = (uint8_t)(rah >> 8);
	} else if (mac_from_eeprom(d)) {
		return -1;
	}
	const uint8_t *m = d->mac;
	if ((m[0] & 1) || (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0)
		return fail(d, "no valid MAC address (zero or multicast)");
	wr(d, REG_RAL(0), (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24);
	wr(d, REG_RAH(0), (uint32_t)m[4] | (uint32_t)m[5] << 8 | RAH_AV);
	for (unsigned n = 1; n < RA_ENTRIES; n++) {
		wr(d, REG_RAH(n), 0);
		wr(d, REG_RAL(n), 0);
	}
	return 0;
}

/* ---- DMA memory ---- */

static void *dma_page(struct e1000_dev *d, uint64_t *phys)
{
	void *p = d->env.dma_alloc(d->env.ctx, PAGE_SIZE, phys);
	if (!p) {
		fail(d, "out of DMA memory");
		return NULL;
	}
	if (*phys & (PAGE_SIZE - 1)) {
		fail(d, "DMA memory not 4 KiB aligned");
		return NULL;
	}
	return p;
}

/* n buffers, two to a page; the pages need not be contiguous. */
static int alloc_bufs(struct e1000_dev *d, uint8_t **buf, uint64_t *phys, unsigned n)
{
	for (unsigned i = 0; i < n; i += BUFS_PER_PAGE) {
		uint64_t pa;
		uint8_t *p = dma_page(d, &pa);
		if (!p)
			return -1;
		for (unsigned j = 0; j < BUFS_PER_PAGE; j++) {
			buf[i + j] = p + j * E1000_BUF_SIZE;
			phys[i + j] = pa + j * E1000_BUF_SIZE;
		}
	}
	return 0;
}

/*
 * Rings (a page each: 32 descriptors take 512 bytes) and buffers. A later
 * init of the same device with the same allocator reuses them: odv-hv's
 * pool never takes pages back.
 */
static bool can_reuse(const struct e1000_dev *d, const struct e1000_env *env)
{
	return d->rx_ring && d->tx_ring && d->env.dma_alloc == env->dma_alloc && d->env.ctx == env->ctx;
}

static int alloc_dma(struct e1000_dev *d)
{
	d->rx_ring = d->tx_ring = NULL;    /* no half-set-up memory is reused after a failure */
	void *rx = dma_page(d, &d->rx_ring_phys);
	void *tx = rx ? dma_page(d, &d->tx_ring_phys) : NULL;
	if (!tx || alloc_bufs(d, d->rx_buf, d->rx_buf_phys, E1000_RX_DESCS) ||
	    alloc_bufs(d, d->tx_buf, d->tx_buf_phys, E1000_TX_DESCS))
		return -1;
	d->rx_ring = rx;
	d->tx_ring = tx;
	return 0;
}

/* ---- rings ---- */

/*
 * Every descriptor points at its buffer. RDT = N - 1: the device may fill all
 * but one, since head == tail means "nothing for the device". CRC stripped,
 * broadcast accepted, 2 KiB buffers; no checksum offload, so the errors byte
 * only ever reports frames that are really bad.
 */
static void setup_rx(struct e1000_dev *d)
{
	for (unsigned i = 0; i < E1000_RX_DESCS; i++) {
		volatile struct rx_desc *r = rx_desc(d, i);
		r->addr = d->rx_buf_phys[i];
		r->length = 0;
		r->csum = 0;
		r->status = 0;
		r->errors = 0;
		r->special = 0;
	}
	barrier();
	wr(d, REG_RDBAL, (uint32_t)d->rx_ring_phys);
	wr(d, REG_RDBAH, (uint32_t)(d->rx_ring_phys >> 32));
	wr(d, REG_RDLEN, E1000_RX_DESCS * sizeof(struct rx_desc));
	wr(d, REG_RDH, 0);
	wr(d, REG_RDT, E1000_RX_DESCS - 1);
	wr(d, REG_RXCSUM, 0);
	wr(d, REG_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);
	d->rx_next = 0;
	d->rx_skip = false;
}

/* cmd == 0 marks a descriptor that was never handed to the device. */
static void setup_tx(struct e1000_dev *d)
{
	for (unsigned i = 0; i < E1000_TX_DESCS; i++) {
		volatile struct tx_desc *t = tx_desc(d, i);
		t->addr = d->tx_buf_phys[i];
		t->length = 0;
		t->cso = 0;
		t->cmd = 0;
		t->sta = 0;
		t->css = 0;
		t->special = 0;
	}
	barrier();
	wr(d, REG_TDBAL, (uint32_t)d->tx_ring_phys);
	wr(d, REG_TDBAH, (uint32_t)(d->tx_ring_phys >> 32));
	wr(d, REG_TDLEN, E1000_TX_DESCS * sizeof(struct tx_desc));
	wr(d, REG_TDH, 0);
	wr(d, REG_TDT, 0);
	wr(d, REG_TIPG, TIPG_IEEE);
	wr(d, REG_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD);
	d->tx_next = 0;
}

int e1000_init(struct e1000_dev *d, const struct e1000_env *env)
{
	d->running = false;
	d->last_error = NULL;
	d->rx_frames = d->tx_frames = d->rx_dropped = d->tx_errors = 0;
	bool reuse = can_reuse(d, env);
	d->env = *env;
	/* Reset first: the previous owner's DMA must stop even if the rest fails. */
	if (quiesce(d) || (!reuse && alloc_dma(d)) || setup_mac(d))
		return -1;
	for (unsigned i = 0; i < MTA_DWORDS; i++)    /* no multicast: the filter may hold stale bits */
		wr(d, REG_MTA + 4 * i, 0);
	setup_rx(d);
	setup_tx(d);
	wr(d, REG_CTRL, rd(d, REG_CTRL) | CTRL_SLU | CTRL_ASDE);
	d->running = true;
	return 0;
}

/* ---- transmit ---- */

/* Handed to the device and not yet written back. */
static bool tx_busy(const struct e1000_dev *d, unsigned i)
{
	volatile struct tx_desc *t = tx_desc(d, i);
	if (!t->cmd)
		return false;
	return !(t->sta & TXD_DD);
}

/*
 * The slot to fill must be free, and so must the one after it: TDT moves
 * there, and TDT reaching TDH would make the device see an empty ring and
 * lose every descriptor still pending. Only after earlier timeouts can either
 * be busy.
 */
static int wait_tx_slot(struct e1000_dev *d)
{
	unsigned i = d->tx_next, next = (i + 1) % E1000_TX_DESCS;
	for (unsigned n = 0; n < TX_POLLS; n++) {
		if (!tx_busy(d, i) && !tx_busy(d, next))
			return 0;
		delay(d, 1);
	}
	return fail(d, "TX ring full: the device is not completing descriptors");
}

static int wait_tx_done(struct e1000_dev *d, unsigned i)
{
	volatile struct tx_desc *t = tx_desc(d, i);
	for (unsigned n = 0; n < TX_POLLS; n++) {
		if (t->sta & TXD_DD)
			return 0;
		delay(d, 1);
	}
	return fail(d, "TX timeout: descriptor not written back (DD)");
}

int e1000_send(struct e1000_dev *d, const void *frame, unsigned len)
{
	if (!d->running)
		return fail(d, "device not initialised");
	if (len < 14 || len > E1000_MAX_FRAME)
		return fail(d, "frame length outside 14..1514");
	if (wait_tx_slot(d)) {
		d->tx_errors++;
		return -1;
	}
	unsigned i = d->tx_next;
	volatile struct tx_desc *t = tx_desc(d, i);
	copy_to_dma(d->tx_buf[i], frame, len);
	t->addr = d->tx_buf_phys[i];
	t->length = (uint16_t)len;                 /* short frames are padded by the device (PSP) */
	t->cso = 0;
	t->css = 0;
	t->special = 0;
	t->sta = 0;
	t->cmd = TXD_EOP | TXD_IFCS | TXD_RS;
	barrier();                                 /* descriptor and data complete before TDT */
	d->tx_next = (i + 1) % E1000_TX_DESCS;
	wr(d, REG_TDT, d->tx_next);
	if (wait_tx_done(d, i)) {
		d->tx_errors++;
		return -1;
	}
	d->tx_frames++;
	return 0;
}

/* ---- receive ---- */

/* Back to the device: RDT = i hands over every slot before i, keeping i itself empty. */
static void rx_give_back(struct e1000_dev *d, unsigned i)
{
	volatile struct rx_desc *r = rx_desc(d, i);
	r->status = 0;
	r->addr = d->rx_buf_phys[i];               /* write-back may have touched it */
	barrier();
	wr(d, REG_RDT, i);
	d->rx_next = (i + 1) % E1000_RX_DESCS;
}

/*
 * Take descriptor rx_next if the device is done with it: its length once
 * copied to buf, 0 if it was dropped, -1 if it is still the device's.
 * A frame spread over several descriptors (no EOP) cannot happen with 2 KiB
 * buffers and long packets off, but is skipped whole if it does.
 */
static int rx_one(struct e1000_dev *d, uint8_t *buf, unsigned max)
{
	unsigned i = d->rx_next;
	volatile struct rx_desc *r = rx_desc(d, i);
	uint8_t status = r->status;
	if (!(status & RXD_DD))
		return -1;
	barrier();                                 /* the rest is valid only once DD is seen */
	unsigned len = r->length;
	uint8_t errors = r->errors;
	int got = 0;
	bool eop = status & RXD_EOP;
	if (d->rx_skip) {
		d->rx_skip = !eop;
	} else if (!eop || errors || len == 0 || len > max || len > E1000_BUF_SIZE) {
		d->rx_dropped++;
		d->rx_skip = !eop;
	} else {
		copy_from_dma(buf, d->rx_buf[i], len);
		d->rx_frames++;
		got = (int)len;
	}
	rx_give_back(d, i);
	return got;
}

/* Dropped frames do not end the search: at most one ring's worth is looked at. */
unsigned e1000_recv(struct e1000_dev *d, void *buf, unsigned max)
{
	if (!d->running)
		return 0;
	for (unsigned n = 0; n < E1000_RX_DESCS; n++) {
		int got = rx_one(d, buf, max);
		if (got < 0)
			return 0;
		if (got > 0)
			return (unsigned)got;
	}
	return 0;
}

/* ---- stop, link ---- */

/* Linux's e1000 driver takes the device after go-native: no DMA, no interrupts, freshly reset. */
void e1000_stop(struct e1000_dev *d)
{
	d->running = false;
	if (d->env.wr32)
		(void)quiesce(d);
}

bool e1000_link_up(struct e1000_dev *d)
{
	return d->env.rd32 && (rd(d, REG_STATUS) & STATUS_LU);
}
