/*
 * What odv-hv's device backends (vdev_disk.c, vdev_nic.c) share with the
 * device core (vdev.c): the device object, its registration, and the
 * helpers that hide a physical device. Not for use outside platform/.
 */
#ifndef ODV_VDEV_INT_H
#define ODV_VDEV_INT_H
#include "types.h"
#include "pci_cfg.h"
#include "region.h"
#include "virtio_pci.h"

#define MAX_VDEVICES 4
#define VDEV_WINDOW (MAX_VDEVICES * VPCI_BAR_SIZE)   /* one BAR per virtual device */
#define MAX_HIDDEN_BARS 8

/*
 * A virtual PCI function odv-hv shows the guest. Its BAR is a region in the
 * registry (platform/region.h), moved when the guest moves the BAR.
 * Checkpoints (a later issue) will save and restore each device through
 * save/restore; no device has them yet, and a checkpoint must refuse a
 * device whose ops leave them NULL.
 */
struct vdevice;
struct vdevice_ops {
	void (*poll)(struct vdevice *d);           /* CPU 0, VM exits: work from the wire */
	void (*release)(struct vdevice *d);        /* before go-native: the physical device quiet */
	size_t (*state_size)(const struct vdevice *d);
	int (*save)(const struct vdevice *d, void *buf, size_t len);
	int (*restore)(struct vdevice *d, const void *buf, size_t len);
};
struct vdevice {
	struct vpci_dev *dev;
	const struct vdevice_ops *ops;
	uint32_t bar;              /* where its BAR is trapped (0: nowhere) */
	int region;                /* its handle in hv_regions */
	bool broken_logged;
};

/* The guest's virtual configuration space and where the virtual BARs start. */
extern struct pci_cfg vdev_pcicfg;
extern uint32_t vdev_window;
extern unsigned vdev_count;
/* TSC ticks between polls of the wire; 0 = nothing to poll. */
extern uint64_t vdev_poll_tsc;
/* Guest RAM as the device models may touch it. */
extern const struct guest_ram vdev_guest_ram;
void vdev_send_msi(void *ctx, uint64_t addr, uint32_t data);

/* A virtual function: its BAR becomes a region, its config space the guest's. 0 or -1 (tables full). */
int vdevice_add(struct vpci_dev *d, const struct vdevice_ops *ops);
/* Ports the guest's accesses to trap, answered by handler: 0, or -1 if the region table is full. */
int vdev_claim_ports(uint16_t base, uint32_t count, pio_handler handler);
enum access_result vdev_absent_pio(void *arg, struct pio_request *rq);
/*
 * Note a hidden device's BARs: memory BARs leave EPT, I/O BARs are trapped, and
 * both answer the guest as an absent device would. BAR0's address (0 if BAR0
 * is not memory), or -1 (too many BARs).
 */
int64_t vdev_hide_bars(uint16_t bdf);

/* A device setup that fails half way leaves no region or hidden BAR behind. */
struct undo { unsigned hidden, mmio, pio; };
struct undo vdev_undo_mark(void);
void vdev_undo_to(struct undo u);

/* The backends: "disk=ata0-master|ata0-slave", "nic=BB:DD.F". 0, or -1 with the reason logged. */
int vdev_disk_setup(const char *v);
int vdev_nic_setup(const char *v);

#endif
