/*
 * odv-hv's driver for the physical NIC it takes over: Intel 8254x ("e1000",
 * 82540EM 8086:100e as Bochs and QEMU emulate it), polled, interrupts masked.
 * It moves whole Ethernet frames between the wire and virtio-net
 * (virtio_net.c). Register access and DMA memory go through struct e1000_env,
 * so tests/unit/test_e1000.c drives it against a model of the device.
 */
#ifndef ODV_E1000_H
#define ODV_E1000_H
#include "types.h"

#define E1000_RX_DESCS 32          /* multiple of 8 (RDLEN must be a multiple of 128 bytes) */
#define E1000_TX_DESCS 32
#define E1000_BUF_SIZE 2048        /* RCTL.BSIZE 2048; frames up to 1518 bytes + CRC fit */
#define E1000_MAX_FRAME 1514       /* without CRC (stripped: RCTL.SECRC) */

struct e1000_env {
	uint32_t (*rd32)(void *ctx, uint32_t reg);             /* register at BAR0 + reg */
	void (*wr32)(void *ctx, uint32_t reg, uint32_t val);
	/* DMA memory the device may access: virtual address <-> bus (physical) address. */
	void *(*dma_alloc)(void *ctx, uint64_t size, uint64_t *phys);   /* zeroed, 4 KiB aligned; NULL if none */
	void (*delay_us)(void *ctx, unsigned us);
	void *ctx;
};

struct e1000_dev {
	struct e1000_env env;
	uint8_t mac[6];
	void *rx_ring, *tx_ring;          /* legacy descriptors, 16 bytes each */
	uint64_t rx_ring_phys, tx_ring_phys;
	uint8_t *rx_buf[E1000_RX_DESCS], *tx_buf[E1000_TX_DESCS];
	uint64_t rx_buf_phys[E1000_RX_DESCS], tx_buf_phys[E1000_TX_DESCS];
	unsigned rx_next;                 /* next RX descriptor to look at */
	unsigned tx_next;                 /* next TX descriptor to fill */
	uint64_t rx_frames, tx_frames, rx_dropped, tx_errors;
	const char *last_error;
	bool running;                     /* initialised and not stopped: send/recv refuse otherwise */
	bool rx_skip;                     /* dropping the rest of a frame that spans descriptors */
};

/*
 * Reset the device, read its MAC (RAL0/RAH0 as loaded from the EEPROM at
 * reset; if RAH0.AV is clear, EERD words 0-2), mask every interrupt, set up
 * both rings, enable receive (broadcast accepted, CRC stripped, 2 KiB buffers)
 * and transmit (pad short packets), link up (CTRL.SLU). 0, or -1 with
 * last_error set.
 * *d must be zeroed before its first init; a later init of the same *d (after
 * e1000_stop, same dma_alloc and ctx) reuses its DMA memory.
 */
int e1000_init(struct e1000_dev *d, const struct e1000_env *env);
/* Queue one frame (14..E1000_MAX_FRAME bytes) and wait (bounded) until the device took it. 0 or -1. */
int e1000_send(struct e1000_dev *d, const void *frame, unsigned len);
/*
 * One received frame, if any: copied to buf (at most max bytes; longer frames
 * are dropped and counted). Returns its length, 0 if none is waiting.
 */
unsigned e1000_recv(struct e1000_dev *d, void *buf, unsigned max);
/* Stop receive and transmit, mask interrupts: leave the device quiet for whoever comes next. */
void e1000_stop(struct e1000_dev *d);
/* Link up (STATUS.LU). */
bool e1000_link_up(struct e1000_dev *d);

#endif
