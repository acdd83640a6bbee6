/*
 * A virtio 1.x device behind the modern PCI transport (virtio 1.x section
 * 4.1), as odv-hv presents it to the guest: a PCI function (pci_cfg.h) with
 * one 32-bit memory BAR holding the common configuration, ISR, device
 * configuration, notification area and the MSI-X table and PBA. The guest's
 * accesses to that BAR come here as (offset, size, value); the device model
 * (virtio_blk.c, ...) gets queue notifications through struct vpci_ops and
 * raises interrupts with vpci_interrupt(). Pure logic: MSI delivery and guest
 * memory are callbacks, so tests/unit/test_virtio_pci.c runs it on the host.
 *
 * A device that finds the driver breaking the rules (a malformed virtqueue)
 * is marked broken: DEVICE_NEEDS_RESET in the status, no further queue
 * processing until the driver resets it, and the reason kept for the log.
 */
#ifndef ODV_VIRTIO_PCI_H
#define ODV_VIRTIO_PCI_H
#include "types.h"
#include "pci_cfg.h"
#include "virtq.h"

#define VIRTIO_PCI_VENDOR      0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040     /* modern device ids: 0x1040 + virtio device id */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLK 2

#define VIRTIO_F_VERSION_1 BIT(32)

/* device_status bits */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED      0x80

#define VIRTIO_MSI_NO_VECTOR 0xffff

/* Layout of the BAR (each part in its own page, as the spec recommends). */
#define VPCI_BAR_SIZE     0x8000u
#define VPCI_COMMON_OFF   0x0000u
#define VPCI_COMMON_LEN   0x38u
#define VPCI_ISR_OFF      0x1000u
#define VPCI_DEVCFG_OFF   0x2000u
#define VPCI_DEVCFG_LEN   0x100u
#define VPCI_NOTIFY_OFF   0x3000u
#define VPCI_NOTIFY_MULT  4u              /* queue i is notified at NOTIFY_OFF + 4 * i */
#define VPCI_MSIX_OFF     0x4000u
#define VPCI_PBA_OFF      0x5000u

#define VPCI_MAX_QUEUES   4
#define VPCI_MSIX_VECTORS 4

struct vpci_dev;

struct vpci_ops {
	/* Device-specific configuration, bytes [off, off + size) of it (size 1, 2, 4). */
	uint32_t (*cfg_read)(struct vpci_dev *d, unsigned off, unsigned size);
	/* The driver made buffers available on queue q (and the device is live). */
	void (*notify)(struct vpci_dev *d, unsigned q);
	/* The driver reset the device: forget requests in flight. May be NULL. */
	void (*reset)(struct vpci_dev *d);
};

struct vpci_msix_entry { uint32_t addr_lo, addr_hi, data, ctrl; };

struct vpci_dev {
	struct pci_vdev pci;
	const char *name;                    /* "virtio-blk", for messages */
	const struct vpci_ops *ops;
	const struct guest_ram *ram;
	/* Deliver one MSI (address, data) to the platform. */
	void (*msi)(void *ctx, uint64_t addr, uint32_t data);
	void *msi_ctx;
	void *priv;                          /* the device model's state */

	uint64_t features;                   /* offered */
	uint64_t driver_features;            /* accepted by the driver */
	uint32_t dfeat_sel, drvfeat_sel;
	uint8_t status;
	uint8_t config_gen;
	uint8_t isr;
	uint16_t queue_sel;
	uint16_t msix_config;
	unsigned nr_queues;
	uint16_t queue_max;                  /* queue size offered for every queue */
	struct virtq vq[VPCI_MAX_QUEUES];
	uint16_t vq_msix[VPCI_MAX_QUEUES];
	struct vpci_msix_entry msix[VPCI_MSIX_VECTORS];
	uint64_t pba;                        /* pending bits of masked vectors */
	unsigned msix_cap;                   /* config-space offset of the MSI-X capability */

	bool broken;
	const char *broken_why;              /* set with broken */
	unsigned broken_queue;
	unsigned interrupts_sent;
};

/*
 * Set up device `virtio_id` at bdf with its BAR at bar_addr (aligned to
 * VPCI_BAR_SIZE), nr_queues queues of up to queue_max entries, offering
 * `features` (VIRTIO_F_VERSION_1 is added).
 */
void vpci_init(struct vpci_dev *d, const char *name, uint16_t bdf, uint16_t virtio_id,
	       uint32_t class_code, uint32_t bar_addr, unsigned nr_queues, uint16_t queue_max,
	       uint64_t features, const struct vpci_ops *ops, const struct guest_ram *ram);

/* Where the guest has the BAR now, and whether memory decoding is on. */
uint32_t vpci_bar(const struct vpci_dev *d);
bool vpci_mem_enabled(const struct vpci_dev *d);

/* The guest's loads and stores in the BAR (off < VPCI_BAR_SIZE, size 1, 2, 4 or 8). */
uint64_t vpci_mmio_read(struct vpci_dev *d, uint32_t off, unsigned size);
void vpci_mmio_write(struct vpci_dev *d, uint32_t off, unsigned size, uint64_t val);

/* The device may use its queues: DRIVER_OK, not broken, bus mastering on. */
bool vpci_live(const struct vpci_dev *d);
/* Used buffers were added to queue q: interrupt the driver unless it asked not to be. */
void vpci_interrupt(struct vpci_dev *d, unsigned q);
/* The driver broke a rule: stop using the device until reset. First reason wins. */
void vpci_set_broken(struct vpci_dev *d, unsigned q, const char *why);
/*
 * Serve queue q: pop each available chain (at most a queue's worth, while the
 * device is live), let `serve` do it (returns the bytes it wrote into the
 * chain, or -1 with *why: the chain breaks the rules), return it to the used
 * ring, and interrupt the driver once at the end. Any rule broken, by the
 * queue or by a chain, marks the device broken and stops.
 */
typedef int64_t (*vpci_serve_fn)(struct vpci_dev *d, const struct virtq_chain *c, const char **why);
void vpci_drain(struct vpci_dev *d, unsigned q, vpci_serve_fn serve);

#endif
