/*
 * Polled PIO driver for one ATA disk on a legacy IDE channel, written from
 * ATA/ATAPI-6: IDENTIFY DEVICE, READ/WRITE SECTORS (EXT), FLUSH CACHE (EXT).
 * odv-hv runs it with interrupts off, so every wait polls status a bounded
 * number of times, and nIEN stays set: the channel's IRQ belongs to the guest.
 */
#include "ata.h"

#ifndef ATA_POLL_LIMIT
#define ATA_POLL_LIMIT 10000000u    /* status reads per wait; Bochs needs millions */
#endif

/* Command block registers, offsets from cmd_base (reads / writes). */
#define REG_DATA      0
#define REG_ERROR     1             /* features when written */
#define REG_COUNT     2
#define REG_LBA_LO    3
#define REG_LBA_MID   4
#define REG_LBA_HI    5
#define REG_DEVICE    6
#define REG_STATUS    7             /* command when written */

#define ST_BSY   0x80
#define ST_DRDY  0x40
#define ST_DF    0x20
#define ST_DRQ   0x08
#define ST_ERR   0x01
#define ST_FAIL  (ST_ERR | ST_DF)

#define DEV_OBS   0xa0              /* bits 7 and 5: obsolete, set by convention */
#define DEV_LBA   0x40
#define DEV_SLAVE 0x10
#define CTL_NIEN  0x02

#define CMD_READ       0x20
#define CMD_READ_EXT   0x24
#define CMD_WRITE      0x30
#define CMD_WRITE_EXT  0x34
#define CMD_FLUSH      0xe7
#define CMD_FLUSH_EXT  0xea
#define CMD_IDENTIFY   0xec

#define LBA28_LIMIT   (1ull << 28)
#define SECTOR_BYTES  512u
#define SECTOR_WORDS  256u
#define MAX_COUNT     256u          /* what the LBA28 count register can say (0 = 256) */

/* ---- port access ---- */

static uint8_t rd(const struct ata_dev *d, unsigned reg)
{
	return d->io.inb(d->io.ctx, (uint16_t)(d->cmd_base + reg));
}

static void wr(const struct ata_dev *d, unsigned reg, uint8_t v)
{
	d->io.outb(d->io.ctx, (uint16_t)(d->cmd_base + reg), v);
}

/* Status is not valid for 400 ns after a select or a command; four alternate status reads cover it. */
static void delay400(const struct ata_dev *d)
{
	for (int i = 0; i < 4; i++)
		(void)d->io.inb(d->io.ctx, d->ctl_base);
}

/*
 * Select the device. Device control is written first, every time: it costs
 * one write and means nothing (a reset, firmware) can leave INTRQ enabled on
 * a line that is routed to the guest.
 */
static void select_dev(const struct ata_dev *d, uint8_t bits)
{
	d->io.outb(d->io.ctx, d->ctl_base, CTL_NIEN);
	wr(d, REG_DEVICE, (uint8_t)(DEV_OBS | (d->slave ? DEV_SLAVE : 0) | bits));
	delay400(d);
}

/*
 * Poll status until BSY is clear and either (status & mask) == want or a bit
 * of `stop` is set. The status, or -1 after ATA_POLL_LIMIT reads. Reading the
 * status register (not the alternate) also acknowledges any pending interrupt.
 */
static int wait_status(const struct ata_dev *d, uint8_t mask, uint8_t want, uint8_t stop)
{
	for (uint32_t i = 0; i < ATA_POLL_LIMIT; i++) {
		uint8_t s = rd(d, REG_STATUS);
		if (s & ST_BSY)
			continue;
		if ((s & mask) == want || (s & stop))
			return s;
	}
	return -1;
}

/* ---- error messages ---- */

static char msg[96];                /* the last formatted error; overwritten by the next one */

struct buf { char *p; unsigned len, cap; };

static void put_str(struct buf *b, const char *s)
{
	while (*s && b->len + 1 < b->cap)
		b->p[b->len++] = *s++;
	b->p[b->len] = '\0';
}

static void put_hex(struct buf *b, uint64_t v, unsigned min_digits)
{
	char t[16];
	unsigned n = 0;
	do {
		t[n++] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v || n < min_digits);
	put_str(b, "0x");
	while (n && b->len + 1 < b->cap)
		b->p[b->len++] = t[--n];
	b->p[b->len] = '\0';
}

static int fail(struct ata_dev *d, const char *why)
{
	d->last_error = why;
	return -1;
}

/* "<op> failed [at LBA 0x..]: status 0x.. error 0x..", with the device's error register. */
static int fail_dev(struct ata_dev *d, const char *op, bool has_lba, uint64_t lba, uint8_t status)
{
	struct buf b = { msg, 0, sizeof(msg) };
	put_str(&b, op);
	put_str(&b, status & ST_DF ? " failed (device fault)" : " failed");
	if (has_lba) {
		put_str(&b, " at LBA ");
		put_hex(&b, lba, 1);
	}
	put_str(&b, ": status ");
	put_hex(&b, status, 2);
	put_str(&b, " error ");
	put_hex(&b, rd(d, REG_ERROR), 2);
	return fail(d, msg);
}

/* ---- IDENTIFY ---- */

static void read_words(const struct ata_dev *d, uint16_t *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		w[i] = d->io.inw(d->io.ctx, (uint16_t)(d->cmd_base + REG_DATA));
}

/* An ATAPI device aborts IDENTIFY DEVICE and leaves its signature in LBA mid/high. */
static bool atapi_signature(const struct ata_dev *d)
{
	uint8_t mid = rd(d, REG_LBA_MID), hi = rd(d, REG_LBA_HI);
	return (mid == 0x14 && hi == 0xeb) || (mid == 0x69 && hi == 0x96);
}

/*
 * An IDENTIFY string (model: words 27..46; serial: words 10..19): two
 * characters a word, the first in the high byte, space padded (serials often
 * on the left). Spaces at either end go; what is left must be printable (it
 * ends up in logs and in the guest's virtio-blk serial).
 */
static void copy_id_string(char *out, const uint16_t *id, unsigned first, unsigned last)
{
	unsigned n = 0, skip = 0;
	for (unsigned w = first; w <= last; w++) {
		out[n++] = (char)(id[w] >> 8);
		out[n++] = (char)id[w];
	}
	out[n] = '\0';
	while (n && (out[n - 1] == ' ' || out[n - 1] == '\0'))
		out[--n] = '\0';
	while (skip < n && out[skip] == ' ')
		skip++;
	for (unsigned i = 0; i + skip <= n; i++)
		out[i] = out[i + skip];
	for (unsigned i = 0; out[i]; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			out[i] = '?';
}

static uint64_t words(const uint16_t *id, unsigned first, unsigned n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 16 | id[first + n];
	return v;
}

static int parse_identify(struct ata_dev *d, const uint16_t *id)
{
	if (id[0] & 0x8000)
		return fail(d, "IDENTIFY word 0: not an ATA device");
	if (!(id[49] & (1u << 9)))
		return fail(d, "device does not support LBA addressing");
	copy_id_string(d->model, id, 27, 46);
	copy_id_string(d->serial, id, 10, 19);
	/* Word 83 only counts when bits 15:14 read 01. */
	d->lba48 = (id[83] & 0xc000) == 0x4000 && (id[83] & (1u << 10));
	uint64_t n = d->lba48 ? words(id, 100, 4) : 0;
	if (n == 0)
		n = words(id, 60, 2);
	if (n == 0)
		return fail(d, "IDENTIFY reports no sectors");
	d->sectors = n;
	return 0;
}

/* Issue IDENTIFY DEVICE and take its data block; d->sectors is set only on success. */
static int identify(struct ata_dev *d)
{
	uint16_t id[SECTOR_WORDS];
	select_dev(d, 0);
	uint8_t s = rd(d, REG_STATUS);
	/* A packet device may read 0x00 (DRDY clear) but still shows its reset signature. */
	if (s == 0x00 && atapi_signature(d))
		return fail(d, "ATAPI device (CD/DVD), not a disk");
	if (s == 0x00 || s == 0xff)                /* nothing drives the bus */
		return fail(d, "no device");
	if (wait_status(d, 0, 0, 0) < 0)
		return fail(d, "timeout waiting for BSY to clear before IDENTIFY");
	wr(d, REG_STATUS, CMD_IDENTIFY);
	delay400(d);
	if (wait_status(d, 0, 0, 0) < 0)
		return fail(d, "timeout waiting for IDENTIFY (BSY stuck)");
	if (atapi_signature(d))
		return fail(d, "ATAPI device (CD/DVD), not a disk");
	int st = wait_status(d, ST_DRQ, ST_DRQ, ST_FAIL);
	if (st < 0)
		return fail(d, "timeout waiting for IDENTIFY data (DRQ)");
	if (st & ST_FAIL)
		return fail_dev(d, "IDENTIFY", false, 0, (uint8_t)st);
	read_words(d, id, SECTOR_WORDS);
	return parse_identify(d, id);
}

int ata_probe(struct ata_dev *d, const struct ata_io *io, uint16_t cmd_base, uint16_t ctl_base,
	      bool slave)
{
	d->io = *io;
	d->cmd_base = cmd_base;
	d->ctl_base = ctl_base;
	d->slave = slave;
	d->lba48 = false;
	d->sectors = 0;                            /* read/write refuse until a probe succeeds */
	d->model[0] = '\0';
	d->serial[0] = '\0';
	d->last_error = NULL;
	return identify(d);
}

/* ---- data transfers ---- */

/* Refuse a request before any port is touched. */
static int check_request(struct ata_dev *d, uint64_t lba, unsigned count)
{
	if (d->sectors == 0)
		return fail(d, "no disk (not probed)");
	if (count == 0 || count > MAX_COUNT)
		return fail(d, "sector count must be 1..256");
	if (lba >= d->sectors || count > d->sectors - lba)
		return fail(d, "request beyond the end of the disk");
	if (lba + count > LBA28_LIMIT && !d->lba48)
		return fail(d, "beyond LBA28 and no LBA48");
	return 0;
}

/*
 * Select, wait for the device to be ready, load the registers and issue the
 * command. LBA48 only when the request needs it: the 28-bit commands work on
 * every ATA disk. With LBA48 each register is a two-deep FIFO, so the
 * high-order bytes go in first.
 */
static int issue(struct ata_dev *d, uint8_t cmd28, uint8_t cmd48, uint64_t lba, unsigned count)
{
	bool ext = lba + count > LBA28_LIMIT;
	select_dev(d, (uint8_t)(DEV_LBA | (ext ? 0 : (lba >> 24) & 0x0f)));
	if (wait_status(d, ST_DRDY | ST_DRQ, ST_DRDY, 0) < 0)
		return fail(d, "timeout waiting for the device to become ready");
	if (ext) {
		wr(d, REG_COUNT, (uint8_t)(count >> 8));
		wr(d, REG_LBA_LO, (uint8_t)(lba >> 24));
		wr(d, REG_LBA_MID, (uint8_t)(lba >> 32));
		wr(d, REG_LBA_HI, (uint8_t)(lba >> 40));
	}
	wr(d, REG_COUNT, (uint8_t)count);          /* 256 becomes 0, which means 256 */
	wr(d, REG_LBA_LO, (uint8_t)lba);
	wr(d, REG_LBA_MID, (uint8_t)(lba >> 8));
	wr(d, REG_LBA_HI, (uint8_t)(lba >> 16));
	wr(d, REG_STATUS, ext ? cmd48 : cmd28);
	delay400(d);
	return 0;
}

/* Wait for the device to ask for (or offer) the next sector. */
static int wait_drq(struct ata_dev *d, const char *op, uint64_t lba)
{
	int st = wait_status(d, ST_DRQ, ST_DRQ, ST_FAIL);
	if (st < 0)
		return fail(d, "timeout waiting for DRQ");
	if (st & ST_FAIL)
		return fail_dev(d, op, true, lba, (uint8_t)st);
	return 0;
}

/* Wait for BSY to clear after the last data of a command; report ERR/DF. */
static int wait_done(struct ata_dev *d, const char *op, bool has_lba, uint64_t lba)
{
	int st = wait_status(d, 0, 0, 0);
	if (st < 0)
		return fail(d, "timeout waiting for BSY to clear");
	if (st & ST_FAIL)
		return fail_dev(d, op, has_lba, lba, (uint8_t)st);
	return 0;
}

/* Byte by byte: the buffer need not be aligned; the first byte is the word's low byte. */
static void read_sector(const struct ata_dev *d, uint8_t *p)
{
	for (unsigned i = 0; i < SECTOR_WORDS; i++) {
		uint16_t w = d->io.inw(d->io.ctx, (uint16_t)(d->cmd_base + REG_DATA));
		p[2 * i] = (uint8_t)w;
		p[2 * i + 1] = (uint8_t)(w >> 8);
	}
}

static void write_sector(const struct ata_dev *d, const uint8_t *p)
{
	for (unsigned i = 0; i < SECTOR_WORDS; i++)
		d->io.outw(d->io.ctx, (uint16_t)(d->cmd_base + REG_DATA),
			   (uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
}

int ata_read(struct ata_dev *d, uint64_t lba, unsigned count, void *buf)
{
	uint8_t *p = buf;
	if (check_request(d, lba, count) || issue(d, CMD_READ, CMD_READ_EXT, lba, count))
		return -1;
	for (unsigned i = 0; i < count; i++, p += SECTOR_BYTES) {
		if (wait_drq(d, "read", lba + i))
			return -1;
		read_sector(d, p);
	}
	return wait_done(d, "read", true, lba + count - 1);
}

/* Each sector: wait DRQ, send it, then wait for the device to take it and check ERR/DF. */
int ata_write(struct ata_dev *d, uint64_t lba, unsigned count, const void *buf)
{
	const uint8_t *p = buf;
	if (check_request(d, lba, count) || issue(d, CMD_WRITE, CMD_WRITE_EXT, lba, count))
		return -1;
	for (unsigned i = 0; i < count; i++, p += SECTOR_BYTES) {
		if (wait_drq(d, "write", lba + i))
			return -1;
		write_sector(d, p);
		delay400(d);                       /* BSY may take 400 ns to show */
		if (wait_done(d, "write", true, lba + i))
			return -1;
	}
	return 0;
}

/* FLUSH CACHE EXT when the device has LBA48 (it can report a failing LBA beyond 2^28). */
int ata_flush(struct ata_dev *d)
{
	if (d->sectors == 0)
		return fail(d, "no disk (not probed)");
	select_dev(d, DEV_LBA);
	if (wait_status(d, ST_DRDY | ST_DRQ, ST_DRDY, 0) < 0)
		return fail(d, "timeout waiting for the device to become ready");
	wr(d, REG_STATUS, d->lba48 ? CMD_FLUSH_EXT : CMD_FLUSH);
	delay400(d);
	return wait_done(d, "FLUSH CACHE", false, 0);
}
