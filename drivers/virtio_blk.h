/*
 * virtio-blk (virtio 1.x section 5.2) over a block backend: odv-hv's disk for
 * the guest, backed by the physical disk odv-hv drives itself (ata.c).
 * Requests are done synchronously when the driver notifies the queue. Pure
 * logic (tests/unit/test_virtio_blk.c runs it against a RAM backend).
 */
#ifndef ODV_VIRTIO_BLK_H
#define ODV_VIRTIO_BLK_H
#include "virtio_pci.h"

#define VBLK_SECTOR 512u
#define VBLK_QUEUE_SIZE 128
/* Largest transfer done in one backend call; larger requests are split. */
#define VBLK_CHUNK_SECTORS 64u

/* Request types and status values (virtio 1.x 5.2.6). */
#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

/*
 * Largest segment and request: requests are done synchronously (polled PIO)
 * in a VM exit, so their size is bounded; bigger ones get IOERR.
 */
#define VBLK_SIZE_MAX (64u * 1024)
#define VBLK_MAX_REQUEST ((VIRTQ_MAX_CHAIN - 2) * VBLK_SIZE_MAX)

/* Feature bits offered. */
#define VIRTIO_BLK_F_SIZE_MAX BIT(1)
#define VIRTIO_BLK_F_SEG_MAX  BIT(2)
#define VIRTIO_BLK_F_BLK_SIZE BIT(6)
#define VIRTIO_BLK_F_FLUSH    BIT(9)

struct blk_backend {
	uint64_t sectors;
	int (*read)(void *ctx, uint64_t lba, unsigned count, void *buf);        /* 0 or -1 */
	int (*write)(void *ctx, uint64_t lba, unsigned count, const void *buf);
	int (*flush)(void *ctx);
	const char *(*last_error)(void *ctx);                                   /* may be NULL */
	void *ctx;
};

struct vblk {
	struct vpci_dev dev;
	struct blk_backend be;
	char serial[20];                     /* GET_ID answer, NUL-padded */
	uint64_t requests, errors;           /* done, and answered with IOERR */
	uint8_t bounce[VBLK_CHUNK_SECTORS * VBLK_SECTOR];
};

/* Make `b` a virtio-blk function at bdf with its BAR at bar_addr. */
void vblk_init(struct vblk *b, uint16_t bdf, uint32_t bar_addr, const struct blk_backend *be,
	       const char *serial, const struct guest_ram *ram);

#endif
