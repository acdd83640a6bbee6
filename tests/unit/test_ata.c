/*
 * Host unit tests for drivers/ata.c: probe, PIO read/write and flush against
 * a model of one IDE channel with a master and a slave ATA device (register
 * file per device, BSY for a set number of status reads, DRQ data phases, a
 * sparse RAM disk, injected faults).
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

#include "ata.h"

#define RNG_SEED 0x0a7a5eed12345678ull
#include "prng.h"

#define CMD 0x1f0
#define CTL 0x3f6

#define BSY  0x80
#define DRDY 0x40
#define DF   0x20
#define DRQ  0x08
#define ERR  0x01
#define ABRT 0x04
#define IDNF 0x10
#define UNC  0x40

#define POLL_LIMIT 10000000u        /* ata.c's ATA_POLL_LIMIT */
#define STORE_MAX  1024             /* sectors the sparse disk can hold written */
#define LOG_MAX    256

/* ---- the device model ---- */

struct sector { uint64_t lba; uint8_t data[512]; };

enum next { NEXT_IN, NEXT_OUT, NEXT_COMMIT, NEXT_DONE, NEXT_ABORT, NEXT_IDNF, NEXT_ATAPI };

struct disk {
	/* configuration */
	bool present;
	uint8_t absent_status;      /* what reads return with no device: 0xff (floating) or 0x00 */
	uint8_t sig_mid, sig_hi;    /* nonzero: an ATAPI device with this signature */
	bool stuck;                 /* BSY never clears */
	bool no_lba48;
	bool raw_lba28;             /* words 60-61 give the size even past 2^28 (a broken device) */
	unsigned busy;              /* status reads BSY lasts after a command or a written block */
	uint64_t sectors;
	const char *model;
	const char *serial;     /* NULL: all spaces */
	int64_t err_lba;            /* sector that fails to read or write (-1: none) */
	uint8_t err_code;
	bool err_df;                /* ... with DF (device fault) rather than ERR */
	uint8_t reject_cmd;         /* command aborted with ABRT (0: none) */
	/* registers: [0] the last byte written, [1] the one before (the LBA48 high-order byte) */
	uint8_t feat[2], count[2], lo[2], mid[2], hi[2];
	uint8_t dev, status, error;
	/* state */
	unsigned busy_left;
	enum next next;
	bool in, out, identify;     /* data phase direction; the data-in block is IDENTIFY data */
	uint64_t lba;
	unsigned left, word;
	uint16_t buf[256];
	struct sector *store;
	unsigned nstore;
};

struct outb { uint16_t port; uint8_t v; };

struct cmdlog {
	uint8_t cmd, dev, devctl;
	uint8_t count[2], lo[2], mid[2], hi[2];
	struct outb before[8];      /* the eight byte writes before the command, oldest first */
};

struct chan {
	struct disk d[2];
	uint8_t devctl;
	bool srst_seen;
	struct cmdlog log[LOG_MAX];
	unsigned ncmd;
	struct outb recent[16];     /* ring of the latest byte writes */
	unsigned nout;
	unsigned writes;            /* every outb and outw */
	unsigned status_reads;
	unsigned violations;        /* protocol rules the driver broke */
};

static struct chan ch;

static struct disk *sel(void) { return &ch.d[(ch.d[0].dev >> 4) & 1]; }

static void violation(const char *what)
{
	print_error("driver broke the protocol: %s\n", what);
	ch.violations++;
}

/* Contents of a sector nobody wrote: a function of its LBA. */
static uint8_t pat(uint64_t lba, unsigned i)
{
	uint64_t x = (lba + 1) * 0x9e3779b97f4a7c15ull + i * 0xbf58476d1ce4e5b9ull;
	return (uint8_t)(x >> 56 ^ x >> 29);
}

static struct sector *find(struct disk *k, uint64_t lba)
{
	for (unsigned i = 0; i < k->nstore; i++)
		if (k->store[i].lba == lba)
			return &k->store[i];
	return NULL;
}

static void load(struct disk *k, uint64_t lba)
{
	struct sector *s = find(k, lba);
	for (unsigned w = 0; w < 256; w++)
		k->buf[w] = s ? (uint16_t)(s->data[2 * w] | s->data[2 * w + 1] << 8)
			      : (uint16_t)(pat(lba, 2 * w) | pat(lba, 2 * w + 1) << 8);
}

static void commit(struct disk *k, uint64_t lba)
{
	struct sector *s = find(k, lba);
	if (!s) {
		assert_true(k->nstore < STORE_MAX);
		s = &k->store[k->nstore++];
		s->lba = lba;
	}
	for (unsigned w = 0; w < 256; w++) {
		s->data[2 * w] = (uint8_t)k->buf[w];
		s->data[2 * w + 1] = (uint8_t)(k->buf[w] >> 8);
	}
}

static void fill_identify(struct disk *k)
{
	uint16_t *w = k->buf;
	char m[40];
	memset(w, 0, 512);
	memset(m, ' ', 40);
	memcpy(m, k->model, strlen(k->model) < 40 ? strlen(k->model) : 40);
	w[0] = 0x0040;                                      /* fixed disk, ATA */
	for (unsigned i = 0; i < 20; i++)
		w[27 + i] = (uint16_t)((uint8_t)m[2 * i] << 8 | (uint8_t)m[2 * i + 1]);
	/* the serial right-aligned, as many drives pad it */
	char s[20];
	memset(s, ' ', 20);
	size_t sl = k->serial ? strlen(k->serial) : 0;
	memcpy(s + 20 - (sl < 20 ? sl : 20), k->serial ? k->serial : "", sl < 20 ? sl : 20);
	for (unsigned i = 0; i < 10; i++)
		w[10 + i] = (uint16_t)((uint8_t)s[2 * i] << 8 | (uint8_t)s[2 * i + 1]);
	w[49] = 1u << 9;                                    /* LBA supported */
	uint64_t n28 = k->sectors;
	if (!k->raw_lba28 && n28 > 0x0fffffff)
		n28 = 0x0fffffff;
	w[60] = (uint16_t)n28;
	w[61] = (uint16_t)(n28 >> 16);
	w[83] = 0x4000 | (k->no_lba48 ? 0 : 1u << 10);
	for (unsigned i = 0; !k->no_lba48 && i < 4; i++)
		w[100 + i] = (uint16_t)(k->sectors >> 16 * i);
}

static bool failing(struct disk *k)
{
	if ((int64_t)k->lba != k->err_lba)
		return false;
	k->status = k->err_df ? DRDY | DF : DRDY | ERR;
	k->error = k->err_code;
	k->in = k->out = false;
	return true;
}

/* What the device does once BSY drops. */
static void advance(struct disk *k)
{
	k->word = 0;
	switch (k->next) {
	case NEXT_IN:
		if (!k->identify && failing(k))
			break;
		if (k->identify)
			fill_identify(k);
		else
			load(k, k->lba);
		k->in = true;
		k->status = DRDY | DRQ;
		break;
	case NEXT_OUT:
		k->out = true;
		k->status = DRDY | DRQ;
		break;
	case NEXT_COMMIT:
		if (failing(k))
			break;
		commit(k, k->lba++);
		k->out = --k->left > 0;
		k->status = k->out ? DRDY | DRQ : DRDY;
		break;
	case NEXT_DONE:
		k->status = DRDY;
		break;
	case NEXT_ABORT:
	case NEXT_IDNF:
		k->status = DRDY | ERR;
		k->error = k->next == NEXT_ABORT ? ABRT : IDNF;
		break;
	case NEXT_ATAPI:                                     /* abort, signature, DRDY clear */
		k->status = ERR;
		k->error = ABRT;
		k->count[0] = k->lo[0] = 1;
		k->mid[0] = k->sig_mid;
		k->hi[0] = k->sig_hi;
		break;
	}
}

static void go_busy(struct disk *k, enum next n)
{
	k->next = n;
	k->in = k->out = false;
	k->status = DRDY;
	k->busy_left = k->busy;
	if (!k->busy)
		advance(k);
}

static uint8_t status_of(struct disk *k)
{
	ch.status_reads++;
	if (!k->present)
		return k->absent_status;
	if (k->stuck)
		return BSY;
	if (k->busy_left) {
		if (--k->busy_left == 0)
			advance(k);
		return BSY;
	}
	return k->status;
}

static bool data_ready(struct disk *k)
{
	return k->present && !k->stuck && !k->busy_left && (k->status & DRQ);
}

static void rw_command(struct disk *k, uint8_t c)
{
	bool ext = c & 4, rd = c < 0x30;
	uint64_t lba;
	unsigned count;
	if (ext) {
		lba = (uint64_t)k->lo[0] | (uint64_t)k->mid[0] << 8 | (uint64_t)k->hi[0] << 16 |
		      (uint64_t)k->lo[1] << 24 | (uint64_t)k->mid[1] << 32 | (uint64_t)k->hi[1] << 40;
		count = (unsigned)(k->count[0] | k->count[1] << 8);
		count = count ? count : 65536;
	} else {
		lba = (uint64_t)k->lo[0] | (uint64_t)k->mid[0] << 8 | (uint64_t)k->hi[0] << 16 |
		      (uint64_t)(k->dev & 0x0f) << 24;
		count = k->count[0] ? k->count[0] : 256;
	}
	if ((ext && k->no_lba48) || !(k->dev & 0x40)) {       /* no LBA48, or CHS addressing */
		go_busy(k, NEXT_ABORT);
		return;
	}
	if (lba >= k->sectors || count > k->sectors - lba) {
		go_busy(k, NEXT_IDNF);
		return;
	}
	k->lba = lba;
	k->left = count;
	k->identify = false;
	go_busy(k, rd ? NEXT_IN : NEXT_OUT);
}

static void command(uint8_t c)
{
	struct disk *k = sel();
	struct cmdlog *l = &ch.log[ch.ncmd < LOG_MAX ? ch.ncmd : LOG_MAX - 1];
	*l = (struct cmdlog){ c, k->dev, ch.devctl, { k->count[0], k->count[1] }, { k->lo[0], k->lo[1] },
			      { k->mid[0], k->mid[1] }, { k->hi[0], k->hi[1] }, { { 0, 0 } } };
	for (unsigned i = 0; i < 8; i++)          /* ch.nout - 1 is the command itself */
		l->before[i] = ch.recent[(ch.nout - 9 + i) % 16];
	ch.ncmd++;
	if (!k->present)
		return;
	if (k->stuck || k->busy_left || (k->status & DRQ))
		violation("command written while BSY or DRQ");
	if (!(ch.devctl & 0x02))
		violation("command issued with nIEN clear");
	k->error = 0;
	if (k->sig_mid)
		go_busy(k, NEXT_ATAPI);
	else if (c == k->reject_cmd)
		go_busy(k, NEXT_ABORT);
	else if (c == 0xec) {
		k->identify = true;
		k->left = 1;
		go_busy(k, NEXT_IN);
	} else if (c == 0x20 || c == 0x24 || c == 0x30 || c == 0x34)
		rw_command(k, c);
	else if (c == 0xe7 || (c == 0xea && !k->no_lba48))
		go_busy(k, NEXT_DONE);
	else
		go_busy(k, NEXT_ABORT);
}

/* Every device on the channel latches command block writes; the selected one acts. */
static void shift(uint8_t *r, uint8_t v)
{
	r[1] = r[0];
	r[0] = v;
}

static void m_outb(void *ctx, uint16_t port, uint8_t v)
{
	ch.recent[ch.nout++ % 16] = (struct outb){ port, v };
	ch.writes++;
	if (port == CTL) {
		ch.devctl = v;
		ch.srst_seen |= (v & 0x04) != 0;
		return;
	}
	/* Selecting (the device register) is how a driver reaches the other device: allowed. */
	if (port != CMD + 6 && port != CMD + 7 && sel()->present && (sel()->busy_left || sel()->stuck))
		violation("register written while BSY");
	for (int i = 0; i < 2; i++) {
		struct disk *k = &ch.d[i];
		switch (port - CMD) {
		case 1: shift(k->feat, v); break;
		case 2: shift(k->count, v); break;
		case 3: shift(k->lo, v); break;
		case 4: shift(k->mid, v); break;
		case 5: shift(k->hi, v); break;
		case 6: k->dev = v; break;
		case 7: break;
		default: violation("outb to an unknown port");
		}
	}
	if (port == CMD + 7)
		command(v);
}

static uint8_t m_inb(void *ctx, uint16_t port)
{
	struct disk *k = sel();
	if (port == CTL || port == CMD + 7)
		return status_of(k);
	if (!k->present)
		return k->absent_status;
	switch (port - CMD) {
	case 1: return k->error;
	case 2: return k->count[0];
	case 3: return k->lo[0];
	case 4: return k->mid[0];
	case 5: return k->hi[0];
	case 6: return k->dev;
	}
	violation("inb from an unknown port");
	return 0xff;
}

static uint16_t m_inw(void *ctx, uint16_t port)
{
	struct disk *k = sel();
	if (port != CMD || !data_ready(k) || !k->in) {
		violation("data read without DRQ");
		return 0xffff;
	}
	uint16_t v = k->buf[k->word++];
	if (k->word == 256) {
		k->lba++;
		if (--k->left)
			go_busy(k, NEXT_IN);
		else {
			k->in = false;
			k->status = DRDY;
		}
	}
	return v;
}

static void m_outw(void *ctx, uint16_t port, uint16_t v)
{
	struct disk *k = sel();
	ch.writes++;
	if (port != CMD || !data_ready(k) || !k->out) {
		violation("data write without DRQ");
		return;
	}
	k->buf[k->word++] = v;
	if (k->word == 256)
		go_busy(k, NEXT_COMMIT);
}

static const struct ata_io IO = { m_inb, m_outb, m_inw, m_outw, &ch };

/* ---- helpers ---- */

static void free_stores(void)
{
	free(ch.d[0].store);
	free(ch.d[1].store);
}

static int setup(void **state)
{
	memset(&ch, 0, sizeof(ch));
	ch.d[0].absent_status = ch.d[1].absent_status = 0xff;
	return 0;
}

static int teardown(void **state)
{
	free_stores();
	return 0;
}

/* A present ATA disk as device `which` (0 master, 1 slave). */
static struct disk *disk(int which, uint64_t sectors, const char *model)
{
	struct disk *k = &ch.d[which];
	free(k->store);
	*k = (struct disk){ .present = true, .sectors = sectors, .model = model, .err_lba = -1,
			    .status = DRDY, .busy = 2 };
	k->store = calloc(STORE_MAX, sizeof(*k->store));
	assert_non_null(k->store);
	return k;
}

static void probe(struct ata_dev *d, int which)
{
	int rc = ata_probe(d, &IO, CMD, CTL, which);
	if (rc)
		print_error("probe failed: %s\n", d->last_error);
	assert_int_equal(rc, 0);
}

static const struct cmdlog *last(void)
{
	assert_true(ch.ncmd > 0 && ch.ncmd <= LOG_MAX);
	return &ch.log[ch.ncmd - 1];
}

/* The driver kept to the protocol, and INTRQ stayed masked the whole time. */
static void clean(void)
{
	assert_int_equal(ch.violations, 0);
	assert_false(ch.srst_seen);
	for (unsigned i = 0; i < ch.ncmd && i < LOG_MAX; i++)
		assert_int_equal(ch.log[i].devctl, 0x02);
}

static void expect_pattern(const uint8_t *p, uint64_t lba, unsigned count)
{
	for (unsigned s = 0; s < count; s++)
		for (unsigned i = 0; i < 512; i++)
			if (p[s * 512 + i] != pat(lba + s, i)) {
				print_error("LBA %llu byte %u differs\n", (unsigned long long)(lba + s), i);
				fail();
			}
}

static void random_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

static void expect_error(struct ata_dev *d, int rc, const char *part)
{
	assert_int_equal(rc, -1);
	assert_non_null(d->last_error);
	if (!strstr(d->last_error, part))
		print_error("last_error \"%s\" lacks \"%s\"\n", d->last_error, part);
	assert_non_null(strstr(d->last_error, part));
}

/* ---- probe ---- */

static void test_probe_master_slave(void **state)
{
	disk(0, 20000000, "ODV TEST DISK MASTER")->serial = "SN 0042";
	struct disk *s = disk(1, 1000, "QEMU HARDDISK");
	s->no_lba48 = true;
	struct ata_dev m, sl;
	probe(&m, 0);
	assert_string_equal(m.model, "ODV TEST DISK MASTER");
	assert_string_equal(m.serial, "SN 0042");          /* left padding gone, the inner space kept */
	assert_int_equal(m.sectors, 20000000);
	assert_true(m.lba48);
	assert_false(m.slave);
	assert_int_equal(last()->cmd, 0xec);
	assert_int_equal(last()->dev & 0x10, 0);
	probe(&sl, 1);
	assert_string_equal(sl.model, "QEMU HARDDISK");
	assert_string_equal(sl.serial, "");                 /* all spaces: no serial */
	assert_int_equal(sl.sectors, 1000);
	assert_false(sl.lba48);
	assert_true(sl.slave);
	assert_int_equal(last()->cmd, 0xec);
	assert_int_equal(last()->dev & 0x10, 0x10);
	assert_int_equal(ch.ncmd, 2);
	assert_int_equal(ch.devctl, 0x02);                  /* nIEN set, SRST clear */
	clean();

	/* A model filling all 40 characters; a size only words 100..103 can hold. */
	disk(0, 0x123456789abull, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd");
	probe(&m, 0);
	assert_string_equal(m.model, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd");
	assert_int_equal(m.sectors, 0x123456789abull);
	assert_true(m.lba48);
	/* Without LBA48 the size is words 60-61, at most 2^28 - 1. */
	disk(0, 1ull << 30, "BIG OLD")->no_lba48 = true;
	probe(&m, 0);
	assert_false(m.lba48);
	assert_int_equal(m.sectors, 0x0fffffff);
	/* No BSY at all after the command. */
	disk(1, 77, "FAST")->busy = 0;
	probe(&sl, 1);
	assert_int_equal(sl.sectors, 77);
	clean();
}

static void test_probe_absent(void **state)
{
	struct ata_dev d;
	expect_error(&d, ata_probe(&d, &IO, CMD, CTL, false), "no device");
	assert_int_equal(d.sectors, 0);
	expect_error(&d, ata_probe(&d, &IO, CMD, CTL, true), "no device");
	assert_int_equal(ch.ncmd, 0);
	/* Master present, slave reading 0x00. */
	disk(0, 100, "MASTER");
	ch.d[1].absent_status = 0x00;
	expect_error(&d, ata_probe(&d, &IO, CMD, CTL, true), "no device");
	assert_int_equal(ch.ncmd, 0);
	probe(&d, 0);
	assert_int_equal(d.sectors, 100);
	clean();
}

static void test_probe_atapi(void **state)
{
	static const uint8_t sig[2][2] = { { 0x14, 0xeb }, { 0x69, 0x96 } };
	struct ata_dev d;
	for (int i = 0; i < 2; i++) {
		struct disk *k = disk(1, 0, "CDROM");
		k->sig_mid = sig[i][0];
		k->sig_hi = sig[i][1];
		unsigned n = ch.ncmd;
		int rc = ata_probe(&d, &IO, CMD, CTL, true);
		expect_error(&d, rc, "ATAPI device (CD/DVD), not a disk");
		assert_string_equal(d.last_error, "ATAPI device (CD/DVD), not a disk");
		assert_int_equal(ch.ncmd, n + 1);
		assert_int_equal(last()->cmd, 0xec);
		assert_int_equal(d.sectors, 0);
	}
	/* Status 0x00 (DRDY clear) with the reset signature still in place: no command needed. */
	struct disk *k = disk(0, 0, "CDROM");
	k->sig_mid = 0x14;
	k->sig_hi = 0xeb;
	k->mid[0] = 0x14;
	k->hi[0] = 0xeb;
	k->status = 0x00;
	unsigned n = ch.ncmd;
	expect_error(&d, ata_probe(&d, &IO, CMD, CTL, false), "ATAPI device (CD/DVD), not a disk");
	assert_int_equal(ch.ncmd, n);
	clean();
}

static void test_probe_stuck_busy(void **state)
{
	struct ata_dev d;
	disk(0, 100, "STUCK")->stuck = true;
	expect_error(&d, ata_probe(&d, &IO, CMD, CTL, false), "timeout");
	assert_true(ch.status_reads <= POLL_LIMIT + 100);
	assert_int_equal(ch.ncmd, 0);                       /* nothing written to a busy device */
	/* Busy for longer than the limit once IDENTIFY is issued. */
	disk(0, 100, "SLOW")->busy = POLL_LIMIT + 1000;
	ch.status_reads = 0;
	expect_error(&d, ata_probe(&d, &IO, CMD, CTL, false), "timeout");
	assert_true(ch.status_reads <= POLL_LIMIT + 100);
	assert_int_equal(ch.ncmd, 1);
	assert_int_equal(d.sectors, 0);
}

static void test_probe_identify_aborted(void **state)
{
	struct ata_dev d;
	disk(0, 100, "PICKY")->reject_cmd = 0xec;
	expect_error(&d, ata_probe(&d, &IO, CMD, CTL, false), "error 0x04");
	assert_int_equal(d.sectors, 0);
	clean();
}

/* ---- transfers ---- */

static void test_roundtrip(void **state)
{
	static const unsigned busies[] = { 0, 1, 7 };
	uint8_t *raw = malloc(256 * 512 + 1), *back = malloc(256 * 512 + 1);
	assert_non_null(raw);
	assert_non_null(back);
	uint8_t *w = raw + 1, *r = back + 1;                 /* odd addresses: no alignment assumed */
	for (unsigned b = 0; b < 3; b++) {
		disk(0, 4096, "RT MASTER")->busy = busies[b];
		disk(1, 4096, "RT SLAVE")->busy = busies[b];
		struct ata_dev m, s;
		probe(&m, 0);
		probe(&s, 1);
		random_fill(w, 256 * 512);
		assert_int_equal(ata_write(&m, 100, 256, w), 0);
		assert_int_equal(last()->cmd, 0x30);
		assert_int_equal(last()->count[0], 0);        /* 256 is sent as 0 */
		assert_int_equal(last()->lo[0], 100);
		assert_int_equal(last()->dev, 0xe0);
		memset(r, 0, 256 * 512);
		assert_int_equal(ata_read(&m, 100, 256, r), 0);
		assert_int_equal(last()->cmd, 0x20);
		assert_int_equal(last()->count[0], 0);
		assert_memory_equal(r, w, 256 * 512);
		/* The slave saw none of it. */
		assert_int_equal(ata_read(&s, 100, 256, r), 0);
		assert_int_equal(last()->dev, 0xf0);
		expect_pattern(r, 100, 256);
		/* Straddling unwritten and written sectors. */
		assert_int_equal(ata_read(&m, 50, 100, r), 0);
		assert_int_equal(last()->count[0], 100);
		expect_pattern(r, 50, 50);
		assert_memory_equal(r + 50 * 512, w, 50 * 512);
		/* The last sector, one at a time. */
		assert_int_equal(ata_write(&s, 4095, 1, w + 512), 0);
		assert_int_equal(ata_read(&s, 4095, 1, r), 0);
		assert_memory_equal(r, w + 512, 512);
		assert_int_equal(ata_flush(&m), 0);
		clean();
	}
	free(raw);
	free(back);
}

static void test_lba28_registers(void **state)
{
	uint8_t *buf = malloc(256 * 512);
	assert_non_null(buf);
	struct ata_dev d;
	disk(1, 1ull << 28, "LBA28 EDGE");                   /* LBA48 capable, not needed */
	probe(&d, 1);
	assert_true(d.lba48);
	assert_int_equal(ata_read(&d, 0x0abcdef0, 3, buf), 0);
	const struct cmdlog *l = last();
	assert_int_equal(l->cmd, 0x20);
	assert_int_equal(l->dev, 0xfa);                     /* obsolete bits, LBA, slave, LBA 27:24 */
	assert_int_equal(l->hi[0], 0xbc);
	assert_int_equal(l->mid[0], 0xde);
	assert_int_equal(l->lo[0], 0xf0);
	assert_int_equal(l->count[0], 3);
	expect_pattern(buf, 0x0abcdef0, 3);
	/* Ending exactly at 2^28 still fits 28 bits. */
	assert_int_equal(ata_read(&d, (1ull << 28) - 256, 256, buf), 0);
	assert_int_equal(last()->cmd, 0x20);
	assert_int_equal(last()->dev, 0xff);
	assert_int_equal(last()->count[0], 0);
	expect_pattern(buf, (1ull << 28) - 256, 256);
	clean();
	free(buf);
}

/* The 8 register writes before the last command: high-order bytes, then low-order. */
static void expect_lba48_order(uint64_t lba, unsigned count)
{
	const struct outb *b = last()->before;
	const uint16_t port[8] = { CMD + 2, CMD + 3, CMD + 4, CMD + 5, CMD + 2, CMD + 3, CMD + 4, CMD + 5 };
	const uint8_t v[8] = { (uint8_t)(count >> 8), (uint8_t)(lba >> 24), (uint8_t)(lba >> 32),
			       (uint8_t)(lba >> 40), (uint8_t)count, (uint8_t)lba,
			       (uint8_t)(lba >> 8), (uint8_t)(lba >> 16) };
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(b[i].port, port[i]);
		assert_int_equal(b[i].v, v[i]);
	}
}

static void test_lba48(void **state)
{
	uint8_t *w = malloc(256 * 512), *r = malloc(256 * 512);
	assert_non_null(w);
	assert_non_null(r);
	struct ata_dev d;
	disk(0, (1ull << 28) + 1000, "LBA48");              /* sparse: only written sectors are stored */
	probe(&d, 0);
	assert_true(d.lba48);
	assert_int_equal(d.sectors, (1ull << 28) + 1000);
	/* Crossing 2^28 by one sector. */
	assert_int_equal(ata_read(&d, 0x0fffffff, 2, r), 0);
	const struct cmdlog *l = last();
	assert_int_equal(l->cmd, 0x24);
	assert_int_equal(l->dev, 0xe0);                     /* no LBA bits in the device register */
	assert_int_equal(l->count[1], 0);
	assert_int_equal(l->count[0], 2);
	assert_int_equal(l->lo[1], 0x0f);
	assert_int_equal(l->lo[0], 0xff);
	assert_int_equal(l->mid[0], 0xff);
	assert_int_equal(l->hi[0], 0xff);
	expect_lba48_order(0x0fffffff, 2);
	expect_pattern(r, 0x0fffffff, 2);
	/* 256 sectors past 2^28: count 0x0100. */
	random_fill(w, 256 * 512);
	assert_int_equal(ata_write(&d, (1ull << 28) + 5, 256, w), 0);
	assert_int_equal(last()->cmd, 0x34);
	assert_int_equal(last()->count[1], 1);
	assert_int_equal(last()->count[0], 0);
	expect_lba48_order((1ull << 28) + 5, 256);
	assert_int_equal(ata_read(&d, (1ull << 28) + 5, 256, r), 0);
	assert_int_equal(last()->cmd, 0x24);
	assert_memory_equal(r, w, 256 * 512);
	assert_int_equal(ata_flush(&d), 0);
	assert_int_equal(last()->cmd, 0xea);

	/* All six LBA bytes, on the slave. */
	disk(1, 0x123456789b00ull, "HUGE");
	probe(&d, 1);
	assert_int_equal(ata_read(&d, 0x123456789a00ull, 3, r), 0);
	l = last();
	assert_int_equal(l->cmd, 0x24);
	assert_int_equal(l->dev, 0xf0);
	assert_int_equal(l->lo[1], 0x56);
	assert_int_equal(l->mid[1], 0x34);
	assert_int_equal(l->hi[1], 0x12);
	assert_int_equal(l->lo[0], 0x00);
	assert_int_equal(l->mid[0], 0x9a);
	assert_int_equal(l->hi[0], 0x78);
	expect_lba48_order(0x123456789a00ull, 3);
	expect_pattern(r, 0x123456789a00ull, 3);
	assert_int_equal(ata_write(&d, 0x123456789b00ull - 1, 1, w), 0);
	assert_int_equal(ata_read(&d, 0x123456789b00ull - 1, 1, r), 0);
	assert_memory_equal(r, w, 512);
	clean();
	free(w);
	free(r);
}

static void test_no_lba48(void **state)
{
	uint8_t buf[2 * 512];
	struct ata_dev d;
	struct disk *k = disk(0, (1ull << 28) + 16, "NO LBA48");
	k->no_lba48 = true;
	k->raw_lba28 = true;                                 /* claims sectors it cannot address */
	probe(&d, 0);
	assert_false(d.lba48);
	assert_int_equal(d.sectors, (1ull << 28) + 16);
	assert_int_equal(ata_read(&d, (1ull << 28) - 2, 2, buf), 0);
	assert_int_equal(last()->cmd, 0x20);
	unsigned n = ch.ncmd, wr = ch.writes;
	expect_error(&d, ata_read(&d, (1ull << 28) - 1, 2, buf), "beyond LBA28 and no LBA48");
	expect_error(&d, ata_write(&d, 1ull << 28, 1, buf), "beyond LBA28 and no LBA48");
	assert_int_equal(ch.ncmd, n);
	assert_int_equal(ch.writes, wr);
	assert_int_equal(ata_flush(&d), 0);
	assert_int_equal(last()->cmd, 0xe7);
	clean();
}

static void test_read_error(void **state)
{
	uint8_t *buf = malloc(10 * 512);
	assert_non_null(buf);
	struct ata_dev d;
	struct disk *k = disk(0, 1000, "BAD SECTOR");
	k->err_lba = 105;
	k->err_code = UNC;
	probe(&d, 0);
	expect_error(&d, ata_read(&d, 100, 10, buf), "error 0x40");
	expect_error(&d, -1, "LBA 0x69");
	expect_pattern(buf, 100, 5);                        /* the sectors before it arrived */
	/* The stale ERR does not block the next command. */
	assert_int_equal(ata_read(&d, 106, 10, buf), 0);
	expect_pattern(buf, 106, 10);
	/* A device fault says so. */
	k->err_df = true;
	expect_error(&d, ata_read(&d, 105, 1, buf), "device fault");
	clean();
	free(buf);
}

static void test_write_error(void **state)
{
	uint8_t *w = malloc(10 * 512), *r = malloc(10 * 512);
	assert_non_null(w);
	assert_non_null(r);
	struct ata_dev d;
	struct disk *k = disk(1, 1000, "BAD SECTOR");
	k->err_lba = 105;
	k->err_code = IDNF;
	probe(&d, 1);
	random_fill(w, 10 * 512);
	expect_error(&d, ata_write(&d, 100, 10, w), "error 0x10");
	expect_error(&d, -1, "write");
	expect_error(&d, -1, "LBA 0x69");
	assert_int_equal(ata_read(&d, 100, 5, r), 0);       /* written up to the bad sector */
	assert_memory_equal(r, w, 5 * 512);
	assert_int_equal(ata_read(&d, 106, 4, r), 0);       /* nothing after it */
	expect_pattern(r, 106, 4);
	clean();
	free(w);
	free(r);
}

static void test_flush(void **state)
{
	struct ata_dev d;
	disk(0, 1000, "FLUSH48");
	probe(&d, 0);
	assert_int_equal(ata_flush(&d), 0);
	assert_int_equal(last()->cmd, 0xea);
	assert_int_equal(last()->dev & 0x10, 0);
	disk(1, 1000, "FLUSH28")->no_lba48 = true;
	probe(&d, 1);
	assert_int_equal(ata_flush(&d), 0);
	assert_int_equal(last()->cmd, 0xe7);
	assert_int_equal(last()->dev & 0x10, 0x10);
	ch.d[1].reject_cmd = 0xe7;
	expect_error(&d, ata_flush(&d), "FLUSH CACHE failed");
	expect_error(&d, -1, "error 0x04");
	clean();
	/* Nothing probed: no command. */
	struct ata_dev none;
	memset(&none, 0, sizeof(none));
	unsigned n = ch.ncmd;
	expect_error(&none, ata_flush(&none), "not probed");
	assert_int_equal(ch.ncmd, n);
}

static void test_bounds(void **state)
{
	uint8_t *buf = malloc(257 * 512);
	assert_non_null(buf);
	struct ata_dev d;
	disk(0, 1000, "SMALL");
	probe(&d, 0);
	unsigned n = ch.ncmd, wr = ch.writes, rd = ch.status_reads;
	static const struct { uint64_t lba; unsigned count; } bad[] = {
		{ 0, 0 }, { 0, 257 }, { 0, UINT_MAX }, { 1000, 1 }, { 999, 2 }, { 745, 256 },
		{ UINT64_MAX, 1 }, { UINT64_MAX - 1, 4 }, { 1ull << 63, 1 },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_error(&d, ata_read(&d, bad[i].lba, bad[i].count, buf), "");
		expect_error(&d, ata_write(&d, bad[i].lba, bad[i].count, buf), "");
	}
	expect_error(&d, ata_read(&d, 0, 0, buf), "count");
	expect_error(&d, ata_read(&d, 999, 2, buf), "end of the disk");
	assert_int_equal(ch.ncmd, n);                       /* no command, no port touched */
	assert_int_equal(ch.writes, wr);
	assert_int_equal(ch.status_reads, rd);
	/* The edges that fit. */
	assert_int_equal(ata_read(&d, 999, 1, buf), 0);
	assert_int_equal(ata_read(&d, 744, 256, buf), 0);
	expect_pattern(buf, 744, 256);
	/* After a failed probe nothing goes to the hardware; with no io at all either. */
	ch.d[0].present = false;
	expect_error(&d, ata_probe(&d, &IO, CMD, CTL, false), "no device");
	n = ch.ncmd;
	expect_error(&d, ata_read(&d, 0, 1, buf), "not probed");
	expect_error(&d, ata_write(&d, 0, 1, buf), "not probed");
	assert_int_equal(ch.ncmd, n);
	struct ata_dev zero;
	memset(&zero, 0, sizeof(zero));
	expect_error(&zero, ata_read(&zero, 0, 1, buf), "not probed");
	clean();
	free(buf);
}

static void test_timeout_mid_use(void **state)
{
	uint8_t buf[512];
	struct ata_dev d;
	struct disk *k = disk(0, 1000, "HANGS LATER");
	probe(&d, 0);
	k->stuck = true;
	ch.status_reads = 0;
	expect_error(&d, ata_read(&d, 0, 1, buf), "timeout");
	assert_true(ch.status_reads <= POLL_LIMIT + 100);
	/* Stuck after the command went in: the data wait gives up too. */
	k->stuck = false;
	k->busy = POLL_LIMIT + 1000;
	ch.status_reads = 0;
	expect_error(&d, ata_write(&d, 0, 1, buf), "timeout");
	assert_true(ch.status_reads <= POLL_LIMIT + 100);
	assert_int_equal(last()->cmd, 0x30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_master_slave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_atapi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_stuck_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_identify_aborted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lba28_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lba48, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_lba48, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_mid_use, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
