/*
 * virtio-net (virtio 1.x section 5.1) over a frame backend: the guest's NIC
 * under odv-hv, bridged to the physical NIC odv-hv drives (e1000.c) and
 * carrying its MAC, so the network sees the same host. Queue 0 receives,
 * queue 1 transmits. Offered: VERSION_1, MAC, STATUS (link up); no checksum
 * or segmentation offload, no mergeable buffers, so every frame is whole and
 * each receive buffer holds header + frame. Pure logic
 * (tests/unit/test_virtio_net.c).
 */
#ifndef ODV_VIRTIO_NET_H
#define ODV_VIRTIO_NET_H
#include "virtio_pci.h"

#define VIRTIO_NET_F_MAC    BIT(5)
#define VIRTIO_NET_F_STATUS BIT(16)
#define VIRTIO_NET_S_LINK_UP 1
#define VNET_HDR_LEN 12              /* struct virtio_net_hdr with num_buffers (VERSION_1) */
#define VNET_QUEUE_SIZE 128
#define VNET_MAX_FRAME 1514

struct net_backend {
	int (*send)(void *ctx, const void *frame, unsigned len);     /* 0 or -1 */
	void *ctx;
};

struct vnet {
	struct vpci_dev dev;
	struct net_backend be;
	uint8_t mac[6];
	bool link_up;
	uint64_t tx_frames, rx_frames, rx_no_buffer, tx_errors;
	uint8_t frame[VNET_HDR_LEN + VNET_MAX_FRAME];
};

void vnet_init(struct vnet *n, uint16_t bdf, uint32_t bar_addr, const uint8_t mac[6],
	       const struct net_backend *be, const struct guest_ram *ram);
/*
 * A frame from the wire for the guest: into the next receive buffer (header
 * zeroed, num_buffers 1), interrupt. Returns 0, or -1 if dropped (device not
 * live, no receive buffer, buffer too small, queue broken).
 */
int vnet_receive(struct vnet *n, const void *frame, unsigned len);

#endif
