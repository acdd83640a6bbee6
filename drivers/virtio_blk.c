/*
 * virtio-blk requests (see virtio_blk.h). A request is one chain: a 16-byte
 * header the device reads (type, reserved, sector), the data, and one status
 * byte the device writes last. A chain without room for the header or the
 * status byte, or whose data part does not fit its type, is the driver
 * breaking the rules: the device is marked broken. A request that is
 * well-formed but cannot be done (past the end, backend error) gets IOERR.
 */
#include "virtio_blk.h"

struct req_hdr { uint32_t type, reserved; uint64_t sector; };

static uint32_t cfg_read(struct vpci_dev *d, unsigned off, unsigned size)
{
	struct vblk *b = d->priv;
	/* Configuration layout (virtio 1.x 5.2.4): capacity, size_max, seg_max, geometry, blk_size. */
	uint8_t cfg[24] = { 0 };
	uint64_t cap = b->be.sectors;
	uint32_t seg_max = VIRTQ_MAX_CHAIN - 2, blk_size = VBLK_SECTOR, size_max = VBLK_SIZE_MAX;
	for (int i = 0; i < 8; i++)
		cfg[i] = (uint8_t)(cap >> (8 * i));
	for (int i = 0; i < 4; i++) {
		cfg[8 + i] = (uint8_t)(size_max >> (8 * i));
		cfg[12 + i] = (uint8_t)(seg_max >> (8 * i));
		cfg[20 + i] = (uint8_t)(blk_size >> (8 * i));
	}
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		if (off + i < sizeof(cfg))
			v |= (uint32_t)cfg[off + i] << (8 * i);
	return v;
}

/* IN or OUT of `bytes` at `sector`, through the bounce buffer a chunk at a time. */
static uint8_t transfer(struct vblk *b, const struct virtq_chain *c, bool in, uint64_t sector, uint32_t bytes)
{
	const struct guest_ram *m = b->dev.ram;
	uint64_t count = bytes / VBLK_SECTOR;
	if (bytes > VBLK_MAX_REQUEST || sector > b->be.sectors || count > b->be.sectors - sector)
		return VIRTIO_BLK_S_IOERR;
	for (uint64_t done = 0; done < count;) {
		unsigned n = count - done > VBLK_CHUNK_SECTORS ? VBLK_CHUNK_SECTORS : (unsigned)(count - done);
		uint32_t off = (uint32_t)(done * VBLK_SECTOR), len = n * VBLK_SECTOR;
		if (in) {
			if (b->be.read(b->be.ctx, sector + done, n, b->bounce) ||
			    virtq_chain_write(m, c, off, b->bounce, len) != len)
				return VIRTIO_BLK_S_IOERR;
		} else {
			if (virtq_chain_read(m, c, sizeof(struct req_hdr) + off, b->bounce, len) != len ||
			    b->be.write(b->be.ctx, sector + done, n, b->bounce))
				return VIRTIO_BLK_S_IOERR;
		}
		done += n;
	}
	return VIRTIO_BLK_S_OK;
}

/* Do one request; returns the bytes written into the chain, or -1 if the chain is malformed. */
static int64_t do_request(struct vblk *b, const struct virtq_chain *c, const char **why)
{
	const struct guest_ram *m = b->dev.ram;
	struct req_hdr h;
	if (c->readable < sizeof(h) || c->writable < 1) {
		*why = "request without a 16-byte header or a status byte";
		return -1;
	}
	virtq_chain_read(m, c, 0, &h, sizeof(h));
	uint32_t data_in = c->writable - 1, data_out = c->readable - (uint32_t)sizeof(h);
	uint8_t status;
	uint32_t written = 0;
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		if (data_out || data_in % VBLK_SECTOR) {
			*why = "read request whose buffers are not whole sectors";
			return -1;
		}
		status = transfer(b, c, true, h.sector, data_in);
		written = data_in;
		break;
	case VIRTIO_BLK_T_OUT:
		if (data_in || data_out % VBLK_SECTOR) {
			*why = "write request whose buffers are not whole sectors";
			return -1;
		}
		status = transfer(b, c, false, h.sector, data_out);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = b->be.flush(b->be.ctx) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		uint32_t n = data_in < sizeof(b->serial) ? data_in : (uint32_t)sizeof(b->serial);
		virtq_chain_write(m, c, 0, b->serial, n);
		written = n;
		status = VIRTIO_BLK_S_OK;
		break;
	}
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (status == VIRTIO_BLK_S_IOERR)
		b->errors++;
	/* The status byte is the last byte of the device-writable part. */
	virtq_chain_write(m, c, c->writable - 1, &status, 1);
	b->requests++;
	return (int64_t)written + 1;
}

static int64_t serve(struct vpci_dev *d, const struct virtq_chain *c, const char **why)
{
	return do_request(d->priv, c, why);
}

static void notify(struct vpci_dev *d, unsigned qi)
{
	vpci_drain(d, qi, serve);
}

static const struct vpci_ops vblk_ops = { .cfg_read = cfg_read, .notify = notify, .reset = NULL };

void vblk_init(struct vblk *b, uint16_t bdf, uint32_t bar_addr, const struct blk_backend *be,
	       const char *serial, const struct guest_ram *ram)
{
	b->be = *be;
	b->requests = b->errors = 0;
	for (unsigned i = 0; i < sizeof(b->serial); i++)
		b->serial[i] = 0;
	for (unsigned i = 0; serial && serial[i] && i < sizeof(b->serial); i++)
		b->serial[i] = serial[i];
	b->dev.priv = b;
	/* Class 01/80/00: mass storage, other. */
	vpci_init(&b->dev, "virtio-blk", bdf, VIRTIO_ID_BLK, 0x018000, bar_addr, 1, VBLK_QUEUE_SIZE,
		  VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH,
		  &vblk_ops, ram);
}
