/*
 * virtio-net frames (see virtio_net.h). Transmit: each chain the driver
 * queues is a 12-byte header and the frame, in any split across its
 * device-readable buffers; the header carries nothing odv-hv must act on
 * (no offloads were offered), so the frame goes to the backend as it is.
 * Receive: the next buffer gets a zeroed header with num_buffers = 1, then
 * the frame. A chain that breaks the rules marks the device broken.
 */
#include "virtio_net.h"

#define RXQ 0
#define TXQ 1

static uint32_t cfg_read(struct vpci_dev *d, unsigned off, unsigned size)
{
	struct vnet *n = d->priv;
	/* Configuration layout (virtio 1.x 5.1.4): mac[6], status (le16). */
	uint8_t cfg[8] = { n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
			   n->link_up ? VIRTIO_NET_S_LINK_UP : 0, 0 };
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		if (off + i < sizeof(cfg))
			v |= (uint32_t)cfg[off + i] << (8 * i);
	return v;
}

/* One transmit chain: a header and a whole frame, device-readable only. */
static int64_t transmit(struct vpci_dev *d, const struct virtq_chain *c, const char **why)
{
	struct vnet *n = d->priv;
	if (c->writable || c->readable < VNET_HDR_LEN + 14 || c->readable > VNET_HDR_LEN + VNET_MAX_FRAME) {
		*why = "transmit chain is not a header and a whole frame (14..1514 bytes)";
		return -1;
	}
	unsigned len = c->readable - VNET_HDR_LEN;
	if (virtq_chain_read(d->ram, c, VNET_HDR_LEN, n->frame, len) != len ||
	    n->be.send(n->be.ctx, n->frame, len))
		n->tx_errors++;
	else
		n->tx_frames++;
	return 0;
}

static void notify(struct vpci_dev *d, unsigned q)
{
	/* Receive-queue kicks only say buffers were added: vnet_receive uses them when frames come. */
	if (q == TXQ)
		vpci_drain(d, TXQ, transmit);
}

int vnet_receive(struct vnet *n, const void *frame, unsigned len)
{
	struct vpci_dev *d = &n->dev;
	struct virtq *q = &d->vq[RXQ];
	struct virtq_chain c;
	if (!vpci_live(d) || !q->enabled || len > VNET_MAX_FRAME) {
		n->rx_no_buffer++;
		return -1;
	}
	int r = virtq_pop(q, d->ram, &c);
	if (r <= 0) {
		if (r < 0)
			vpci_set_broken(d, RXQ, virtq_strerror(r));
		n->rx_no_buffer++;
		return -1;
	}
	if (c.readable) {
		vpci_set_broken(d, RXQ, "receive buffer the device may not write");
		n->rx_no_buffer++;
		return -1;
	}
	/* A receive buffer too small for header + frame: the frame is lost, the buffer returned empty. */
	uint32_t written = 0;
	if (c.writable >= VNET_HDR_LEN + len) {
		const uint8_t *f = frame;
		for (unsigned i = 0; i < VNET_HDR_LEN; i++)
			n->frame[i] = 0;
		n->frame[10] = 1;                  /* num_buffers = 1 (le16 at offset 10) */
		for (unsigned i = 0; i < len; i++)
			n->frame[VNET_HDR_LEN + i] = f[i];
		written = virtq_chain_write(d->ram, &c, 0, n->frame, VNET_HDR_LEN + len);
	}
	if (virtq_push(q, d->ram, c.head, written)) {
		vpci_set_broken(d, RXQ, "used ring no longer in guest memory");
		return -1;
	}
	vpci_interrupt(d, RXQ);
	if (written != VNET_HDR_LEN + len) {
		n->rx_no_buffer++;
		return -1;
	}
	n->rx_frames++;
	return 0;
}

static const struct vpci_ops vnet_ops = { .cfg_read = cfg_read, .notify = notify, .reset = NULL };

void vnet_init(struct vnet *n, uint16_t bdf, uint32_t bar_addr, const uint8_t mac[6],
	       const struct net_backend *be, const struct guest_ram *ram)
{
	n->be = *be;
	for (int i = 0; i < 6; i++)
		n->mac[i] = mac[i];
	n->link_up = true;
	n->tx_frames = n->rx_frames = n->rx_no_buffer = n->tx_errors = 0;
	n->dev.priv = n;
	/* Class 02/00/00: Ethernet controller. */
	vpci_init(&n->dev, "virtio-net", bdf, VIRTIO_ID_NET, 0x020000, bar_addr, 2, VNET_QUEUE_SIZE,
		  VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS, &vnet_ops, ram);
}
