/*
 * Device side of split virtqueues, written from virtio 1.x section 2.7.
 * Every call maps the three rings afresh through struct guest_ram, reads
 * avail->idx once, and copies each descriptor it follows into a local before
 * checking it: a guest rewriting its rings mid-walk can get its own request
 * refused, but never make odv-hv use an unchecked index, address or length.
 * Loops are caught with a bitmap of visited descriptors; errors change nothing.
 */
#include "virtq.h"

/* Ring fields are little-endian; odv-hv runs on x86 only, so they are native. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "virtio rings are little-endian");

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];                /* then le16 used_event */
};

struct vq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vq_used {
	uint16_t flags;
	uint16_t idx;
	struct vq_used_elem ring[];     /* then le16 avail_event */
};

_Static_assert(sizeof(struct vq_desc) == 16, "descriptor is 16 bytes");
_Static_assert(sizeof(struct vq_used_elem) == 8, "used element is 8 bytes");

/*
 * Ring sizes as the spec gives them (2.7), event fields included: the driver
 * lays them out that way whether or not event index was negotiated.
 */
#define DESC_BYTES(n)  (16ull * (n))
#define AVAIL_BYTES(n) (6ull + 2ull * (n))
#define USED_BYTES(n)  (6ull + 8ull * (n))

struct rings {
	volatile struct vq_desc *desc;
	volatile struct vq_avail *avail;
	volatile struct vq_used *used;
};

/*
 * Ordering between ring accesses only has to survive the compiler: x86 is
 * TSO, so loads are not reordered with loads nor stores with stores. (Store
 * then load is the one exception; see virtq_wants_interrupt.)
 */
static inline void compiler_barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

/* map() should refuse a wrapping range itself; make sure one never reaches it. */
static void *map_range(const struct guest_ram *m, uint64_t gpa, uint64_t len)
{
	if (len == 0 || gpa + (len - 1) < gpa)
		return NULL;
	return m->map(m->ctx, gpa, len);
}

static bool size_ok(uint16_t size)
{
	return size >= 1 && size <= VIRTQ_MAX_SIZE && (size & (size - 1)) == 0;
}

static int map_rings(const struct virtq *q, const struct guest_ram *m, struct rings *r)
{
	if (!size_ok(q->size) || q->desc % 16 || q->avail % 2 || q->used % 4)
		return VQ_ERR_LAYOUT;
	r->desc = map_range(m, q->desc, DESC_BYTES(q->size));
	r->avail = map_range(m, q->avail, AVAIL_BYTES(q->size));
	r->used = map_range(m, q->used, USED_BYTES(q->size));
	if (!r->desc || !r->avail || !r->used)
		return VQ_ERR_LAYOUT;
	return VQ_OK;
}

int virtq_check_layout(const struct virtq *q, const struct guest_ram *m)
{
	struct rings r;
	return map_rings(q, m, &r);
}

/* One read of each field: the checks below judge this copy, never the ring. */
static struct vq_desc read_desc(const volatile struct vq_desc *p)
{
	struct vq_desc d;
	d.addr = p->addr;
	d.len = p->len;
	d.flags = p->flags;
	d.next = p->next;
	return d;
}

static int add_seg(const struct guest_ram *m, struct virtq_chain *c, const struct vq_desc *d)
{
	bool write = d->flags & VIRTQ_DESC_F_WRITE;
	uint32_t *total = write ? &c->writable : &c->readable;

	if (d->flags & VIRTQ_DESC_F_INDIRECT)
		return VQ_ERR_INDIRECT;
	if (c->n == VIRTQ_MAX_CHAIN)
		return VQ_ERR_TOO_LONG;
	if (d->len == 0)
		return VQ_ERR_ZERO_LEN;
	if (!map_range(m, d->addr, d->len))
		return VQ_ERR_BUF_ADDR;
	/* Lengths are never zero, so writable > 0 exactly when one was seen. */
	if (!write && c->writable)
		return VQ_ERR_ORDER;
	/* Segments may overlap, so RAM size does not bound the totals. */
	if (d->len > UINT32_MAX - *total)
		return VQ_ERR_TOTAL_LEN;
	*total += d->len;
	c->seg[c->n].gpa = d->addr;
	c->seg[c->n].len = d->len;
	c->seg[c->n].write = write;
	c->n++;
	return VQ_OK;
}

/*
 * A chain that visits a descriptor twice never ends, which is the same thing
 * as being longer than the queue, but the bitmap says so at the first repeat.
 */
static int walk_chain(uint16_t size, const struct guest_ram *m, volatile struct vq_desc *tbl,
		      uint16_t head, struct virtq_chain *c)
{
	uint64_t seen[VIRTQ_MAX_SIZE / 64] = { 0, 0, 0, 0 };
	uint16_t i = head;

	c->head = head;
	c->n = 0;
	c->readable = c->writable = 0;
	for (;;) {
		if (seen[i / 64] & BIT(i % 64))
			return VQ_ERR_LOOP;
		seen[i / 64] |= BIT(i % 64);
		struct vq_desc d = read_desc(&tbl[i]);
		int err = add_seg(m, c, &d);
		if (err)
			return err;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return VQ_OK;
		if (d.next >= size)
			return VQ_ERR_NEXT;
		i = d.next;
	}
}

int virtq_pop(struct virtq *q, const struct guest_ram *m, struct virtq_chain *c)
{
	struct rings r;
	int err = map_rings(q, m, &r);
	if (err)
		return err;

	uint16_t pending = (uint16_t)(r.avail->idx - q->last_avail);
	if (pending == 0)
		return 0;
	if (pending > q->size)
		return VQ_ERR_AVAIL_IDX;
	/* The entry is only valid once idx covers it: read it after idx. */
	compiler_barrier();
	uint16_t head = r.avail->ring[q->last_avail & (q->size - 1)];
	if (head >= q->size)
		return VQ_ERR_HEAD;

	err = walk_chain(q->size, m, r.desc, head, c);
	if (err)
		return err;
	q->last_avail++;
	return 1;
}

int virtq_push(struct virtq *q, const struct guest_ram *m, uint16_t head, uint32_t written)
{
	struct rings r;
	int err = map_rings(q, m, &r);
	if (err)
		return err;
	if (head >= q->size)
		return VQ_ERR_USED;

	volatile struct vq_used_elem *e = &r.used->ring[q->used_idx & (q->size - 1)];
	e->id = head;
	e->len = written;
	/* The driver may read the element as soon as idx covers it. */
	compiler_barrier();
	/* Our own count, not a read-modify-write of a field the guest can scribble on. */
	q->used_idx++;
	r.used->idx = q->used_idx;
	return VQ_OK;
}

bool virtq_wants_interrupt(const struct virtq *q, const struct guest_ram *m)
{
	struct rings r;
	if (map_rings(q, m, &r))
		return true;
	/*
	 * x86 may let this load pass the used->idx store before it. The driver
	 * clears NO_INTERRUPT and then rechecks used->idx; if both sides read
	 * stale values, neither acts and the request hangs. Hence a real fence.
	 */
	__asm__ volatile("mfence" ::: "memory");
	return !(r.avail->flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* Volatile so the compiler neither merges guest reads nor turns this into memcpy. */
static void copy_from_guest(uint8_t *dst, const volatile uint8_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = src[i];
}

static void copy_to_guest(volatile uint8_t *dst, const uint8_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = src[i];
}

/* `host` is only written when !to_guest (chain_write passes a const buffer). */
static uint32_t chain_copy(const struct guest_ram *m, const struct virtq_chain *c, bool to_guest,
			   uint32_t off, uint8_t *host, uint32_t len)
{
	unsigned n = c->n < VIRTQ_MAX_CHAIN ? c->n : VIRTQ_MAX_CHAIN;
	uint32_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		const struct virtq_seg *s = &c->seg[i];
		if (s->write != to_guest)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		uint32_t chunk = s->len - off;
		if (chunk > len - done)
			chunk = len - done;
		/* The guest may have moved RAM since the pop: map again. */
		volatile uint8_t *g = map_range(m, s->gpa + off, chunk);
		if (!g)
			return 0;
		if (to_guest)
			copy_to_guest(g, host + done, chunk);
		else
			copy_from_guest(host + done, g, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}

uint32_t virtq_chain_read(const struct guest_ram *m, const struct virtq_chain *c, uint32_t off,
			  void *buf, uint32_t len)
{
	return chain_copy(m, c, false, off, buf, len);
}

uint32_t virtq_chain_write(const struct guest_ram *m, const struct virtq_chain *c, uint32_t off,
			   const void *buf, uint32_t len)
{
	return chain_copy(m, c, true, off, (uint8_t *)buf, len);
}

const char *virtq_strerror(int err)
{
	switch (err) {
	case VQ_OK:            return "no error";
	case VQ_ERR_LAYOUT:    return "ring not in guest ram, misaligned, or bad queue size";
	case VQ_ERR_AVAIL_IDX: return "available index more than the queue size ahead";
	case VQ_ERR_HEAD:      return "chain head index out of range";
	case VQ_ERR_NEXT:      return "next descriptor index out of range";
	case VQ_ERR_LOOP:      return "descriptor loop (chain longer than the queue)";
	case VQ_ERR_BUF_ADDR:  return "buffer not entirely in guest ram";
	case VQ_ERR_ORDER:     return "device-readable buffer after a device-writable one";
	case VQ_ERR_INDIRECT:  return "indirect descriptor (not negotiated)";
	case VQ_ERR_TOO_LONG:  return "chain has too many buffers";
	case VQ_ERR_ZERO_LEN:  return "zero-length buffer";
	case VQ_ERR_USED:      return "used element out of range";
	case VQ_ERR_TOTAL_LEN: return "chain byte total too large";
	default:               return "unknown virtqueue error";
	}
}
