/*
 * odv-hv's driver for a physical ATA disk on a legacy IDE channel (PIO,
 * polled, interrupts masked with nIEN): what backs the guest's virtio-blk
 * disk once odv-hv has taken the IDE controller over. Port I/O goes through
 * struct ata_io, so the host unit tests (tests/unit/test_ata.c) drive it
 * against a model of an ATA device. Every wait is bounded; errors come back
 * as negative numbers with a reason, never as a hang.
 */
#ifndef ODV_ATA_H
#define ODV_ATA_H
#include "types.h"

struct ata_io {
	uint8_t (*inb)(void *ctx, uint16_t port);
	void (*outb)(void *ctx, uint16_t port, uint8_t v);
	uint16_t (*inw)(void *ctx, uint16_t port);
	void (*outw)(void *ctx, uint16_t port, uint16_t v);
	void *ctx;
};

struct ata_dev {
	struct ata_io io;
	uint16_t cmd_base;      /* 0x1f0 primary, 0x170 secondary */
	uint16_t ctl_base;      /* 0x3f6 primary, 0x376 secondary (device control / alt status) */
	bool slave;
	bool lba48;
	uint64_t sectors;       /* 512-byte sectors */
	char model[41];         /* from IDENTIFY, trailing spaces removed */
	char serial[21];        /* from IDENTIFY, leading and trailing spaces removed; "" if none */
	const char *last_error; /* why the last call failed */
};

/*
 * IDENTIFY DEVICE on (cmd_base, ctl_base, slave); fills *d. 0, or -1 with
 * d->last_error set (no device, ATAPI device, timeout, device error).
 */
int ata_probe(struct ata_dev *d, const struct ata_io *io, uint16_t cmd_base, uint16_t ctl_base,
	      bool slave);
/* PIO transfers of `count` 512-byte sectors (1..256) at lba; 0 or -1 (d->last_error). */
int ata_read(struct ata_dev *d, uint64_t lba, unsigned count, void *buf);
int ata_write(struct ata_dev *d, uint64_t lba, unsigned count, const void *buf);
/* FLUSH CACHE (EXT): the device's write cache reaches the medium. 0 or -1. */
int ata_flush(struct ata_dev *d);

#endif
