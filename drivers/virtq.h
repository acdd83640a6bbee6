/*
 * Split virtqueues (virtio 1.x, section 2.7) as the device side sees them:
 * odv-hv walks queues that live in guest memory, which the guest may change at
 * any moment and may have filled with anything. Every index, address, length,
 * flag and chain is checked before it is used; a queue that breaks a rule is
 * reported with an error code and the caller marks its device broken (no
 * further processing), never follows it. Pure logic: guest memory is reached
 * only through struct guest_ram, so the same code runs in odv-hv and in the
 * host unit tests (tests/unit/test_virtq.c).
 *
 * Not offered, so refused when seen: indirect descriptors, event index,
 * packed rings.
 */
#ifndef ODV_VIRTQ_H
#define ODV_VIRTQ_H
#include "types.h"

/* The guest's RAM as the device may touch it. */
struct guest_ram {
	/*
	 * Host pointer for guest-physical [gpa, gpa + len), or NULL when any
	 * byte of it is not guest RAM (MMIO, odv-hv's own region, beyond the
	 * end, wrap-around). The range is contiguous in host memory when
	 * non-NULL.
	 */
	void *(*map)(void *ctx, uint64_t gpa, uint64_t len);
	void *ctx;
};

#define VIRTQ_MAX_SIZE 256          /* largest queue size odv-hv offers */
#define VIRTQ_MAX_CHAIN 64          /* longest chain a device accepts */

/* Ring layout facts (virtio 1.x 2.7). */
#define VIRTQ_DESC_F_NEXT      1
#define VIRTQ_DESC_F_WRITE     2
#define VIRTQ_DESC_F_INDIRECT  4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq {
	uint16_t size;                  /* power of two, 1..VIRTQ_MAX_SIZE */
	uint64_t desc, avail, used;     /* guest-physical ring addresses */
	uint16_t last_avail;            /* next avail ring entry the device takes */
	uint16_t used_idx;              /* the device's used->idx */
	bool enabled;
};

struct virtq_seg {
	uint64_t gpa;
	uint32_t len;
	bool write;                     /* device-writable */
};

/* One request: its head index and its buffers, device-readable ones first. */
struct virtq_chain {
	uint16_t head;
	unsigned n;
	struct virtq_seg seg[VIRTQ_MAX_CHAIN];
	uint32_t readable, writable;    /* byte totals of each kind */
};

enum virtq_err {
	VQ_OK = 0,
	VQ_ERR_LAYOUT = -1,      /* ring not in guest RAM, misaligned, or bad size */
	VQ_ERR_AVAIL_IDX = -2,   /* avail->idx ran more than size ahead of the device */
	VQ_ERR_HEAD = -3,        /* head index >= size */
	VQ_ERR_NEXT = -4,        /* next index >= size */
	VQ_ERR_LOOP = -5,        /* chain longer than the queue: a descriptor loop */
	VQ_ERR_BUF_ADDR = -6,    /* buffer not entirely in guest RAM */
	VQ_ERR_ORDER = -7,       /* device-readable buffer after a device-writable one */
	VQ_ERR_INDIRECT = -8,    /* VIRTQ_DESC_F_INDIRECT (not negotiated) */
	VQ_ERR_TOO_LONG = -9,    /* more than VIRTQ_MAX_CHAIN buffers */
	VQ_ERR_ZERO_LEN = -10,   /* a zero-length buffer */
	VQ_ERR_USED = -11,       /* id/len given to virtq_push out of range */
	VQ_ERR_TOTAL_LEN = -12,  /* readable or writable bytes of one chain add up past UINT32_MAX */
};

const char *virtq_strerror(int err);

/* Check the three rings lie in guest RAM with their required alignment (when the driver enables the queue). */
int virtq_check_layout(const struct virtq *q, const struct guest_ram *m);

/*
 * Take the next available chain: 1 = *c filled, 0 = nothing available, < 0 =
 * enum virtq_err (then *c holds nothing useful and last_avail is unchanged).
 * Does not look at q->enabled: whether to serve the queue is the caller's call.
 */
int virtq_pop(struct virtq *q, const struct guest_ram *m, struct virtq_chain *c);

/* Return chain `head` with `written` bytes written by the device. 0 or < 0. */
int virtq_push(struct virtq *q, const struct guest_ram *m, uint16_t head, uint32_t written);

/*
 * Does the driver want an interrupt now (no VIRTQ_AVAIL_F_NO_INTERRUPT)? Call
 * after virtq_push; true when the avail ring does not map (a spurious
 * interrupt is harmless, a missed one can hang the driver).
 */
bool virtq_wants_interrupt(const struct virtq *q, const struct guest_ram *m);

/*
 * Copy between a chain's buffers and a flat buffer, starting `off` bytes into
 * the readable (chain_read) or writable (chain_write) part. Returns the bytes
 * copied (less than len at the end of that part), or 0 when a buffer no longer
 * maps (bytes copied before that point are not reported).
 */
uint32_t virtq_chain_read(const struct guest_ram *m, const struct virtq_chain *c, uint32_t off,
			  void *buf, uint32_t len);
uint32_t virtq_chain_write(const struct guest_ram *m, const struct virtq_chain *c, uint32_t off,
			   const void *buf, uint32_t len);

#endif
