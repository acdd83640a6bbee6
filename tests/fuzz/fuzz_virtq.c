/*
 * libFuzzer harness for drivers/virtq.c: a split virtqueue whose rings,
 * descriptors and buffers are all fuzzed guest RAM, with the queue size and
 * ring addresses taken from the input, and a sequence of device operations
 * (pop, push, chain copies, interrupt check) run over it.
 *
 * As in tests/unit/test_virtq.c, every map() returns a fresh heap copy of
 * exactly the bytes asked for, written back after each call: an access past
 * what the device mapped is an AddressSanitizer report even inside RAM. Each
 * result is checked against RAM as the harness reads it itself.
 *
 * Input (little-endian): queue size (2 bytes), last_avail (2), used_idx (2),
 * the number of operation bytes (1), a spare byte, the desc, avail and used
 * ring addresses (4 each), then that many operation bytes, then guest RAM
 * (its size is what is left, from guest-physical RAM_BASE on).
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "virtq.h"

#define RAM_BASE 0x1000ull
#define MAX_WIN  512

struct window {
	uint64_t gpa, len;
	uint8_t *host, *snap;
};

static struct {
	uint8_t *ram;
	uint64_t size;
	struct window win[MAX_WIN];
	unsigned nwin;
	unsigned changed;          /* bytes the device wrote, counted at sync */
} g;

NO_COVERAGE static void *map(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	FUZZ_CHECK(len != 0 && gpa + (len - 1) >= gpa);   /* virtq.c promises not to ask */
	if (gpa < RAM_BASE || gpa - RAM_BASE >= g.size || len > g.size - (gpa - RAM_BASE))
		return NULL;
	FUZZ_CHECK(g.nwin < MAX_WIN);
	struct window *w = &g.win[g.nwin++];
	w->gpa = gpa;
	w->len = len;
	w->host = malloc(len);
	w->snap = malloc(len);
	FUZZ_CHECK(w->host && w->snap);
	memcpy(w->host, g.ram + (gpa - RAM_BASE), len);
	memcpy(w->snap, w->host, len);
	return w->host;
}

/* Only changed bytes go back, so overlapping windows do not undo each other. */
NO_COVERAGE static void sync_ram(void)
{
	for (unsigned i = 0; i < g.nwin; i++) {
		struct window *w = &g.win[i];
		for (uint64_t k = 0; k < w->len; k++)
			if (w->host[k] != w->snap[k]) {
				g.ram[w->gpa - RAM_BASE + k] = w->host[k];
				g.changed++;
			}
		free(w->host);
		free(w->snap);
	}
	g.nwin = 0;
}

static const struct guest_ram gram = { map, NULL };

NO_COVERAGE static bool in_ram(uint64_t gpa, uint64_t len)
{
	return gpa >= RAM_BASE && gpa - RAM_BASE < g.size && len <= g.size - (gpa - RAM_BASE);
}

NO_COVERAGE static uint64_t rd(uint64_t gpa, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)g.ram[gpa - RAM_BASE + i] << (8 * i);
	return v;
}

/* A chain virtq_pop accepted: inside RAM, no longer than the queue, totals right. */
NO_COVERAGE static void check_chain(const struct virtq *q, const struct virtq_chain *c)
{
	uint64_t readable = 0, writable = 0;
	FUZZ_CHECK(c->head < q->size);
	FUZZ_CHECK(c->n >= 1 && c->n <= q->size && c->n <= VIRTQ_MAX_CHAIN);
	for (unsigned i = 0; i < c->n; i++) {
		const struct virtq_seg *s = &c->seg[i];
		FUZZ_CHECK(s->len > 0 && in_ram(s->gpa, s->len));
		FUZZ_CHECK(s->write || !writable);          /* readable ones first */
		*(s->write ? &writable : &readable) += s->len;
	}
	FUZZ_CHECK(readable == c->readable && writable == c->writable);
	/* The head's descriptor is the first segment, as the guest wrote it. */
	uint64_t d = q->desc + 16ull * c->head;
	FUZZ_CHECK(rd(d, 8) == c->seg[0].gpa && rd(d + 8, 4) == c->seg[0].len);
}

/* The bytes at offset `off` of the chain's readable or writable part, from RAM directly. */
NO_COVERAGE static uint32_t expect_bytes(const struct virtq_chain *c, bool write, uint32_t off, uint8_t *out, uint32_t len)
{
	uint32_t done = 0;
	for (unsigned i = 0; i < c->n && done < len; i++) {
		const struct virtq_seg *s = &c->seg[i];
		if (s->write != write)
			continue;
		for (uint32_t k = 0; k < s->len && done < len; k++) {
			if (off) {
				off--;
				continue;
			}
			out[done++] = g.ram[s->gpa - RAM_BASE + k];
		}
	}
	return done;
}

static void op_pop(struct virtq *q, struct virtq_chain *c, bool *have)
{
	uint16_t before = q->last_avail, used = q->used_idx;
	g.changed = 0;
	int r = virtq_pop(q, &gram, c);
	sync_ram();
	FUZZ_CHECK(g.changed == 0);                 /* popping never writes guest RAM */
	FUZZ_CHECK(q->used_idx == used);
	if (r == 1) {
		FUZZ_CHECK(q->last_avail == (uint16_t)(before + 1));
		/* The head is the avail ring's entry for this request. */
		FUZZ_CHECK(rd(q->avail + 4 + 2ull * (before & (q->size - 1)), 2) == c->head);
		check_chain(q, c);
		*have = true;
	} else {
		FUZZ_CHECK(r == 0 || virtq_strerror(r)[0]);
		FUZZ_CHECK(r <= 0 && r >= VQ_ERR_TOTAL_LEN);
		FUZZ_CHECK(q->last_avail == before);
	}
}

static void op_push(struct virtq *q, uint16_t head, uint32_t written)
{
	uint16_t before = q->used_idx;
	g.changed = 0;
	int r = virtq_push(q, &gram, head, written);
	sync_ram();
	if (r) {
		FUZZ_CHECK(g.changed == 0 && q->used_idx == before);
		return;
	}
	FUZZ_CHECK(head < q->size && q->used_idx == (uint16_t)(before + 1));
	uint64_t e = q->used + 4 + 8ull * (before & (q->size - 1));
	FUZZ_CHECK(rd(q->used + 2, 2) == q->used_idx);
	FUZZ_CHECK(rd(e, 4) == head && rd(e + 4, 4) == written);
}

static void op_read(const struct virtq_chain *c, uint32_t off, uint32_t len)
{
	uint8_t got[512], want[512];
	g.changed = 0;
	uint32_t n = virtq_chain_read(&gram, c, off, got, len);
	sync_ram();
	FUZZ_CHECK(g.changed == 0 && n <= len);
	uint32_t e = expect_bytes(c, false, off, want, len);
	FUZZ_CHECK(n == e && memcmp(got, want, n) == 0);
}

static void op_write(const struct virtq_chain *c, uint32_t off, uint32_t len, uint8_t fill)
{
	uint8_t buf[512], back[512];
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(fill + i);
	uint32_t n = virtq_chain_write(&gram, c, off, buf, len);
	sync_ram();
	FUZZ_CHECK(n <= len);
	/* Segments may overlap (later ones overwrite), so bytes are compared for one-segment chains only. */
	uint32_t e = expect_bytes(c, true, off, back, len);
	FUZZ_CHECK(n == e);
	if (c->n == 1 && n)
		FUZZ_CHECK(memcmp(back, buf, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct virtq q = { 0 };
	q.size = fz_u16(&in);
	q.last_avail = fz_u16(&in);
	q.used_idx = fz_u16(&in);
	unsigned nops = fz_u8(&in);
	fz_u8(&in);
	q.desc = fz_u32(&in);
	q.avail = fz_u32(&in);
	q.used = fz_u32(&in);
	q.enabled = true;
	struct fuzz_in ops = { in.p, nops < in.n ? nops : in.n };
	in.p += ops.n;
	in.n -= ops.n;
	g.size = in.n;
	g.ram = malloc(g.size ? g.size : 1);
	FUZZ_CHECK(g.ram);
	memcpy(g.ram, in.p, g.size);

	struct virtq_chain c;
	bool have = false;
	if (virtq_check_layout(&q, &gram) == 0) {
		FUZZ_CHECK(q.size && q.size <= VIRTQ_MAX_SIZE && !(q.size & (q.size - 1)));
		FUZZ_CHECK(in_ram(q.desc, 16ull * q.size) && in_ram(q.avail, 6 + 2ull * q.size) &&
			   in_ram(q.used, 6 + 8ull * q.size));
	}
	sync_ram();
	/* With no operations given, pop until the queue is empty or refused. */
	if (!ops.n) {
		for (unsigned i = 0; i <= VIRTQ_MAX_SIZE; i++) {
			bool got = false;
			op_pop(&q, &c, &got);
			if (!got)
				break;
			op_push(&q, c.head, c.writable);
		}
	}
	while (ops.n) {
		uint8_t op = fz_u8(&ops);
		switch (op & 7) {
		case 0: case 1:
			op_pop(&q, &c, &have);
			break;
		case 2: {
			/* Arguments in input order (C leaves argument evaluation order open). */
			uint16_t head = have ? c.head : fz_u16(&ops);
			op_push(&q, head, fz_u32(&ops));
			break;
		}
		case 3: case 4: {
			uint32_t off = fz_u16(&ops) % 600;
			uint32_t len = fz_u16(&ops) % 513;
			if (have && (op & 7) == 3)
				op_read(&c, off, len);
			else if (have)
				op_write(&c, off, len, (uint8_t)(op >> 3));
			break;
		}
		case 5:
			virtq_wants_interrupt(&q, &gram);
			g.changed = 0;
			sync_ram();
			FUZZ_CHECK(g.changed == 0);
			break;
		default: {
			/* The guest scribbles on its RAM between two device calls. */
			uint16_t at = fz_u16(&ops);
			uint8_t v = fz_u8(&ops);
			if (at < g.size)
				g.ram[at] = v;
			break;
		}
		}
	}
	free(g.ram);
	return 0;
}
