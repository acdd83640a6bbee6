/*
 * Host unit tests for drivers/virtq.c: split virtqueues in a fake guest RAM,
 * built the way a virtio driver would build them, then broken on purpose.
 *
 * Each map() call returns a fresh heap copy of exactly the bytes asked for;
 * ram_sync() (run after every virtq call) writes back whatever the device
 * changed in them. AddressSanitizer therefore reports any access past what
 * the device mapped, not just past the end of RAM. One test maps RAM directly
 * instead, so that a map() hook can play the guest's other CPU mid-walk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RNG_SEED 0x6f64762d76697271ull
#include "prng.h"
#include "virtq.h"

/* ---- fake guest RAM ---- */

#define RAM_BASE 0x10000ull
#define RAM_SIZE 0x100000ull
#define RAM_END  (RAM_BASE + RAM_SIZE)
#define HOLE_AT  0x90000ull             /* default hole: odv-hv's region or MMIO */
#define HOLE_LEN 0x1000ull
#define BIG_AT   (1ull << 36)           /* "maps" only in big mode, see test_total_len */
#define BIG_END  (BIG_AT + (1ull << 34))
#define MAX_WIN  256

#define DESC_AT  0x10000ull             /* room for 256 descriptors */
#define AVAIL_AT 0x11000ull
#define USED_AT  0x12000ull
#define BUF_AT   0x20000ull             /* buffers from here on */

struct window {
	uint64_t gpa, len;
	uint8_t *host;                  /* what the device was given */
	uint8_t *snap;                  /* the RAM bytes at map time */
};

static uint8_t *ram;
static uint8_t big_dummy;               /* never to be touched: ASan would say so */

static struct fake {
	uint64_t hole_lo, hole_hi;      /* map refuses ranges touching [lo, hi) */
	bool direct;                    /* hand out pointers into ram itself */
	bool big;                       /* [BIG_AT, BIG_END) maps to big_dummy */
	void (*on_map)(uint64_t gpa, uint64_t len);
	unsigned maps, wrapped;         /* calls, and calls with a wrapping range */
	struct window win[MAX_WIN];
	unsigned nwin;
} fk;

static void *map(void *ctx, uint64_t gpa, uint64_t len)
{
	struct fake *f = ctx;
	f->maps++;
	if (len && gpa + (len - 1) < gpa)
		f->wrapped++;
	if (f->on_map)
		f->on_map(gpa, len);
	if (f->big && gpa >= BIG_AT && gpa < BIG_END && len <= BIG_END - gpa)
		return &big_dummy;
	if (len == 0 || gpa < RAM_BASE || gpa >= RAM_END || len > RAM_END - gpa)
		return NULL;
	if (gpa < f->hole_hi && f->hole_lo < gpa + len)
		return NULL;
	uint8_t *at = ram + (gpa - RAM_BASE);
	if (f->direct)
		return at;
	assert_true(f->nwin < MAX_WIN);
	struct window *w = &f->win[f->nwin++];
	void *host = NULL;
	assert_int_equal(posix_memalign(&host, 16, len), 0);
	w->gpa = gpa;
	w->len = len;
	w->host = host;
	w->snap = malloc(len);
	assert_non_null(w->snap);
	memcpy(w->host, at, len);
	memcpy(w->snap, at, len);
	return w->host;
}

/* Only changed bytes go back, so overlapping windows do not undo each other. */
static void ram_sync(void)
{
	for (unsigned i = 0; i < fk.nwin; i++) {
		struct window *w = &fk.win[i];
		for (uint64_t k = 0; k < w->len; k++)
			if (w->host[k] != w->snap[k])
				ram[w->gpa - RAM_BASE + k] = w->host[k];
		free(w->host);
		free(w->snap);
	}
	fk.nwin = 0;
}

static const struct guest_ram gram = { map, &fk };

static int reset(void **state)
{
	memset(ram, 0, RAM_SIZE);
	memset(&fk, 0, sizeof(fk));
	fk.hole_lo = HOLE_AT;
	fk.hole_hi = HOLE_AT + HOLE_LEN;
	return 0;
}

static int ram_alloc(void **state)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	return ram ? 0 : -1;
}

static int ram_free(void **state)
{
	free(ram);
	return 0;
}

static uint8_t *at(uint64_t gpa) { return ram + (gpa - RAM_BASE); }
static void put16(uint64_t gpa, uint16_t v) { memcpy(at(gpa), &v, 2); }
static void put32(uint64_t gpa, uint32_t v) { memcpy(at(gpa), &v, 4); }
static void put64(uint64_t gpa, uint64_t v) { memcpy(at(gpa), &v, 8); }
static uint16_t get16(uint64_t gpa) { uint16_t v; memcpy(&v, at(gpa), 2); return v; }
static uint32_t get32(uint64_t gpa) { uint32_t v; memcpy(&v, at(gpa), 4); return v; }

/* ---- the device side, each call followed by ram_sync ---- */

static int pop(struct virtq *q, struct virtq_chain *c)
{
	int r = virtq_pop(q, &gram, c);
	ram_sync();
	return r;
}

static int push(struct virtq *q, uint16_t head, uint32_t written)
{
	int r = virtq_push(q, &gram, head, written);
	ram_sync();
	return r;
}

static int layout(const struct virtq *q)
{
	int r = virtq_check_layout(q, &gram);
	ram_sync();
	return r;
}

static bool wants_irq(const struct virtq *q)
{
	bool r = virtq_wants_interrupt(q, &gram);
	ram_sync();
	return r;
}

static uint32_t cread(const struct virtq_chain *c, uint32_t off, void *buf, uint32_t len)
{
	uint32_t r = virtq_chain_read(&gram, c, off, buf, len);
	ram_sync();
	return r;
}

static uint32_t cwrite(const struct virtq_chain *c, uint32_t off, const void *buf, uint32_t len)
{
	uint32_t r = virtq_chain_write(&gram, c, off, buf, len);
	ram_sync();
	return r;
}

/* ---- the driver side ---- */

struct buf {
	uint64_t addr;
	uint32_t len;
	bool write;
};

static struct virtq vq(uint16_t size)
{
	return (struct virtq){ .size = size, .desc = DESC_AT, .avail = AVAIL_AT, .used = USED_AT,
			       .enabled = true };
}

/* Both sides agree the queue has seen `idx` requests (as after a long run). */
static void vq_start(struct virtq *q, uint16_t idx)
{
	q->last_avail = q->used_idx = idx;
	put16(q->avail + 2, idx);
	put16(q->used + 2, idx);
}

static void put_desc(const struct virtq *q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint64_t d = q->desc + 16ull * i;
	put64(d, addr);
	put32(d + 8, len);
	put16(d + 12, flags);
	put16(d + 14, next);
}

static uint16_t desc_flags(const struct virtq *q, uint16_t i) { return get16(q->desc + 16ull * i + 12); }
static void set_flags(const struct virtq *q, uint16_t i, uint16_t f) { put16(q->desc + 16ull * i + 12, f); }
static void set_next(const struct virtq *q, uint16_t i, uint16_t n) { put16(q->desc + 16ull * i + 14, n); }
static void set_len(const struct virtq *q, uint16_t i, uint32_t l) { put32(q->desc + 16ull * i + 8, l); }
static void set_addr(const struct virtq *q, uint16_t i, uint64_t a) { put64(q->desc + 16ull * i, a); }

/* Descriptors first, first + 1, ... (mod size) linked in order; returns the head. */
static uint16_t add_chain(const struct virtq *q, uint16_t first, const struct buf *b, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		uint16_t flags = (b[k].write ? VIRTQ_DESC_F_WRITE : 0) | (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
		put_desc(q, (first + k) % q->size, b[k].addr, b[k].len, flags, (first + k + 1) % q->size);
	}
	return first;
}

static void publish(const struct virtq *q, uint16_t head)
{
	uint16_t idx = get16(q->avail + 2);
	put16(q->avail + 4 + 2ull * (idx % q->size), head);
	put16(q->avail + 2, (uint16_t)(idx + 1));
}

/* One readable buffer of 16 bytes in descriptor i, published. */
static void simple(const struct virtq *q, uint16_t i)
{
	const struct buf b = { BUF_AT + 0x100ull * i, 16, false };
	publish(q, add_chain(q, i, &b, 1));
}

/* ---- checks ---- */

static void expect_seg(const struct virtq_chain *c, unsigned k, uint64_t gpa, uint32_t len, bool write)
{
	assert_true(k < c->n);
	assert_int_equal(c->seg[k].gpa, gpa);
	assert_int_equal(c->seg[k].len, len);
	assert_int_equal(c->seg[k].write, write);
}

static void expect_same_queue(const struct virtq *a, const struct virtq *b)
{
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->desc, b->desc);
	assert_int_equal(a->avail, b->avail);
	assert_int_equal(a->used, b->used);
	assert_int_equal(a->last_avail, b->last_avail);
	assert_int_equal(a->used_idx, b->used_idx);
	assert_int_equal(a->enabled, b->enabled);
}

static bool known_err(int err)
{
	return err <= VQ_ERR_LAYOUT && err >= VQ_ERR_TOTAL_LEN &&
	       strcmp(virtq_strerror(err), "unknown virtqueue error") != 0;
}

/* The error, nothing changed anywhere, and the same error again. */
static void expect_pop_err(struct virtq *q, int err)
{
	struct virtq before = *q;
	uint8_t *snap = malloc(RAM_SIZE);
	assert_non_null(snap);
	memcpy(snap, ram, RAM_SIZE);
	struct virtq_chain c;
	assert_int_equal(pop(q, &c), err);
	expect_same_queue(q, &before);
	assert_true(memcmp(ram, snap, RAM_SIZE) == 0);
	assert_int_equal(pop(q, &c), err);
	expect_same_queue(q, &before);
	assert_true(known_err(err));
	free(snap);
}

/* ---- normal operation ---- */

static void test_empty(void **state)
{
	struct virtq q = vq(8);
	struct virtq_chain c;
	assert_int_equal(layout(&q), VQ_OK);
	assert_int_equal(pop(&q, &c), 0);
	assert_int_equal(q.last_avail, 0);
	vq_start(&q, 40000);
	assert_int_equal(pop(&q, &c), 0);
	assert_int_equal(q.last_avail, 40000);
}

static void test_single_chain(void **state)
{
	struct virtq q = vq(4);
	const struct buf b[] = {
		{ BUF_AT, 16, false },          /* a request header */
		{ BUF_AT + 0x1000, 512, false },
		{ BUF_AT + 0x2000, 1, true },   /* status byte */
	};
	publish(&q, add_chain(&q, 2, b, 3));          /* descriptors 2, 3, 0 */
	struct virtq_chain c;
	assert_int_equal(pop(&q, &c), 1);
	assert_int_equal(c.head, 2);
	assert_int_equal(c.n, 3);
	expect_seg(&c, 0, BUF_AT, 16, false);
	expect_seg(&c, 1, BUF_AT + 0x1000, 512, false);
	expect_seg(&c, 2, BUF_AT + 0x2000, 1, true);
	assert_int_equal(c.readable, 528);
	assert_int_equal(c.writable, 1);
	assert_int_equal(q.last_avail, 1);
	assert_int_equal(pop(&q, &c), 0);
	assert_int_equal(q.last_avail, 1);
}

static void test_in_order_wraparound(void **state)
{
	struct virtq q = vq(8);
	vq_start(&q, 65532);
	/* Heads published in a scrambled order: the device must follow the ring. */
	const uint16_t heads[8] = { 5, 0, 7, 2, 1, 6, 3, 4 };
	for (unsigned k = 0; k < 8; k++)
		simple(&q, heads[k]);
	assert_int_equal(get16(q.avail + 2), 4);      /* the driver's idx wrapped */
	struct virtq_chain c;
	for (unsigned k = 0; k < 8; k++) {
		assert_int_equal(pop(&q, &c), 1);
		assert_int_equal(c.head, heads[k]);
		assert_int_equal(c.n, 1);
		expect_seg(&c, 0, BUF_AT + 0x100ull * heads[k], 16, false);
		assert_int_equal(q.last_avail, (uint16_t)(65533 + k));
	}
	assert_int_equal(pop(&q, &c), 0);
	/* And once more around, reusing the slots. */
	simple(&q, 1);
	assert_int_equal(pop(&q, &c), 1);
	assert_int_equal(c.head, 1);
	assert_int_equal(q.last_avail, 5);
}

static void test_push(void **state)
{
	struct virtq q = vq(4);
	vq_start(&q, 65534);
	put16(q.used + 2, 0x1234);                    /* the guest scribbles on used->idx */
	assert_int_equal(push(&q, 2, 10), VQ_OK);
	assert_int_equal(push(&q, 0, 0), VQ_OK);
	assert_int_equal(push(&q, 3, 0xffffffffu), VQ_OK);
	/* Elements at used_idx % size: 65534 -> 2, 65535 -> 3, 0 -> 0. */
	assert_int_equal(get32(q.used + 4 + 8 * 2), 2);
	assert_int_equal(get32(q.used + 4 + 8 * 2 + 4), 10);
	assert_int_equal(get32(q.used + 4 + 8 * 3), 0);
	assert_int_equal(get32(q.used + 4 + 8 * 3 + 4), 0);
	assert_int_equal(get32(q.used + 4 + 8 * 0), 3);
	assert_int_equal(get32(q.used + 4 + 8 * 0 + 4), 0xffffffffu);
	assert_int_equal(get16(q.used + 2), 1);       /* ours, not the scribble plus 3 */
	assert_int_equal(q.used_idx, 1);
	assert_int_equal(get16(q.used), 0);           /* used->flags left alone */

	uint8_t snap[6 + 8 * 4];
	memcpy(snap, at(q.used), sizeof(snap));
	assert_int_equal(push(&q, 4, 1), VQ_ERR_USED);
	assert_int_equal(push(&q, 0xffff, 1), VQ_ERR_USED);
	assert_memory_equal(at(q.used), snap, sizeof(snap));
	assert_int_equal(q.used_idx, 1);
	assert_true(known_err(VQ_ERR_USED));

	assert_true(wants_irq(&q));
	put16(q.avail, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_false(wants_irq(&q));
	put16(q.avail, 0xffff & ~VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_true(wants_irq(&q));
	put16(q.avail, VIRTQ_AVAIL_F_NO_INTERRUPT);
	fk.hole_lo = q.avail;                         /* a broken queue: interrupt anyway */
	fk.hole_hi = q.avail + 1;
	assert_true(wants_irq(&q));
	assert_int_equal(push(&q, 0, 1), VQ_ERR_LAYOUT);
	assert_int_equal(q.used_idx, 1);
}

/* Readable 3 + 5 + 7 bytes holding 0..14, writable 4 + 6 bytes. */
static void copy_chain(struct virtq *q, struct virtq_chain *c)
{
	const struct buf b[] = {
		{ BUF_AT, 3, false }, { BUF_AT + 0x100, 5, false }, { BUF_AT + 0x200, 7, false },
		{ BUF_AT + 0x1000, 4, true }, { BUF_AT + 0x1100, 6, true },
	};
	uint8_t v = 0;
	for (unsigned k = 0; k < 3; k++)
		for (unsigned i = 0; i < b[k].len; i++)
			*at(b[k].addr + i) = v++;
	memset(at(BUF_AT + 0x1000), 0xee, 0x200);
	publish(q, add_chain(q, 0, b, 5));
	assert_int_equal(pop(q, c), 1);
	assert_int_equal(c->readable, 15);
	assert_int_equal(c->writable, 10);
}

static void test_chain_read(void **state)
{
	struct virtq q = vq(8);
	struct virtq_chain c;
	copy_chain(&q, &c);
	uint8_t out[100];
	assert_int_equal(cread(&c, 0, out, 15), 15);
	for (unsigned i = 0; i < 15; i++)
		assert_int_equal(out[i], i);
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(cread(&c, 2, out, 7), 7);    /* across both boundaries */
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(out[i], 2 + i);
	assert_int_equal(out[7], 0xaa);
	assert_int_equal(cread(&c, 3, out, 5), 5);    /* exactly the second buffer */
	assert_int_equal(out[0], 3);
	assert_int_equal(out[4], 7);
	assert_int_equal(cread(&c, 8, out, 100), 7);  /* short at the end */
	assert_int_equal(out[0], 8);
	assert_int_equal(out[6], 14);
	assert_int_equal(cread(&c, 14, out, 10), 1);
	assert_int_equal(cread(&c, 15, out, 10), 0);
	assert_int_equal(cread(&c, 0xffffffffu, out, 10), 0);
	assert_int_equal(cread(&c, 0, out, 0), 0);
	/* The second buffer goes away: no partial answer. */
	fk.hole_lo = BUF_AT + 0x104;
	fk.hole_hi = BUF_AT + 0x105;
	assert_int_equal(cread(&c, 0, out, 15), 0);
	assert_int_equal(cread(&c, 8, out, 7), 7);    /* not needed for this part */
}

static void test_chain_write(void **state)
{
	struct virtq q = vq(8);
	struct virtq_chain c;
	copy_chain(&q, &c);
	assert_int_equal(cwrite(&c, 2, "abcdefg", 7), 7);
	assert_memory_equal(at(BUF_AT + 0x1000), "\xee\xee" "ab", 4);
	assert_memory_equal(at(BUF_AT + 0x1100), "cdefg\xee", 6);
	assert_int_equal(*at(BUF_AT + 0x1004), 0xee);  /* past the first writable buffer */
	assert_int_equal(*at(BUF_AT + 0x2), 2);        /* readable part untouched */
	assert_int_equal(cwrite(&c, 0, "0123456789ABCDEF", 16), 10);
	assert_memory_equal(at(BUF_AT + 0x1000), "0123", 4);
	assert_memory_equal(at(BUF_AT + 0x1100), "456789", 6);
	assert_int_equal(*at(BUF_AT + 0x1106), 0xee);
	assert_int_equal(cwrite(&c, 4, "Z", 1), 1);
	assert_int_equal(*at(BUF_AT + 0x1100), 'Z');
	assert_int_equal(cwrite(&c, 10, "Z", 1), 0);
	for (unsigned i = 0; i < 15; i++)
		assert_int_equal(*at(BUF_AT + (i < 3 ? i : i < 8 ? 0x100 + i - 3 : 0x200 + i - 8)), i);
	fk.hole_lo = BUF_AT + 0x1105;
	fk.hole_hi = BUF_AT + 0x1106;
	assert_int_equal(cwrite(&c, 0, "xxxxxxxxxx", 10), 0);
	assert_int_equal(cwrite(&c, 0, "yyyy", 4), 4);
}

/* ---- malicious queues ---- */

static void test_loop(void **state)
{
	struct virtq q = vq(4);
	put_desc(&q, 0, BUF_AT, 16, VIRTQ_DESC_F_NEXT, 1);     /* a -> b -> a */
	put_desc(&q, 1, BUF_AT, 16, VIRTQ_DESC_F_NEXT, 0);
	publish(&q, 0);
	expect_pop_err(&q, VQ_ERR_LOOP);
	assert_string_equal(virtq_strerror(VQ_ERR_LOOP), "descriptor loop (chain longer than the queue)");

	/* In the largest queue too: a loop, not a chain too long. */
	q = vq(VIRTQ_MAX_SIZE);
	memset(ram, 0, RAM_SIZE);
	put_desc(&q, 200, BUF_AT, 16, VIRTQ_DESC_F_NEXT, 17);
	put_desc(&q, 17, BUF_AT, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 200);
	publish(&q, 200);
	expect_pop_err(&q, VQ_ERR_LOOP);

	/* A loop entered after a tail: 0 -> 1 -> 2 -> 3 -> 1. */
	q = vq(8);
	memset(ram, 0, RAM_SIZE);
	for (uint16_t i = 0; i < 4; i++)
		put_desc(&q, i, BUF_AT, 16, VIRTQ_DESC_F_NEXT, i == 3 ? 1 : i + 1);
	publish(&q, 0);
	expect_pop_err(&q, VQ_ERR_LOOP);
}

static void test_self_loop(void **state)
{
	struct virtq q = vq(4);
	put_desc(&q, 2, BUF_AT, 16, VIRTQ_DESC_F_NEXT, 2);
	publish(&q, 2);
	expect_pop_err(&q, VQ_ERR_LOOP);
	q = vq(1);
	memset(ram, 0, RAM_SIZE);
	put_desc(&q, 0, BUF_AT, 16, VIRTQ_DESC_F_NEXT, 0);
	publish(&q, 0);
	expect_pop_err(&q, VQ_ERR_LOOP);
}

/* Every descriptor once, in a scrambled order: as long as the queue, fine. */
static void test_chain_as_long_as_queue(void **state)
{
	struct virtq q = vq(8);
	const uint16_t order[8] = { 3, 6, 0, 7, 1, 5, 2, 4 };
	for (unsigned k = 0; k < 8; k++)
		put_desc(&q, order[k], BUF_AT + k, 1, k < 7 ? VIRTQ_DESC_F_NEXT : 0, k < 7 ? order[k + 1] : 0);
	publish(&q, 3);
	struct virtq_chain c;
	assert_int_equal(pop(&q, &c), 1);
	assert_int_equal(c.n, 8);
	for (unsigned k = 0; k < 8; k++)
		expect_seg(&c, k, BUF_AT + k, 1, false);
}

static void test_next_out_of_range(void **state)
{
	struct virtq q = vq(4);
	put_desc(&q, 0, BUF_AT, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(&q, 1, BUF_AT, 16, VIRTQ_DESC_F_NEXT, 4);
	publish(&q, 0);
	expect_pop_err(&q, VQ_ERR_NEXT);
	set_next(&q, 1, 0xffff);
	expect_pop_err(&q, VQ_ERR_NEXT);
	/* next is only looked at with F_NEXT. */
	set_flags(&q, 1, 0);
	struct virtq_chain c;
	assert_int_equal(pop(&q, &c), 1);
	assert_int_equal(c.n, 2);
}

static void test_head_out_of_range(void **state)
{
	struct virtq q = vq(4);
	simple(&q, 0);
	put16(q.avail + 4, 4);
	expect_pop_err(&q, VQ_ERR_HEAD);
	put16(q.avail + 4, 0xffff);
	expect_pop_err(&q, VQ_ERR_HEAD);
	put16(q.avail + 4, 3);
	put_desc(&q, 3, BUF_AT, 1, 0, 0);
	struct virtq_chain c;
	assert_int_equal(pop(&q, &c), 1);
	assert_int_equal(c.head, 3);
}

static void test_avail_idx(void **state)
{
	struct virtq q = vq(8);
	put_desc(&q, 0, BUF_AT, 16, 0, 0);            /* every ring entry is head 0 */
	vq_start(&q, 100);
	put16(q.avail + 2, 100 + 9);                  /* size + 1 ahead */
	expect_pop_err(&q, VQ_ERR_AVAIL_IDX);
	put16(q.avail + 2, 99);                       /* behind: 65535 ahead */
	expect_pop_err(&q, VQ_ERR_AVAIL_IDX);
	put16(q.avail + 2, 0x8000 + 100);
	expect_pop_err(&q, VQ_ERR_AVAIL_IDX);

	/* Exactly size ahead, across the wrap: all of them. */
	vq_start(&q, 65530);
	put16(q.avail + 2, (uint16_t)(65530 + 8));
	struct virtq_chain c;
	for (unsigned k = 0; k < 8; k++)
		assert_int_equal(pop(&q, &c), 1);
	assert_int_equal(q.last_avail, 2);
	assert_int_equal(pop(&q, &c), 0);
	/* size + 1 ahead across the wrap. */
	vq_start(&q, 65530);
	put16(q.avail + 2, (uint16_t)(65530 + 9));
	expect_pop_err(&q, VQ_ERR_AVAIL_IDX);
}

/* Descriptor 0 as a one-buffer chain at [addr, addr + len): the pop's answer. */
static int pop_one(uint64_t addr, uint32_t len)
{
	memset(ram, 0, RAM_SIZE);
	struct virtq q = vq(4);
	put_desc(&q, 0, addr, len, 0, 0);
	publish(&q, 0);
	struct virtq_chain c;
	int r = pop(&q, &c);
	if (r < 0)
		expect_pop_err(&q, r);
	return r;
}

static void test_buf_outside_ram(void **state)
{
	assert_int_equal(pop_one(0x1000, 16), VQ_ERR_BUF_ADDR);
	assert_int_equal(pop_one(0, 1), VQ_ERR_BUF_ADDR);
	assert_int_equal(pop_one(RAM_BASE - 16, 32), VQ_ERR_BUF_ADDR);   /* straddles the start */
	assert_int_equal(pop_one(RAM_END - 8, 16), VQ_ERR_BUF_ADDR);     /* straddles the end */
	assert_int_equal(pop_one(RAM_END, 1), VQ_ERR_BUF_ADDR);
	assert_int_equal(pop_one(1ull << 40, 4096), VQ_ERR_BUF_ADDR);
	assert_int_equal(pop_one(RAM_BASE, 0xffffffffu), VQ_ERR_BUF_ADDR);
	assert_int_equal(pop_one(RAM_BASE - 1, 1), VQ_ERR_BUF_ADDR);
	assert_int_equal(pop_one(RAM_END - 16, 16), 1);                  /* the last bytes */
	assert_int_equal(pop_one(RAM_BASE, 1), 1);
	/* The second buffer of a chain is checked as well. */
	memset(ram, 0, RAM_SIZE);
	struct virtq q = vq(4);
	const struct buf b[] = { { BUF_AT, 16, false }, { RAM_END - 4, 8, true } };
	publish(&q, add_chain(&q, 0, b, 2));
	expect_pop_err(&q, VQ_ERR_BUF_ADDR);
	assert_true(known_err(VQ_ERR_BUF_ADDR));
}

static void test_buf_in_hole(void **state)
{
	assert_int_equal(pop_one(HOLE_AT, 16), VQ_ERR_BUF_ADDR);
	assert_int_equal(pop_one(HOLE_AT - 8, 16), VQ_ERR_BUF_ADDR);
	assert_int_equal(pop_one(HOLE_AT + HOLE_LEN - 1, 1), VQ_ERR_BUF_ADDR);
	assert_int_equal(pop_one(HOLE_AT - 0x1000, 0x3000), VQ_ERR_BUF_ADDR);   /* all across it */
	assert_int_equal(pop_one(HOLE_AT - 1, 1), 1);
	assert_int_equal(pop_one(HOLE_AT + HOLE_LEN, 1), 1);
}

static void test_buf_wraps(void **state)
{
	assert_int_equal(pop_one(0xfffffffffffffff0ull, 0x20), VQ_ERR_BUF_ADDR);
	assert_int_equal(pop_one(UINT64_MAX, 1), VQ_ERR_BUF_ADDR);
	assert_int_equal(pop_one(UINT64_MAX, 2), VQ_ERR_BUF_ADDR);
	assert_int_equal(pop_one(UINT64_MAX - 0xfffffffeull, 0xffffffffu), VQ_ERR_BUF_ADDR);
	assert_int_equal(pop_one(UINT64_MAX - 0xffffull, 0xffffffffu), VQ_ERR_BUF_ADDR);
	/* Refused before map() ever saw a range that wraps. */
	assert_int_equal(fk.wrapped, 0);
}

static void test_order(void **state)
{
	struct virtq q = vq(4);
	const struct buf wr[] = { { BUF_AT, 16, true }, { BUF_AT + 0x100, 16, false } };
	publish(&q, add_chain(&q, 0, wr, 2));
	expect_pop_err(&q, VQ_ERR_ORDER);

	q = vq(4);
	memset(ram, 0, RAM_SIZE);
	const struct buf rwr[] = { { BUF_AT, 16, false }, { BUF_AT + 0x100, 16, true },
				   { BUF_AT + 0x200, 16, false } };
	publish(&q, add_chain(&q, 1, rwr, 3));
	expect_pop_err(&q, VQ_ERR_ORDER);

	/* Writable only is fine. */
	q = vq(4);
	memset(ram, 0, RAM_SIZE);
	const struct buf ww[] = { { BUF_AT, 16, true }, { BUF_AT + 0x100, 16, true } };
	publish(&q, add_chain(&q, 0, ww, 2));
	struct virtq_chain c;
	assert_int_equal(pop(&q, &c), 1);
	assert_int_equal(c.readable, 0);
	assert_int_equal(c.writable, 32);
}

static void test_indirect(void **state)
{
	struct virtq q = vq(4);
	put_desc(&q, 0, BUF_AT, 32, VIRTQ_DESC_F_INDIRECT, 0);  /* a table of two */
	publish(&q, 0);
	expect_pop_err(&q, VQ_ERR_INDIRECT);

	q = vq(4);
	memset(ram, 0, RAM_SIZE);
	const struct buf b[] = { { BUF_AT, 16, false }, { BUF_AT + 0x100, 16, true } };
	publish(&q, add_chain(&q, 0, b, 2));
	set_flags(&q, 1, desc_flags(&q, 1) | VIRTQ_DESC_F_INDIRECT);
	expect_pop_err(&q, VQ_ERR_INDIRECT);
}

static void test_too_long(void **state)
{
	struct virtq q = vq(128);
	struct buf b[VIRTQ_MAX_CHAIN + 1];
	for (unsigned k = 0; k < VIRTQ_MAX_CHAIN + 1; k++)
		b[k] = (struct buf){ BUF_AT + 0x10ull * k, 16, k >= 10 };
	publish(&q, add_chain(&q, 100, b, VIRTQ_MAX_CHAIN + 1));     /* wraps round the table */
	expect_pop_err(&q, VQ_ERR_TOO_LONG);

	/* One fewer is the longest accepted. */
	set_flags(&q, (100 + VIRTQ_MAX_CHAIN - 1) % 128, VIRTQ_DESC_F_WRITE);
	struct virtq_chain c;
	assert_int_equal(pop(&q, &c), 1);
	assert_int_equal(c.n, VIRTQ_MAX_CHAIN);
	assert_int_equal(c.readable, 160);
	assert_int_equal(c.writable, 16 * (VIRTQ_MAX_CHAIN - 10));
	expect_seg(&c, VIRTQ_MAX_CHAIN - 1, BUF_AT + 0x10ull * (VIRTQ_MAX_CHAIN - 1), 16, true);
	assert_int_equal(push(&q, c.head, c.writable), VQ_OK);
}

static void test_zero_len(void **state)
{
	assert_int_equal(pop_one(BUF_AT, 0), VQ_ERR_ZERO_LEN);
	struct virtq q = vq(4);
	memset(ram, 0, RAM_SIZE);
	const struct buf b[] = { { BUF_AT, 16, false }, { BUF_AT + 0x100, 16, false },
				 { BUF_AT + 0x200, 16, true } };
	publish(&q, add_chain(&q, 0, b, 3));
	set_len(&q, 1, 0);
	expect_pop_err(&q, VQ_ERR_ZERO_LEN);
	/* Zero length even with an address nowhere: the length is the complaint. */
	set_addr(&q, 1, UINT64_MAX);
	expect_pop_err(&q, VQ_ERR_ZERO_LEN);
}

/*
 * Buffers may overlap, so the totals can pass 4 GiB. Pop only asks whether a
 * buffer maps and never touches it, so big mode hands out one dummy byte for
 * any range in [BIG_AT, BIG_END).
 */
static void test_total_len(void **state)
{
	fk.big = true;
	struct virtq q = vq(4);
	const struct buf rr[] = { { BIG_AT, 0xffffffffu, false }, { BIG_AT, 1, false } };
	publish(&q, add_chain(&q, 0, rr, 2));
	expect_pop_err(&q, VQ_ERR_TOTAL_LEN);

	q = vq(4);
	memset(ram, 0, RAM_SIZE);
	const struct buf rww[] = { { BIG_AT, 0xffffffffu, false }, { BIG_AT, 0x80000000u, true },
				   { BIG_AT + 1, 0x80000000u, true } };
	publish(&q, add_chain(&q, 0, rww, 3));
	expect_pop_err(&q, VQ_ERR_TOTAL_LEN);

	/* Each kind up to UINT32_MAX is fine. */
	set_len(&q, 2, 0x7fffffffu);
	struct virtq_chain c;
	assert_int_equal(pop(&q, &c), 1);
	assert_int_equal(c.readable, 0xffffffffu);
	assert_int_equal(c.writable, 0xffffffffu);
}

/* Layout refused by check_layout, pop and push alike; interrupts still sent. */
static void expect_layout_err(struct virtq q)
{
	struct virtq_chain c;
	assert_int_equal(layout(&q), VQ_ERR_LAYOUT);
	expect_pop_err(&q, VQ_ERR_LAYOUT);
	assert_int_equal(push(&q, 0, 1), VQ_ERR_LAYOUT);
	assert_int_equal(q.used_idx, 0);
	assert_true(wants_irq(&q));
	(void)c;
}

static void test_layout(void **state)
{
	struct virtq q = vq(8);
	simple(&q, 0);                                /* something to pop if the layout passed */
	assert_int_equal(layout(&q), VQ_OK);

	q.desc = DESC_AT + 8;                         /* alignment 16 */
	expect_layout_err(q);
	q = vq(8);
	q.avail = AVAIL_AT + 1;                       /* alignment 2 */
	expect_layout_err(q);
	q = vq(8);
	q.used = USED_AT + 2;                         /* alignment 4 */
	expect_layout_err(q);
	q = vq(8);
	q.avail = AVAIL_AT + 2;                       /* 2 is enough */
	assert_int_equal(layout(&q), VQ_OK);
	q.used = USED_AT + 4;
	assert_int_equal(layout(&q), VQ_OK);

	/* Outside RAM, or partly. */
	q = vq(8);
	q.desc = 0x1000;
	expect_layout_err(q);
	q = vq(8);
	q.desc = RAM_END - 16 * 8 + 16;               /* last descriptor past the end */
	expect_layout_err(q);
	q.desc = RAM_END - 16 * 8;
	assert_int_equal(layout(&q), VQ_OK);
	q = vq(8);
	q.used = RAM_END - (6 + 8 * 8) + 2;           /* avail_event past the end */
	expect_layout_err(q);
	q.used = RAM_END - (6 + 8 * 8) - 2;
	assert_int_equal(layout(&q), VQ_OK);
	q = vq(8);
	q.avail = RAM_END - (6 + 2 * 8) + 2;          /* used_event past the end */
	expect_layout_err(q);
	q = vq(8);
	q.avail = HOLE_AT - 4;                        /* runs into the hole */
	expect_layout_err(q);
	q = vq(8);
	q.used = 0xfffffffffffffff0ull;               /* wraps */
	expect_layout_err(q);
	assert_int_equal(fk.wrapped, 0);

	/* Sizes. */
	const uint16_t bad[] = { 0, 3, 6, 255, 257, 384, 512, 1024, 32768, 0xffff };
	for (unsigned k = 0; k < ARRAY_SIZE(bad); k++) {
		q = vq(bad[k]);
		expect_layout_err(q);
	}
	for (unsigned s = 1; s <= VIRTQ_MAX_SIZE; s *= 2) {
		q = vq((uint16_t)s);
		assert_int_equal(layout(&q), VQ_OK);
	}
}

/* Pop maps the rings every time rather than trusting an earlier look. */
static void test_layout_rechecked(void **state)
{
	struct virtq q = vq(4);
	simple(&q, 0);
	simple(&q, 1);
	struct virtq_chain c;
	assert_int_equal(pop(&q, &c), 1);
	fk.hole_lo = q.avail + 10;                    /* the guest's RAM map changed */
	fk.hole_hi = q.avail + 11;
	expect_pop_err(&q, VQ_ERR_LAYOUT);
	fk.hole_lo = fk.hole_hi = 0;
	assert_int_equal(pop(&q, &c), 1);
	assert_int_equal(c.head, 1);
}

/* After an error the driver repairs its ring; the device resumes at the same entry. */
static void test_state_unchanged_after_error(void **state)
{
	struct virtq q = vq(4);
	vq_start(&q, 7);
	const struct buf b[] = { { BUF_AT, 16, false }, { BUF_AT + 0x100, 16, true } };
	simple(&q, 3);
	publish(&q, add_chain(&q, 0, b, 2));
	struct virtq_chain c;
	assert_int_equal(pop(&q, &c), 1);
	assert_int_equal(c.head, 3);
	set_len(&q, 1, 0);
	expect_pop_err(&q, VQ_ERR_ZERO_LEN);
	assert_int_equal(q.last_avail, 8);
	set_len(&q, 1, 16);
	assert_int_equal(pop(&q, &c), 1);
	assert_int_equal(c.head, 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(q.last_avail, 9);
}

/*
 * The guest's other CPU rewrites descriptor 0 (make its next point nowhere,
 * its length enormous) just as the device maps its buffer, that is, after the
 * device has read it. The device must go on with what it read.
 */
static void rewrite_desc0(uint64_t gpa, uint64_t len)
{
	if (gpa == BUF_AT && len == 16) {
		put16(DESC_AT + 14, 200);
		put32(DESC_AT + 8, 0xffffffffu);
		put16(DESC_AT + 12, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_INDIRECT);
	}
}

static void test_desc_read_once(void **state)
{
	struct virtq q = vq(4);
	const struct buf b[] = { { BUF_AT, 16, false }, { BUF_AT + 0x100, 16, true } };
	publish(&q, add_chain(&q, 0, b, 2));
	fk.direct = true;
	fk.on_map = rewrite_desc0;
	struct virtq_chain c;
	assert_int_equal(pop(&q, &c), 1);
	assert_int_equal(c.n, 2);
	expect_seg(&c, 0, BUF_AT, 16, false);
	expect_seg(&c, 1, BUF_AT + 0x100, 16, true);
	assert_int_equal(c.readable, 16);
}

static void test_strerror(void **state)
{
	for (int e = VQ_ERR_LAYOUT; e >= VQ_ERR_TOTAL_LEN; e--) {
		assert_true(known_err(e));
		for (int f = e + 1; f <= VQ_ERR_LAYOUT; f++)
			assert_string_not_equal(virtq_strerror(e), virtq_strerror(f));
	}
	assert_string_equal(virtq_strerror(-100), "unknown virtqueue error");
	assert_string_equal(virtq_strerror(1), "unknown virtqueue error");
	assert_non_null(virtq_strerror(VQ_OK));
}

/* ---- randomized ---- */

/* A pop said 1: the chain must be what the table says, and sound. */
static void check_chain(const struct virtq *q, const struct virtq_chain *c)
{
	assert_true(c->n >= 1 && c->n <= VIRTQ_MAX_CHAIN);
	assert_true(c->head < q->size);
	uint64_t rd = 0, wr = 0;
	uint16_t i = c->head;
	for (unsigned k = 0; k < c->n; k++) {
		const struct virtq_seg *s = &c->seg[k];
		uint64_t d = q->desc + 16ull * i;
		uint16_t flags = get16(d + 12);
		assert_int_equal(s->gpa, *(uint64_t *)at(d));
		assert_int_equal(s->len, get32(d + 8));
		assert_int_equal(s->write, !!(flags & VIRTQ_DESC_F_WRITE));
		assert_false(flags & VIRTQ_DESC_F_INDIRECT);
		assert_int_equal(!!(flags & VIRTQ_DESC_F_NEXT), k + 1 < c->n);
		assert_true(s->len > 0);
		assert_true(s->gpa >= RAM_BASE && s->gpa < RAM_END && s->len <= RAM_END - s->gpa);
		assert_true(s->gpa + s->len <= HOLE_AT || s->gpa >= HOLE_AT + HOLE_LEN);
		if (k > 0)
			assert_true(s->write || !c->seg[k - 1].write);
		*(s->write ? &wr : &rd) += s->len;
		i = get16(d + 14);
	}
	assert_int_equal(c->readable, rd);
	assert_int_equal(c->writable, wr);
}

static uint64_t rand_addr(void)
{
	switch (rng() % 6) {
	case 0:  return HOLE_AT - 64 + rng() % (HOLE_LEN + 128);
	case 1:  return RAM_END - rng() % 600;
	case 2:  return RAM_BASE - 300 + rng() % 600;
	case 3:  return rng() % 2 ? rng() : UINT64_MAX - rng() % 0x10000;
	default: return RAM_BASE + rng() % RAM_SIZE;
	}
}

static uint32_t rand_len(void)
{
	switch (rng() % 16) {
	case 0:  return 0;
	case 1:  return (uint32_t)rng();
	default: return 1 + (uint32_t)(rng() % 512);
	}
}

/* Anything at all, biased towards chains that nearly make sense. */
static void random_desc(const struct virtq *q, uint16_t i)
{
	uint16_t flags = 0;
	if (rng() % 4)
		flags |= VIRTQ_DESC_F_NEXT;
	if (rng() % 2)
		flags |= VIRTQ_DESC_F_WRITE;
	if (rng() % 32 == 0)
		flags |= VIRTQ_DESC_F_INDIRECT;
	if (rng() % 16 == 0)
		flags |= (uint16_t)rng();
	uint16_t next = rng() % 8 ? (uint16_t)(rng() % q->size) : (uint16_t)rng();
	put_desc(q, i, rand_addr(), rand_len(), flags, next);
}

/* Well-formed chains of random length, in table order: then a few breakages. */
static void valid_table(const struct virtq *q)
{
	uint16_t i = 0;
	while (i < q->size) {
		unsigned n = 1 + rng() % 6;
		unsigned nread = rng() % (n + 1);
		for (unsigned k = 0; k < n && i < q->size; k++, i++) {
			uint64_t addr = BUF_AT + rng() % 0x40000;
			uint16_t flags = (k >= nread ? VIRTQ_DESC_F_WRITE : 0) |
					 (k + 1 < n && i + 1 < q->size ? VIRTQ_DESC_F_NEXT : 0);
			put_desc(q, i, addr, 1 + rng() % 300, flags, i + 1);
		}
	}
	unsigned breaks = rng() % 4;
	for (unsigned k = 0; k < breaks; k++)
		random_desc(q, (uint16_t)(rng() % q->size));
}

static void test_random_tables(void **state)
{
	unsigned ok = 0, errs = 0, empty = 0;
	bool seen[13] = { false };
	for (unsigned iter = 0; iter < 2000; iter++) {
		memset(ram, 0, RAM_SIZE);
		struct virtq q = vq((uint16_t)(1u << (rng() % 9)));
		if (rng() % 2)
			valid_table(&q);
		else
			for (uint16_t i = 0; i < q.size; i++)
				random_desc(&q, i);
		vq_start(&q, (uint16_t)rng());
		uint16_t pending = rng() % 8 ? (uint16_t)(rng() % (q.size + 1)) : (uint16_t)rng();
		for (uint16_t k = 0; k < q.size; k++)
			put16(q.avail + 4 + 2ull * k, rng() % 16 ? (uint16_t)(rng() % q.size) : (uint16_t)rng());
		put16(q.avail + 2, (uint16_t)(q.last_avail + pending));

		for (unsigned k = 0; k <= q.size; k++) {
			struct virtq before = q;
			struct virtq_chain c;
			int r = pop(&q, &c);
			if (r == 1) {
				check_chain(&q, &c);
				assert_int_equal(q.last_avail, (uint16_t)(before.last_avail + 1));
				ok++;
				continue;
			}
			expect_same_queue(&q, &before);
			if (r == 0) {
				assert_int_equal(k, pending);
				empty++;
			} else {
				assert_true(known_err(r));
				seen[-r] = true;
				errs++;
			}
			break;
		}
	}
	print_message("random tables: %u chains, %u errors, %u drained\n", ok, errs, empty);
	assert_true(ok > 1000);
	assert_true(errs > 500);
	/* Everything but layout, too-long and total-length turns up by chance. */
	for (int e = -VQ_ERR_AVAIL_IDX; e <= -VQ_ERR_ZERO_LEN; e++)
		if (e != -VQ_ERR_TOO_LONG)
			assert_true(seen[e]);
	assert_int_equal(fk.wrapped, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_empty, reset),
		cmocka_unit_test_setup(test_single_chain, reset),
		cmocka_unit_test_setup(test_in_order_wraparound, reset),
		cmocka_unit_test_setup(test_push, reset),
		cmocka_unit_test_setup(test_chain_read, reset),
		cmocka_unit_test_setup(test_chain_write, reset),
		cmocka_unit_test_setup(test_loop, reset),
		cmocka_unit_test_setup(test_self_loop, reset),
		cmocka_unit_test_setup(test_chain_as_long_as_queue, reset),
		cmocka_unit_test_setup(test_next_out_of_range, reset),
		cmocka_unit_test_setup(test_head_out_of_range, reset),
		cmocka_unit_test_setup(test_avail_idx, reset),
		cmocka_unit_test_setup(test_buf_outside_ram, reset),
		cmocka_unit_test_setup(test_buf_in_hole, reset),
		cmocka_unit_test_setup(test_buf_wraps, reset),
		cmocka_unit_test_setup(test_order, reset),
		cmocka_unit_test_setup(test_indirect, reset),
		cmocka_unit_test_setup(test_too_long, reset),
		cmocka_unit_test_setup(test_zero_len, reset),
		cmocka_unit_test_setup(test_total_len, reset),
		cmocka_unit_test_setup(test_layout, reset),
		cmocka_unit_test_setup(test_layout_rechecked, reset),
		cmocka_unit_test_setup(test_state_unchanged_after_error, reset),
		cmocka_unit_test_setup(test_desc_read_once, reset),
		cmocka_unit_test_setup(test_strerror, reset),
		cmocka_unit_test_setup(test_random_tables, reset),
	};
	return cmocka_run_group_tests(tests, ram_alloc, ram_free);
}
