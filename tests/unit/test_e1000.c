/*
 * Host unit tests for drivers/e1000.c against a model of an 82540EM: register
 * file with reset (RST self-clears after some CTRL reads, RAL0/RAH0 loaded
 * from a model EEPROM), EERD, DMA through a fake allocator whose bus
 * addresses map back to heap blocks (anything else is flagged), a receive
 * FIFO fed from a "wire" into the RX ring, and a transmitter that records
 * frames and sets DD, optionally late or never.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e1000.h"

#define RNG_SEED 0xe1000e1000c0ffeeull
#include "prng.h"

#define N_RX E1000_RX_DESCS
#define N_TX E1000_TX_DESCS

/* e1000.c's bounds */
#define RESET_POLLS 10000u
#define EERD_POLLS  10000u
#define TX_POLLS    200000u

#define CTRL    0x0000
#define STATUS  0x0008
#define EECD    0x0010
#define EERD    0x0014
#define ICR     0x00c0
#define IMS     0x00d0
#define IMC     0x00d8
#define RCTL    0x0100
#define TCTL    0x0400
#define TIPG    0x0410
#define RDBAL   0x2800
#define RDBAH   0x2804
#define RDLEN   0x2808
#define RDH     0x2810
#define RDT     0x2818
#define TDBAL   0x3800
#define TDBAH   0x3804
#define TDLEN   0x3808
#define TDH     0x3810
#define TDT     0x3818
#define RXCSUM  0x5000
#define MTA     0x5200
#define RAL(n)  (0x5400 + 8 * (n))
#define RAH(n)  (0x5404 + 8 * (n))

#define CTRL_ASDE  (1u << 5)
#define CTRL_SLU   (1u << 6)
#define CTRL_RST   (1u << 26)
#define CTRL_RESET_VALUE 0x00000201u  /* FD, speed 1000: what the model's reset leaves */
#define STATUS_LU  (1u << 1)
#define RAH_AV     (1u << 31)
#define ICR_LSC    (1u << 2)
#define RCTL_EN    (1u << 1)
#define RCTL_UPE   (1u << 3)
#define RCTL_MPE   (1u << 4)
#define RCTL_LPE   (1u << 5)
#define RCTL_BAM   (1u << 15)
#define RCTL_BSEX  (1u << 25)
#define RCTL_SECRC (1u << 26)
#define TCTL_EN    (1u << 1)
#define TCTL_PSP   (1u << 3)

#define RX_DD   0x01
#define RX_EOP  0x02
#define TX_EOP  0x01
#define TX_IFCS 0x02
#define TX_RS   0x08
#define TX_DEXT 0x20
#define TX_DD   0x01

#define REG_SPACE 0x8000
#define MAX_DMA   256
#define FIFO_MAX  8
#define FRAME_MAX 4096
#define SENT_MAX  512
#define LOG_MAX   8192
#define MIN_FRAME 60                  /* without CRC: what PSP pads to */

/* ---- the device model ---- */

struct mdesc {                        /* both legacy layouts: the fields the model uses */
	uint64_t addr;
	uint16_t length;
	uint8_t b10, b11, b12, b13;      /* RX: csum lo/hi, status, errors. TX: cso, cmd, sta, css */
	uint16_t special;
};
_Static_assert(sizeof(struct mdesc) == 16, "descriptor");

struct frame { unsigned len; uint8_t errors; uint8_t data[FRAME_MAX]; };
struct dma_block { uint8_t *host; uint64_t bus, size; };
struct wlog { uint32_t reg, val; };

struct model {
	/* configuration */
	uint16_t eeprom[64];
	bool ra_autoload;                 /* reset loads RAL0/RAH0 (AV) from EEPROM words 0-2 */
	bool cable;                       /* STATUS.LU follows CTRL.SLU */
	unsigned rst_reads;               /* CTRL reads until RST clears */
	bool rst_stuck;
	unsigned eerd_reads;              /* EERD reads until DONE */
	bool eerd_stuck;
	unsigned fifo_cap;                /* frames the receive FIFO holds while the ring is full */
	unsigned tx_delay;                /* delay_us calls between TDT and processing */
	bool tx_hang;                     /* transmit descriptors never processed */
	int dma_fail_at;                  /* allocation number that returns NULL, -1 none */
	uint64_t bus_base;
	/* state */
	uint32_t regs[REG_SPACE / 4];
	uint32_t ims, icr;
	bool resetting, eerd_busy;
	unsigned rst_left, eerd_left, resets, reset_at;   /* reset_at: log index when the last reset ended */
	struct dma_block dma[MAX_DMA];
	unsigned ndma;
	uint64_t next_bus;
	struct frame fifo[FIFO_MAX];
	unsigned fifo_n, missed, filtered, placed;
	struct frame *sent;
	unsigned nsent, tx_countdown;
	/* accounting */
	unsigned long reads, writes, delays, ctrl_reads, eerd_polls, eeprom_reads, icr_reads;
	struct wlog log[LOG_MAX];
	unsigned nlog;
	unsigned violations;
	bool quiet;                       /* violations expected: do not print them */
};

static struct model M;

static uint32_t *reg(uint32_t r) { return &M.regs[r / 4]; }

static void violation(const char *what)
{
	if (!M.quiet)
		print_error("driver broke a rule of the device: %s\n", what);
	M.violations++;
}

/* ---- DMA ---- */

static uint8_t *dma_find(uint64_t bus, uint64_t len)
{
	for (unsigned i = 0; i < M.ndma; i++) {
		struct dma_block *b = &M.dma[i];
		if (bus >= b->bus && len <= b->size && bus - b->bus <= b->size - len)
			return b->host + (bus - b->bus);
	}
	return NULL;
}

/* What the device may touch: only memory the driver got from dma_alloc. */
static uint8_t *dma_at(uint64_t bus, uint64_t len, const char *what)
{
	uint8_t *p = dma_find(bus, len);
	if (!p && !M.quiet)
		print_error("bus address 0x%llx+%llu (%s) is not DMA memory\n", (unsigned long long)bus,
			    (unsigned long long)len, what);
	if (!p)
		violation("DMA outside allocated memory");
	return p;
}

/* Bus addresses above 4 GiB with a hole after each block, so overruns land nowhere. */
static void *m_dma_alloc(void *ctx, uint64_t size, uint64_t *phys)
{
	if (M.dma_fail_at == (int)M.ndma)
		return NULL;
	assert_true(M.ndma < MAX_DMA);
	assert_true(size > 0);
	size = (size + 4095) & ~4095ull;
	uint8_t *p = aligned_alloc(4096, size);
	assert_non_null(p);
	memset(p, 0, size);
	M.dma[M.ndma++] = (struct dma_block){ p, M.next_bus, size };
	*phys = M.next_bus;
	M.next_bus += size + 4096;
	return p;
}

/* ---- rings ---- */

static unsigned ring_n(uint32_t len_reg) { return *reg(len_reg) / 16; }
static uint64_t ring_bus(uint32_t bal) { return *reg(bal) | (uint64_t)*reg(bal + 4) << 32; }

static bool get_desc(uint32_t bal, unsigned i, struct mdesc *m)
{
	uint8_t *p = dma_at(ring_bus(bal) + 16ull * i, 16, "descriptor");
	if (p)
		memcpy(m, p, 16);
	return p != NULL;
}

static void put_desc(uint32_t bal, unsigned i, const struct mdesc *m)
{
	uint8_t *p = dma_at(ring_bus(bal) + 16ull * i, 16, "descriptor");
	if (p)
		memcpy(p, m, 16);
}

/* Enabling a ring: its registers must describe DMA memory. */
static void check_ring(uint32_t bal, uint32_t len_reg, uint32_t h, uint32_t t)
{
	uint32_t len = *reg(len_reg);
	if (len == 0 || len % 128)
		violation("ring length zero or not a multiple of 128");
	else if (ring_bus(bal) & 15)
		violation("ring not 16-byte aligned");
	else
		(void)dma_at(ring_bus(bal), len, "ring");
	if (len && (*reg(h) >= len / 16 || *reg(t) >= len / 16))
		violation("head or tail beyond the ring");
}

/*
 * A tail write hands [old, new) to the device. The software-owned part of
 * the ring is [tail, head) (all of it when they are equal); the tail must stay
 * inside it and never reach head, or the device would see an empty ring.
 */
static bool tail_move_ok(uint32_t h, uint32_t t, unsigned n, uint32_t v, unsigned *move)
{
	unsigned own = (*reg(h) + n - *reg(t)) % n;
	own = own ? own : n;
	*move = (v + n - *reg(t)) % n;
	return *move < own;
}

/* ---- receive ---- */

static bool accepted(const struct frame *f)
{
	const uint8_t *da = f->data;
	uint32_t rctl = *reg(RCTL);
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	if (!memcmp(da, bcast, 6))
		return rctl & RCTL_BAM;
	if (da[0] & 1)
		return rctl & RCTL_MPE;              /* the MTA stays zero: no multicast hashes */
	if (rctl & RCTL_UPE)
		return true;
	for (unsigned n = 0; n < 16; n++) {
		uint32_t l = *reg(RAL(n)), h = *reg(RAH(n));
		uint8_t ra[6] = { (uint8_t)l, (uint8_t)(l >> 8), (uint8_t)(l >> 16), (uint8_t)(l >> 24),
				  (uint8_t)h, (uint8_t)(h >> 8) };
		if ((h & RAH_AV) && !memcmp(ra, da, 6))
			return true;
	}
	return false;
}

/* One frame into descriptors RDH.., 2048 bytes each (a frame longer than that spans several). */
static void place(const struct frame *f, unsigned frags, unsigned bytes)
{
	unsigned n = ring_n(RDLEN), off = 0;
	uint8_t crc[4] = { 0xde, 0xad, 0xbe, 0xef };
	for (unsigned k = 0; k < frags; k++) {
		unsigned h = *reg(RDH), chunk = bytes - off < 2048 ? bytes - off : 2048;
		bool last = k == frags - 1;
		struct mdesc m;
		if (!get_desc(RDBAL, h, &m))
			return;
		uint8_t *buf = dma_at(m.addr, 2048, "RX buffer");
		for (unsigned i = 0; buf && i < chunk; i++)
			buf[i] = off + i < f->len ? f->data[off + i] : crc[off + i - f->len];
		m.length = (uint16_t)(buf ? chunk : 0);
		m.b10 = m.b11 = 0;
		m.b12 = (uint8_t)(RX_DD | (last ? RX_EOP : 0));
		m.b13 = buf ? (last ? f->errors : 0) : 0x80;  /* RXE when the buffer was unusable */
		m.special = 0;
		put_desc(RDBAL, h, &m);
		*reg(RDH) = (h + 1) % n;
		off += chunk;
	}
}

/* Move frames from the FIFO into the ring while there is room between RDH and RDT. */
static void rx_pump(void)
{
	while (M.fifo_n && (*reg(RCTL) & RCTL_EN)) {
		const struct frame *f = &M.fifo[0];
		if (!accepted(f)) {
			M.filtered++;
		} else {
			unsigned n = ring_n(RDLEN);
			unsigned bytes = f->len + (*reg(RCTL) & RCTL_SECRC ? 0 : 4);
			unsigned frags = (bytes + 2047) / 2048;
			if (frags > (*reg(RDT) + n - *reg(RDH)) % n)
				return;                            /* no room: the frame waits */
			place(f, frags, bytes);
			M.placed++;
		}
		memmove(&M.fifo[0], &M.fifo[1], (M.fifo_n - 1) * sizeof(M.fifo[0]));
		M.fifo_n--;
	}
}

/* A frame arrives from the wire: into the FIFO, or lost if the receiver is off or the FIFO full. */
static void wire_push(const uint8_t *data, unsigned len, uint8_t errors)
{
	assert_true(len <= FRAME_MAX);
	if (!(*reg(RCTL) & RCTL_EN) || M.fifo_n >= M.fifo_cap) {
		M.missed++;
		return;
	}
	struct frame *f = &M.fifo[M.fifo_n++];
	f->len = len;
	f->errors = errors;
	memcpy(f->data, data, len);
	rx_pump();
}

static void rctl_write(uint32_t v)
{
	*reg(RCTL) = v;
	if (!(v & RCTL_EN))
		return;
	check_ring(RDBAL, RDLEN, RDH, RDT);
	if ((v & (3u << 16)) || (v & RCTL_BSEX))
		violation("receive buffers not 2048 bytes");
	if (v & RCTL_LPE)
		violation("long packets enabled: frames would span descriptors");
	rx_pump();
}

static void rdt_write(uint32_t v)
{
	unsigned n = ring_n(RDLEN), move;
	if (!n || v >= n) {
		violation("RDT written outside the ring (or before RDLEN)");
		return;
	}
	if (!tail_move_ok(RDH, RDT, n, v, &move))
		violation("RDT moved onto or past RDH");
	for (unsigned k = 0, i = *reg(RDT); k < move; k++, i = (i + 1) % n) {
		struct mdesc m;
		if (!get_desc(RDBAL, i, &m))
			continue;
		if (m.b12 & RX_DD)
			violation("RX descriptor given back with DD still set (not consumed)");
		(void)dma_at(m.addr, 2048, "RX buffer given to the device");
	}
	*reg(RDT) = v;
	rx_pump();
}

/* ---- transmit ---- */

static void tx_record(const uint8_t *buf, unsigned len)
{
	assert_true(M.nsent < SENT_MAX);
	struct frame *f = &M.sent[M.nsent++];
	memset(f->data, 0, sizeof(f->data));
	memcpy(f->data, buf, len);
	f->len = len < MIN_FRAME && (*reg(TCTL) & TCTL_PSP) ? MIN_FRAME : len;
}

/* Send every descriptor from TDH to TDT, writing DD back where RS asks for it. */
static void tx_process(void)
{
	if (!(*reg(TCTL) & TCTL_EN) || M.tx_hang || M.resetting)
		return;
	unsigned n = ring_n(TDLEN);
	while (n && *reg(TDH) != *reg(TDT)) {
		unsigned h = *reg(TDH);
		struct mdesc m;
		if (!get_desc(TDBAL, h, &m))
			return;
		uint8_t *buf = dma_at(m.addr, m.length, "TX buffer");
		if (buf)
			tx_record(buf, m.length);
		if (m.b11 & TX_RS)
			m.b12 |= TX_DD;
		put_desc(TDBAL, h, &m);
		*reg(TDH) = (h + 1) % n;
	}
}

static void tdt_write(uint32_t v)
{
	unsigned n = ring_n(TDLEN), move;
	if (!n || v >= n) {
		violation("TDT written outside the ring (or before TDLEN)");
		return;
	}
	if (!tail_move_ok(TDH, TDT, n, v, &move))
		violation("TDT moved onto or past TDH");
	for (unsigned k = 0, i = *reg(TDT); k < move; k++, i = (i + 1) % n) {
		struct mdesc m;
		if (!get_desc(TDBAL, i, &m))
			continue;
		uint8_t cmd = m.b11;
		if ((cmd & (TX_EOP | TX_IFCS | TX_RS)) != (TX_EOP | TX_IFCS | TX_RS) || (cmd & TX_DEXT))
			violation("TX descriptor CMD is not EOP|IFCS|RS (legacy)");
		if (m.b12 & TX_DD)
			violation("TX descriptor handed over with DD set");
		if (m.length == 0 || m.length > 16288)
			violation("TX descriptor length");
		(void)dma_at(m.addr, m.length, "TX buffer handed over");
	}
	*reg(TDT) = v;
	if (M.tx_delay)
		M.tx_countdown = M.tx_delay;
	else
		tx_process();
}

/* ---- reset, EEPROM ---- */

/* Reset defaults; the multicast table and RA entries 1-15 keep whatever they held. */
static void do_reset(void)
{
	uint32_t keep[(0x5480 - MTA) / 4];
	memcpy(keep, reg(MTA), sizeof(keep));
	memset(M.regs, 0, sizeof(M.regs));
	memcpy(reg(MTA), keep, sizeof(keep));
	memset(reg(RAL(0)), 0, 8);
	*reg(CTRL) = CTRL_RESET_VALUE;
	*reg(STATUS) = 0x81;                     /* FD, 1000 Mb/s */
	if (M.ra_autoload) {
		*reg(RAL(0)) = M.eeprom[0] | (uint32_t)M.eeprom[1] << 16;
		*reg(RAH(0)) = M.eeprom[2] | RAH_AV;
	}
	M.icr = ICR_LSC;                         /* a cause for a driver to clear */
	M.ims = 0;
	M.fifo_n = 0;
	M.tx_countdown = 0;
	M.eerd_busy = false;
	M.resetting = false;
	M.resets++;
	M.reset_at = M.nlog;
}

static void ctrl_write(uint32_t v)
{
	*reg(CTRL) = v;
	if (!(v & CTRL_RST))
		return;
	M.resetting = true;
	M.rst_left = M.rst_reads;
	if (!M.rst_left && !M.rst_stuck)
		do_reset();
}

static uint32_t ctrl_read(void)
{
	M.ctrl_reads++;
	if (M.resetting && !M.rst_stuck && --M.rst_left == 0)
		do_reset();
	return *reg(CTRL);
}

static void eerd_write(uint32_t v)
{
	if (!(v & 1))
		return;
	unsigned a = (v >> 8) & 0xff;
	if (a >= 64)
		violation("EEPROM address beyond the part");
	*reg(EERD) = a << 8;
	M.eerd_busy = true;
	M.eerd_left = M.eerd_reads;
	M.eeprom_reads++;
}

static uint32_t eerd_read(void)
{
	M.eerd_polls++;
	if (!M.eerd_busy || M.eerd_stuck)
		return *reg(EERD);
	if (M.eerd_left) {
		M.eerd_left--;
		return *reg(EERD);
	}
	unsigned a = (*reg(EERD) >> 8) & 0x3f;
	M.eerd_busy = false;
	return *reg(EERD) = (uint32_t)M.eeprom[a] << 16 | a << 8 | 1u << 4;
}

/* ---- register access ---- */

static bool known_reg(uint32_t r)
{
	static const uint32_t regs[] = { CTRL, STATUS, EECD, EERD, ICR, IMS, IMC, RCTL, TCTL, TIPG,
					 RDBAL, RDBAH, RDLEN, RDH, RDT, TDBAL, TDBAH, TDLEN, TDH,
					 TDT, RXCSUM };
	for (unsigned i = 0; i < ARRAY_SIZE(regs); i++)
		if (r == regs[i])
			return true;
	return (r & 3) == 0 && r >= MTA && r < RAL(16);
}

static uint32_t m_rd32(void *ctx, uint32_t r)
{
	M.reads++;
	if (!known_reg(r)) {
		violation("read of a register the model does not know");
		return 0;
	}
	if (r == CTRL)
		return ctrl_read();
	if (M.resetting) {
		violation("register read while reset is in progress");
		return 0;
	}
	switch (r) {
	case STATUS:
		return (*reg(STATUS) & ~STATUS_LU) | (M.cable && (*reg(CTRL) & CTRL_SLU) ? STATUS_LU : 0);
	case EERD:
		return eerd_read();
	case ICR: {
		uint32_t v = M.icr;
		M.icr = 0;
		M.icr_reads++;
		return v;
	}
	case IMS:
		return M.ims;
	case IMC:
		violation("IMC is write-only");
		return 0;
	}
	return *reg(r);
}

static bool ring_enabled_write(uint32_t r)
{
	bool rx = r >= RDBAL && r <= RDH, tx = r >= TDBAL && r <= TDH;
	return (rx && (*reg(RCTL) & RCTL_EN)) || (tx && (*reg(TCTL) & TCTL_EN));
}

static void m_wr32(void *ctx, uint32_t r, uint32_t v)
{
	M.writes++;
	if (M.nlog < LOG_MAX)
		M.log[M.nlog++] = (struct wlog){ r, v };
	if (!known_reg(r)) {
		violation("write to a register the model does not know");
		return;
	}
	if (M.resetting) {
		violation("register written while reset is in progress");
		return;
	}
	if (ring_enabled_write(r))
		violation("ring base/length/head changed while the ring is enabled");
	switch (r) {
	case CTRL: ctrl_write(v); break;
	case STATUS: violation("STATUS is read-only"); break;
	case EERD: eerd_write(v); break;
	case ICR: M.icr &= ~v; break;
	case IMS:
		M.ims |= v;
		if (v)
			violation("interrupt unmasked");
		break;
	case IMC: M.ims &= ~v; break;
	case RCTL: rctl_write(v); break;
	case RDT: rdt_write(v); break;
	case TCTL:
		*reg(TCTL) = v;
		if (v & TCTL_EN)
			check_ring(TDBAL, TDLEN, TDH, TDT);
		tx_process();
		break;
	case TDT: tdt_write(v); break;
	default: *reg(r) = v;
	}
}

/* Time passes only here: delayed transmit completions happen on these calls. */
static void m_delay(void *ctx, unsigned us)
{
	M.delays++;
	if (M.tx_countdown && --M.tx_countdown)
		return;
	tx_process();
}

static const struct e1000_env ENV = { m_rd32, m_wr32, m_dma_alloc, m_delay, &M };

/* ---- fixture ---- */

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t OTHER[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };   /* the previous owner's extra address */
static const uint8_t PEER[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static void eeprom_mac(const uint8_t *m)
{
	for (unsigned w = 0; w < 3; w++)
		M.eeprom[w] = (uint16_t)(m[2 * w] | m[2 * w + 1] << 8);
}

static void free_dma(void)
{
	for (unsigned i = 0; i < M.ndma; i++)
		free(M.dma[i].host);
	M.ndma = 0;
}

/*
 * A device as a previous driver left it: interrupts unmasked and one pending,
 * link forced up, stale multicast bits, an extra unicast address.
 */
static int setup(void **state)
{
	memset(&M, 0, sizeof(M));
	eeprom_mac(MAC);
	for (unsigned i = 3; i < 64; i++)
		M.eeprom[i] = (uint16_t)(0x1000 + i);
	M.ra_autoload = true;
	M.cable = true;
	M.rst_reads = 3;
	M.eerd_reads = 2;
	M.fifo_cap = 4;
	M.dma_fail_at = -1;
	M.bus_base = M.next_bus = 0x123400000ull;
	do_reset();
	M.resets = 0;
	*reg(CTRL) |= CTRL_SLU;
	M.ims = 0x9d;
	M.icr = 0x80;
	for (unsigned i = 0; i < 128; i++)
		*reg(MTA + 4 * i) = 0x01010101u * i;
	*reg(RAL(3)) = OTHER[0] | OTHER[1] << 8 | OTHER[2] << 16 | (uint32_t)OTHER[3] << 24;
	*reg(RAH(3)) = OTHER[4] | OTHER[5] << 8 | RAH_AV;
	M.sent = calloc(SENT_MAX, sizeof(*M.sent));
	assert_non_null(M.sent);
	return 0;
}

static int teardown(void **state)
{
	free_dma();
	free(M.sent);
	return 0;
}

/* ---- helpers ---- */

static void init_ok(struct e1000_dev *d)
{
	memset(d, 0, sizeof(*d));
	int rc = e1000_init(d, &ENV);
	if (rc)
		print_error("init failed: %s\n", d->last_error);
	assert_int_equal(rc, 0);
}

static void expect_error(struct e1000_dev *d, int rc, const char *part)
{
	assert_int_equal(rc, -1);
	assert_non_null(d->last_error);
	if (!strstr(d->last_error, part))
		print_error("last_error \"%s\" lacks \"%s\"\n", d->last_error, part);
	assert_non_null(strstr(d->last_error, part));
}

/* The device never saw a broken rule and never had an interrupt unmasked. */
static void clean(void)
{
	assert_int_equal(M.violations, 0);
	assert_int_equal(M.ims, 0);
}

/* dst, PEER, EtherType 0x88b5 (local experimental), a 32-bit sequence number, random bytes. */
static void make_frame(uint8_t *f, unsigned len, const uint8_t *dst, uint32_t seq)
{
	memset(f, 0, len);
	memcpy(f, dst, 6);
	memcpy(f + 6, PEER, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	for (unsigned i = 14; i < len; i++)
		f[i] = (uint8_t)rng();
	for (unsigned i = 0; i < 4 && 14 + i < len; i++)
		f[14 + i] = (uint8_t)(seq >> 8 * i);
}

static uint32_t seq_of(const uint8_t *f)
{
	return f[14] | f[15] << 8 | f[16] << 16 | (uint32_t)f[17] << 24;
}

static unsigned rand_len(void) { return 14 + (unsigned)(rng() % (E1000_MAX_FRAME - 14 + 1)); }

static void expect_sent(unsigned idx, const uint8_t *f, unsigned len)
{
	static const uint8_t zero[MIN_FRAME];
	assert_true(idx < M.nsent);
	assert_int_equal(M.sent[idx].len, len < MIN_FRAME ? MIN_FRAME : len);
	assert_memory_equal(M.sent[idx].data, f, len);
	if (len < MIN_FRAME)
		assert_memory_equal(M.sent[idx].data + len, zero, MIN_FRAME - len);
}

static unsigned count_writes(uint32_t r, unsigned from)
{
	unsigned n = 0;
	for (unsigned i = from; i < M.nlog; i++)
		n += M.log[i].reg == r;
	return n;
}

/* ---- init ---- */

static void check_rings(const struct e1000_dev *d)
{
	assert_int_equal(ring_bus(RDBAL), d->rx_ring_phys);
	assert_int_equal(ring_bus(TDBAL), d->tx_ring_phys);
	assert_int_equal(*reg(RDBAH), 1);                     /* above 4 GiB: the high half is used */
	assert_int_equal(d->rx_ring_phys & 0xfff, 0);
	assert_int_equal(d->tx_ring_phys & 0xfff, 0);
	assert_ptr_equal(dma_find(d->rx_ring_phys, N_RX * 16), d->rx_ring);
	assert_ptr_equal(dma_find(d->tx_ring_phys, N_TX * 16), d->tx_ring);
	uint64_t bufs[N_RX + N_TX];
	for (unsigned i = 0; i < N_RX; i++) {
		struct mdesc m;
		memcpy(&m, (uint8_t *)d->rx_ring + 16 * i, 16);
		assert_int_equal(m.addr, d->rx_buf_phys[i]);
		assert_int_equal(m.b12, 0);
		assert_ptr_equal(dma_find(m.addr, E1000_BUF_SIZE), d->rx_buf[i]);
		bufs[i] = m.addr;
	}
	for (unsigned i = 0; i < N_TX; i++) {
		assert_ptr_equal(dma_find(d->tx_buf_phys[i], E1000_BUF_SIZE), d->tx_buf[i]);
		bufs[N_RX + i] = d->tx_buf_phys[i];
	}
	/* No two buffers overlap, and none overlaps a ring. */
	for (unsigned i = 0; i < N_RX + N_TX; i++) {
		for (unsigned j = i + 1; j < N_RX + N_TX; j++)
			assert_true(bufs[i] + E1000_BUF_SIZE <= bufs[j] || bufs[j] + E1000_BUF_SIZE <= bufs[i]);
		assert_true(bufs[i] + E1000_BUF_SIZE <= d->rx_ring_phys || bufs[i] >= d->rx_ring_phys + 4096);
		assert_true(bufs[i] + E1000_BUF_SIZE <= d->tx_ring_phys || bufs[i] >= d->tx_ring_phys + 4096);
	}
}

static void test_init_registers(void **state)
{
	struct e1000_dev d;
	init_ok(&d);
	/* Interrupts masked before the reset, masked again after it, the pending cause read away. */
	assert_int_equal(M.log[0].reg, IMC);
	assert_int_equal(M.log[0].val, 0xffffffffu);
	unsigned rst = 0;
	while (rst < M.nlog && !(M.log[rst].reg == CTRL && (M.log[rst].val & CTRL_RST)))
		rst++;
	assert_true(rst < M.nlog);
	assert_int_equal(count_writes(RCTL, rst) + count_writes(TCTL, rst), 2);   /* the enables only */
	assert_int_equal(M.resets, 1);
	assert_true(M.reset_at < M.nlog);
	assert_int_equal(M.log[M.reset_at].reg, IMC);
	assert_int_equal(M.log[M.reset_at].val, 0xffffffffu);
	assert_true(M.icr_reads >= 1);
	assert_int_equal(M.icr, 0);
	assert_int_equal(M.ims, 0);
	assert_int_equal(count_writes(IMS, 0), 0);
	/* MAC from RAL0/RAH0, written back with AV; no EEPROM access needed. */
	assert_memory_equal(d.mac, MAC, 6);
	assert_int_equal(M.eeprom_reads, 0);
	assert_int_equal(*reg(RAL(0)), 0x12005452u);
	assert_int_equal(*reg(RAH(0)), 0x5634u | RAH_AV);
	for (unsigned n = 1; n < 16; n++)
		assert_int_equal(*reg(RAH(n)) & RAH_AV, 0);
	for (unsigned i = 0; i < 128; i++)
		assert_int_equal(*reg(MTA + 4 * i), 0);
	/* Receive: broadcast accepted, CRC stripped, 2048-byte buffers, nothing else. */
	assert_int_equal(*reg(RCTL), RCTL_EN | RCTL_BAM | RCTL_SECRC);
	assert_int_equal(*reg(RDLEN), N_RX * 16);
	assert_int_equal(*reg(RDH), 0);
	assert_int_equal(*reg(RDT), N_RX - 1);
	assert_int_equal(*reg(RXCSUM), 0);
	/* Transmit: pad short packets, CT 15, COLD 0x40, 802.3 gaps. */
	assert_int_equal(*reg(TCTL), TCTL_EN | TCTL_PSP | 0x0fu << 4 | 0x40u << 12);
	assert_int_equal(*reg(TIPG), 10u | 8u << 10 | 6u << 20);
	assert_int_equal(*reg(TDLEN), N_TX * 16);
	assert_int_equal(*reg(TDH), 0);
	assert_int_equal(*reg(TDT), 0);
	check_rings(&d);
	/* Link up, speed detected: nothing else changed in CTRL. */
	assert_int_equal(*reg(CTRL), CTRL_RESET_VALUE | CTRL_SLU | CTRL_ASDE);
	assert_true(e1000_link_up(&d));
	assert_int_equal(d.rx_next, 0);
	assert_int_equal(d.tx_next, 0);
	assert_null(d.last_error);
	assert_int_equal(M.ndma, 2 + (N_RX + N_TX) / 2);       /* a page per ring, two buffers a page */
	clean();
}

static void test_mac_from_eeprom(void **state)
{
	static const uint8_t mac[6] = { 0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc };
	static const unsigned waits[] = { 0, 5 };
	for (unsigned i = 0; i < 2; i++) {
		struct e1000_dev d;
		M.ra_autoload = false;                      /* reset leaves RAH0.AV clear */
		M.eerd_reads = waits[i];
		eeprom_mac(mac);
		M.eeprom_reads = 0;
		init_ok(&d);
		assert_memory_equal(d.mac, mac, 6);
		assert_int_equal(M.eeprom_reads, 3);
		assert_int_equal(*reg(RAL(0)), 0xaa211b00u);
		assert_int_equal(*reg(RAH(0)), 0xccbbu | RAH_AV);
		/* The receive filter now matches that address. */
		uint8_t f[100], r[100];
		make_frame(f, sizeof(f), mac, 1);
		wire_push(f, sizeof(f), 0);
		assert_int_equal(e1000_recv(&d, r, sizeof(r)), sizeof(f));
		assert_memory_equal(r, f, sizeof(f));
		clean();
	}
}

static void test_mac_invalid(void **state)
{
	static const uint8_t bad[2][6] = { { 0 }, { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
	struct e1000_dev d;
	memset(&d, 0, sizeof(d));                               /* then reused: the DMA memory too */
	for (unsigned i = 0; i < 2; i++) {
		for (int autoload = 0; autoload < 2; autoload++) {
			M.ra_autoload = autoload;
			eeprom_mac(bad[i]);
			expect_error(&d, e1000_init(&d, &ENV), "MAC");
			assert_false(*reg(RCTL) & RCTL_EN);
			assert_false(*reg(TCTL) & TCTL_EN);
			uint8_t f[64];
			make_frame(f, sizeof(f), MAC, 0);
			expect_error(&d, e1000_send(&d, f, sizeof(f)), "not initialised");
		}
	}
	assert_int_equal(M.ndma, 2 + (N_RX + N_TX) / 2);
	clean();
}

static void test_eerd_timeout(void **state)
{
	struct e1000_dev d;
	memset(&d, 0, sizeof(d));
	M.ra_autoload = false;
	M.eerd_stuck = true;
	expect_error(&d, e1000_init(&d, &ENV), "EEPROM");
	assert_int_equal(M.eeprom_reads, 1);
	assert_true(M.eerd_polls >= EERD_POLLS && M.eerd_polls <= EERD_POLLS + 2);
	assert_false(*reg(RCTL) & RCTL_EN);
	clean();
}

static void test_reset_stuck(void **state)
{
	struct e1000_dev d;
	memset(&d, 0, sizeof(d));
	M.rst_stuck = true;
	expect_error(&d, e1000_init(&d, &ENV), "reset");
	assert_true(M.ctrl_reads <= RESET_POLLS + 2);
	assert_true(M.delays <= RESET_POLLS + 2);
	assert_int_equal(count_writes(RCTL, 0), 1);           /* the 0 before the reset, no enable */
	assert_int_equal(*reg(RCTL), 0);
	assert_false(d.running);
	/* Slow but finite: fine. */
	M.rst_stuck = false;
	M.resetting = false;
	M.rst_reads = 500;
	init_ok(&d);
	assert_int_equal(M.resets, 1);
	clean();
}

static void test_dma_alloc_fails(void **state)
{
	static const unsigned at[] = { 0, 1, 2, 17, 33 };      /* rings, first/middle/last buffer page */
	struct e1000_dev d;
	for (unsigned i = 0; i < ARRAY_SIZE(at); i++) {
		memset(&d, 0, sizeof(d));
		M.dma_fail_at = (int)(M.ndma + at[i]);
		unsigned resets = M.resets;
		expect_error(&d, e1000_init(&d, &ENV), "DMA");
		assert_int_equal(M.resets, resets + 1);            /* reset first: the old owner's DMA stops */
		assert_int_equal(*reg(RCTL), 0);
		assert_int_equal(*reg(TCTL), 0);
		assert_false(d.running);
	}
	M.dma_fail_at = -1;
	init_ok(&d);
	uint8_t f[200], r[200];
	make_frame(f, sizeof(f), MAC, 7);
	assert_int_equal(e1000_send(&d, f, sizeof(f)), 0);
	expect_sent(0, f, sizeof(f));
	wire_push(f, sizeof(f), 0);
	assert_int_equal(e1000_recv(&d, r, sizeof(r)), sizeof(f));
	clean();
}

/* ---- traffic ---- */

static void test_roundtrip_wrap(void **state)
{
	struct e1000_dev d;
	uint8_t f[E1000_MAX_FRAME], r[E1000_BUF_SIZE];
	init_ok(&d);
	const unsigned count = 3 * N_RX + 5;
	for (unsigned i = 0; i < count; i++) {
		unsigned len = i < 4 ? (unsigned[]){ 14, 59, 60, E1000_MAX_FRAME }[i] : rand_len();
		M.tx_delay = i % 3 ? i % 7 : 0;
		make_frame(f, len, PEER, i);
		assert_int_equal(e1000_send(&d, f, len), 0);
		assert_int_equal(M.nsent, i + 1);
		expect_sent(i, f, len);
		len = i < 4 ? (unsigned[]){ E1000_MAX_FRAME, 60, 14, 1000 }[i] : rand_len();
		make_frame(f, len, MAC, i);
		wire_push(f, len, 0);
		memset(r, 0xcc, sizeof(r));
		assert_int_equal(e1000_recv(&d, r, sizeof(r)), len);
		assert_memory_equal(r, f, len);
		assert_int_equal(r[len], 0xcc);                    /* nothing past the frame */
		assert_int_equal(e1000_recv(&d, r, sizeof(r)), 0);
	}
	assert_int_equal(d.tx_frames, count);
	assert_int_equal(d.rx_frames, count);
	assert_int_equal(d.rx_dropped, 0);
	assert_int_equal(d.tx_errors, 0);
	assert_int_equal(*reg(TDT), count % N_TX);
	assert_int_equal(*reg(TDH), count % N_TX);
	assert_int_equal(*reg(RDT), (count - 1) % N_RX);
	assert_int_equal(d.rx_next, count % N_RX);
	assert_int_equal(M.missed, 0);
	clean();
}

static void test_rx_burst(void **state)
{
	struct e1000_dev d;
	uint8_t f[10][300], r[300];
	init_ok(&d);
	for (unsigned i = 0; i < 4; i++) {                     /* straight into the ring */
		make_frame(f[i], 100 + 50 * i, MAC, i);
		wire_push(f[i], 100 + 50 * i, 0);
	}
	assert_int_equal(M.placed, 4);
	for (unsigned i = 0; i < 4; i++) {
		/* exactly max bytes is fine */
		assert_int_equal(e1000_recv(&d, r, 100 + 50 * i), 100 + 50 * i);
		assert_memory_equal(r, f[i], 100 + 50 * i);
	}
	assert_int_equal(e1000_recv(&d, r, sizeof(r)), 0);
	assert_int_equal(d.rx_frames, 4);
	clean();
}

static void test_rx_ring_full(void **state)
{
	struct e1000_dev d;
	uint8_t f[128], r[128];
	init_ok(&d);
	const unsigned pushed = 3 * N_RX;
	for (unsigned i = 0; i < pushed; i++) {
		make_frame(f, sizeof(f), MAC, i);
		wire_push(f, sizeof(f), 0);
	}
	/* N - 1 in the ring (head stops one short of tail), 4 in the FIFO, the rest lost. */
	assert_int_equal(M.placed, N_RX - 1);
	assert_int_equal(M.fifo_n, 4);
	assert_int_equal(M.missed, pushed - (N_RX - 1) - 4);
	assert_int_equal(*reg(RDH), N_RX - 1);
	/* Each descriptor given back lets one FIFO frame in: all arrive, in order. */
	for (unsigned i = 0; i < N_RX - 1 + 4; i++) {
		assert_int_equal(e1000_recv(&d, r, sizeof(r)), sizeof(f));
		assert_int_equal(seq_of(r), i);
	}
	assert_int_equal(e1000_recv(&d, r, sizeof(r)), 0);
	assert_int_equal(d.rx_dropped, 0);                     /* lost on the wire, not by the driver */
	/* And the ring keeps going round. */
	for (unsigned i = 0; i < 2 * N_RX; i++) {
		make_frame(f, sizeof(f), MAC, 1000 + i);
		wire_push(f, sizeof(f), 0);
		if (i % 3 == 2)
			for (unsigned k = 0; k < 3; k++) {
				assert_int_equal(e1000_recv(&d, r, sizeof(r)), sizeof(f));
				assert_int_equal(seq_of(r), 1000 + i - 2 + k);
			}
	}
	while (e1000_recv(&d, r, sizeof(r)))
		;
	assert_int_equal(d.rx_frames, N_RX - 1 + 4 + 2 * N_RX);
	clean();
}

static void test_rx_too_long(void **state)
{
	struct e1000_dev d;
	uint8_t f[3000], g[200], r[E1000_BUF_SIZE];
	init_ok(&d);
	make_frame(f, 1000, MAC, 1);
	wire_push(f, 1000, 0);
	assert_int_equal(e1000_recv(&d, r, 999), 0);
	assert_int_equal(d.rx_dropped, 1);
	assert_int_equal(*reg(RDT), 0);                        /* the descriptor went back all the same */
	wire_push(f, 1000, 0);
	assert_int_equal(e1000_recv(&d, r, 1000), 1000);
	assert_memory_equal(r, f, 1000);
	/* Dropped ahead of a good frame: the same call returns the good one. */
	make_frame(g, sizeof(g), MAC, 2);
	wire_push(f, 1200, 0);
	wire_push(g, sizeof(g), 0);
	assert_int_equal(e1000_recv(&d, r, 500), sizeof(g));
	assert_memory_equal(r, g, sizeof(g));
	assert_int_equal(d.rx_dropped, 2);
	/* A frame over two descriptors (no EOP on the first) is dropped whole, counted once. */
	make_frame(f, sizeof(f), MAC, 3);
	wire_push(f, sizeof(f), 0);
	wire_push(g, sizeof(g), 0);
	assert_int_equal(M.placed, 6);
	assert_int_equal(e1000_recv(&d, r, sizeof(r)), sizeof(g));
	assert_memory_equal(r, g, sizeof(g));
	assert_int_equal(d.rx_dropped, 3);
	assert_false(d.rx_skip);
	wire_push(f, sizeof(f), 0);
	assert_int_equal(e1000_recv(&d, r, sizeof(r)), 0);
	assert_int_equal(d.rx_dropped, 4);
	assert_int_equal(d.rx_frames, 3);
	/* max 0: everything dropped, nothing written. */
	wire_push(g, sizeof(g), 0);
	assert_int_equal(e1000_recv(&d, NULL, 0), 0);
	assert_int_equal(d.rx_dropped, 5);
	clean();
}

static void test_rx_errors(void **state)
{
	static const uint8_t errs[] = { 0x01, 0x02, 0x04, 0x80 };    /* CE, SE, SEQ, RXE */
	struct e1000_dev d;
	uint8_t f[300], r[300];
	init_ok(&d);
	for (unsigned i = 0; i < ARRAY_SIZE(errs); i++) {
		make_frame(f, sizeof(f), MAC, i);
		wire_push(f, sizeof(f), errs[i]);
		assert_int_equal(e1000_recv(&d, r, sizeof(r)), 0);
		assert_int_equal(d.rx_dropped, i + 1);
	}
	wire_push(f, sizeof(f), 0x01);
	make_frame(f, sizeof(f), MAC, 99);
	wire_push(f, sizeof(f), 0);
	assert_int_equal(e1000_recv(&d, r, sizeof(r)), sizeof(f));
	assert_int_equal(seq_of(r), 99);
	assert_int_equal(d.rx_dropped, ARRAY_SIZE(errs) + 1);
	assert_int_equal(d.rx_frames, 1);
	clean();
}

static void test_rx_filter(void **state)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	struct e1000_dev d;
	uint8_t f[100], r[100];
	init_ok(&d);
	make_frame(f, sizeof(f), OTHER, 1);                    /* the stale RA entry was cleared */
	wire_push(f, sizeof(f), 0);
	make_frame(f, sizeof(f), mcast, 2);
	wire_push(f, sizeof(f), 0);
	assert_int_equal(M.filtered, 2);
	assert_int_equal(e1000_recv(&d, r, sizeof(r)), 0);
	make_frame(f, sizeof(f), bcast, 3);
	wire_push(f, sizeof(f), 0);
	assert_int_equal(e1000_recv(&d, r, sizeof(r)), sizeof(f));
	assert_int_equal(seq_of(r), 3);
	assert_int_equal(d.rx_dropped, 0);
	clean();
}

/* ---- transmit errors ---- */

static void test_send_bad_length(void **state)
{
	static const unsigned bad[] = { 0, 1, 13, E1000_MAX_FRAME + 1, E1000_BUF_SIZE, 65536, UINT_MAX };
	struct e1000_dev d;
	static uint8_t f[65536];
	init_ok(&d);
	unsigned long rd = M.reads, wr = M.writes, dl = M.delays;
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		expect_error(&d, e1000_send(&d, f, bad[i]), "length");
	assert_int_equal(M.reads, rd);
	assert_int_equal(M.writes, wr);
	assert_int_equal(M.delays, dl);
	assert_int_equal(M.nsent, 0);
	assert_int_equal(d.tx_next, 0);
	assert_int_equal(d.tx_errors, 0);
	/* The edges. */
	make_frame(f, E1000_MAX_FRAME, PEER, 1);
	assert_int_equal(e1000_send(&d, f, 14), 0);
	assert_int_equal(e1000_send(&d, f, E1000_MAX_FRAME), 0);
	expect_sent(0, f, 14);
	expect_sent(1, f, E1000_MAX_FRAME);
	clean();
}

static void test_not_initialised(void **state)
{
	struct e1000_dev d;
	uint8_t f[64];
	memset(&d, 0, sizeof(d));
	make_frame(f, sizeof(f), PEER, 0);
	expect_error(&d, e1000_send(&d, f, sizeof(f)), "not initialised");
	assert_int_equal(e1000_recv(&d, f, sizeof(f)), 0);
	assert_false(e1000_link_up(&d));
	e1000_stop(&d);
	assert_int_equal(M.reads + M.writes + M.delays, 0);
}

static void test_tx_delayed_dd(void **state)
{
	struct e1000_dev d;
	uint8_t f[64];
	init_ok(&d);
	M.tx_delay = 5000;
	unsigned long dl = M.delays;
	make_frame(f, sizeof(f), PEER, 0);
	assert_int_equal(e1000_send(&d, f, sizeof(f)), 0);
	assert_true(M.delays - dl >= 5000);
	expect_sent(0, f, sizeof(f));
	assert_int_equal(d.tx_frames, 1);
	clean();
}

static void test_tx_timeout(void **state)
{
	struct e1000_dev d;
	uint8_t f[N_TX + 1][80];
	init_ok(&d);
	M.tx_hang = true;
	for (unsigned i = 0; i <= N_TX; i++)
		make_frame(f[i], sizeof(f[i]), PEER, i);
	unsigned long dl = M.delays;
	expect_error(&d, e1000_send(&d, f[0], sizeof(f[0])), "timeout");
	assert_true(M.delays - dl >= TX_POLLS && M.delays - dl <= TX_POLLS + 2);
	assert_int_equal(d.tx_errors, 1);
	assert_int_equal(M.nsent, 0);
	/* N - 1 descriptors can wait on the device; then the ring is full and TDT stays put. */
	for (unsigned i = 1; i < N_TX - 1; i++)
		expect_error(&d, e1000_send(&d, f[i], sizeof(f[i])), "timeout");
	assert_int_equal(*reg(TDT), N_TX - 1);
	unsigned tdt_writes = count_writes(TDT, 0);
	dl = M.delays;
	expect_error(&d, e1000_send(&d, f[N_TX - 1], sizeof(f[0])), "ring full");
	assert_true(M.delays - dl <= TX_POLLS + 2);
	assert_int_equal(count_writes(TDT, 0), tdt_writes);
	assert_int_equal(d.tx_errors, N_TX);
	assert_int_equal(M.nsent, 0);
	/* The device wakes up: the stuck frames go out late, in order, and sending works again. */
	M.tx_hang = false;
	assert_int_equal(e1000_send(&d, f[N_TX], sizeof(f[0])), 0);
	assert_int_equal(M.nsent, N_TX);
	for (unsigned i = 0; i < N_TX - 1; i++)
		expect_sent(i, f[i], sizeof(f[i]));
	expect_sent(N_TX - 1, f[N_TX], sizeof(f[0]));
	assert_int_equal(*reg(TDT), 0);
	assert_int_equal(d.tx_frames, 1);
	clean();
}

/* ---- stop ---- */

static void test_stop_and_reinit(void **state)
{
	struct e1000_dev d;
	uint8_t f[200], r[200], ring[N_RX * 16];
	init_ok(&d);
	for (unsigned i = 0; i < 5; i++) {
		make_frame(f, sizeof(f), MAC, i);
		assert_int_equal(e1000_send(&d, f, sizeof(f)), 0);
		wire_push(f, sizeof(f), 0);
	}
	assert_int_equal(e1000_recv(&d, r, sizeof(r)), sizeof(f));   /* four left in the ring */
	unsigned ndma = M.ndma;
	e1000_stop(&d);
	assert_int_equal(*reg(RCTL), 0);
	assert_int_equal(*reg(TCTL), 0);
	assert_int_equal(M.ims, 0);
	assert_int_equal(M.resets, 2);
	assert_false(M.resetting);
	assert_false(e1000_link_up(&d));                      /* reset dropped SLU */
	/* Quiet: nothing reaches memory, nothing goes out. */
	memcpy(ring, d.rx_ring, sizeof(ring));
	unsigned placed = M.placed, missed = M.missed;
	wire_push(f, sizeof(f), 0);
	assert_int_equal(M.placed, placed);
	assert_int_equal(M.missed, missed + 1);
	assert_memory_equal(ring, d.rx_ring, sizeof(ring));
	unsigned long rd = M.reads, wr = M.writes;
	expect_error(&d, e1000_send(&d, f, sizeof(f)), "not initialised");
	assert_int_equal(e1000_recv(&d, r, sizeof(r)), 0);
	assert_int_equal(M.reads, rd);
	assert_int_equal(M.writes, wr);
	/* Init again: same memory, empty rings, traffic flows. */
	assert_int_equal(e1000_init(&d, &ENV), 0);
	assert_int_equal(M.ndma, ndma);
	check_rings(&d);
	assert_int_equal(e1000_recv(&d, r, sizeof(r)), 0);     /* the old frames are gone */
	for (unsigned i = 0; i < N_RX + 3; i++) {
		make_frame(f, sizeof(f), MAC, 100 + i);
		assert_int_equal(e1000_send(&d, f, sizeof(f)), 0);
		wire_push(f, sizeof(f), 0);
		assert_int_equal(e1000_recv(&d, r, sizeof(r)), sizeof(f));
		assert_int_equal(seq_of(r), 100 + i);
	}
	assert_int_equal(d.tx_frames, N_RX + 3);
	assert_int_equal(d.rx_frames, N_RX + 3);
	/* A reset that never finishes on stop: said so, still bounded, RX/TX off first. */
	M.rst_stuck = true;
	unsigned long cr = M.ctrl_reads;
	e1000_stop(&d);
	assert_non_null(d.last_error);
	assert_non_null(strstr(d.last_error, "reset"));
	assert_true(M.ctrl_reads - cr <= RESET_POLLS + 2);
	assert_int_equal(*reg(RCTL), 0);
	assert_int_equal(*reg(TCTL), 0);
	clean();
}

static void test_link(void **state)
{
	struct e1000_dev d;
	M.cable = false;
	init_ok(&d);
	assert_false(e1000_link_up(&d));
	M.cable = true;
	assert_true(e1000_link_up(&d));
	clean();
}

/* ---- the model itself ---- */

/* Buffer addresses outside DMA memory are flagged and never dereferenced. */
static void test_model_flags_bad_dma(void **state)
{
	struct e1000_dev d;
	uint8_t f[100], r[100];
	init_ok(&d);
	M.quiet = true;
	d.rx_buf_phys[0] = M.bus_base - 0x10000;
	for (unsigned i = 0; i < 2; i++) {
		make_frame(f, sizeof(f), MAC, i);
		wire_push(f, sizeof(f), 0);
		assert_int_equal(e1000_recv(&d, r, sizeof(r)), sizeof(f));
	}
	assert_int_equal(M.violations, 1);                    /* descriptor 0 given back at RDT = 1 */
	M.violations = 0;
	d.tx_buf_phys[d.tx_next] = M.next_bus + 0x100000;
	make_frame(f, sizeof(f), PEER, 0);
	assert_int_equal(e1000_send(&d, f, sizeof(f)), 0);
	assert_true(M.violations >= 1);
	assert_int_equal(M.nsent, 0);
	/* A range running off the end of a block is not DMA memory either. */
	assert_null(dma_find(M.dma[0].bus + 4095, 2));
	assert_non_null(dma_find(M.dma[0].bus + 4094, 2));
	M.violations = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mac_from_eeprom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mac_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eerd_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_stuck, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_alloc_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_ring_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_bad_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_initialised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_delayed_dd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_and_reinit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_flags_bad_dma, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
