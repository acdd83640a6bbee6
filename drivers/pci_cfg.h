/*
 * The guest's view of PCI configuration space (configuration mechanism #1,
 * ports 0xCF8/0xCFC). odv-hv decides per function: a virtual device of its
 * own (its config space is emulated here), a physical device odv-hv has taken
 * over (hidden: reads as absent, writes dropped), or anything else (passed
 * through to the hardware unchanged). Pure logic; hardware access goes through
 * struct pci_hw so the host unit tests (tests/unit/test_pci_cfg.c) can fake it.
 */
#ifndef ODV_PCI_CFG_H
#define ODV_PCI_CFG_H
#include "types.h"

#define PCI_BDF(bus, dev, fn) ((uint16_t)(((bus) << 8) | ((dev) << 3) | (fn)))
/* "BB:DD.F", the form lspci and Linux print; out holds PCI_BDF_LEN bytes. Returns out. */
#define PCI_BDF_LEN 8
const char *pci_bdf_name(uint16_t bdf, char out[PCI_BDF_LEN]);
#define PCI_MAX_VDEVS  4
#define PCI_MAX_HIDDEN 8

/* Standard header offsets used by odv-hv. */
#define PCI_VENDOR_ID   0x00
#define PCI_DEVICE_ID   0x02
#define PCI_COMMAND     0x04
#define PCI_STATUS      0x06
#define PCI_REVISION    0x08
#define PCI_CLASS_PROG  0x09
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0        0x10
#define PCI_SUBSYS_VID  0x2c
#define PCI_SUBSYS_ID   0x2e
#define PCI_CAP_PTR     0x34
#define PCI_INT_LINE    0x3c
#define PCI_INT_PIN     0x3d
#define PCI_CMD_IO      BIT(0)
#define PCI_CMD_MEM     BIT(1)
#define PCI_STATUS_CAPS BIT(4)

/* The real configuration space (odv-hv: ports 0xCF8/0xCFC). */
struct pci_hw {
	uint32_t (*read)(void *ctx, uint16_t bdf, unsigned off, unsigned size);
	void (*write)(void *ctx, uint16_t bdf, unsigned off, unsigned size, uint32_t val);
	void *ctx;
};

struct pci_vdev;
/* Called after the guest wrote config space bytes [off, off + size) of a virtual device. */
typedef void (*pci_vdev_written)(struct pci_vdev *d, unsigned off, unsigned size);

struct pci_vdev {
	uint16_t bdf;
	uint8_t cfg[256];        /* current contents, little-endian */
	uint8_t wmask[256];      /* 1 bits: the guest may change this bit */
	uint8_t w1c[256];        /* 1 bits: writing 1 clears this bit (status register) */
	pci_vdev_written written;  /* may be NULL */
	void *owner;
	uint16_t cap_end;        /* where the next capability goes (set by pci_vdev_init) */
};

struct pci_cfg {
	uint32_t cf8;            /* the address latch as the guest last wrote it */
	struct pci_vdev *vdev[PCI_MAX_VDEVS];
	unsigned nr_vdev;
	uint16_t hidden[PCI_MAX_HIDDEN];
	unsigned nr_hidden;
	struct pci_hw hw;
};

/*
 * Set up a virtual function's header: type-0 header, vendor/device, class
 * (base << 16 | sub << 8 | prog-if), revision, subsystem ids, interrupt pin
 * A; COMMAND's I/O, memory and bus-master bits and INTx-disable writable;
 * STATUS capabilities-list bit set once a capability is added. Clears the
 * whole struct first (written and owner become NULL: set them afterwards).
 */
void pci_vdev_init(struct pci_vdev *d, uint16_t bdf, uint16_t vendor, uint16_t device,
		   uint32_t class_code, uint8_t revision, uint16_t subsys_vendor, uint16_t subsys_id);
/*
 * A BAR: memory (32-bit, non-prefetchable) or I/O, `size` a power of two
 * (memory >= 16, I/O >= 4), at `addr` (already aligned). Sizing works as on
 * hardware: writing all ones reads back ~(size - 1) | type bits.
 */
void pci_vdev_bar(struct pci_vdev *d, unsigned bar, bool io, uint32_t size, uint32_t addr);
uint32_t pci_vdev_bar_addr(const struct pci_vdev *d, unsigned bar);
/*
 * Append a capability of `len` bytes (including its 2-byte id/next header;
 * body = the bytes after those two, len - 2 of them) to the list; returns its
 * offset, 0 if there is no room (capabilities live in 0x40..0xff).
 * wmask_body: writable bits of the body (NULL = read-only).
 */
unsigned pci_vdev_add_cap(struct pci_vdev *d, uint8_t id, const uint8_t *body,
			  const uint8_t *wmask_body, unsigned len);

/* Reads/writes of an emulated function's config space (off + size within 256, naturally aligned). */
uint32_t pci_vdev_read(const struct pci_vdev *d, unsigned off, unsigned size);
void pci_vdev_write(struct pci_vdev *d, unsigned off, unsigned size, uint32_t val);

void pci_cfg_init(struct pci_cfg *pc, const struct pci_hw *hw);
int pci_cfg_add_vdev(struct pci_cfg *pc, struct pci_vdev *d);   /* 0 or -1 (full, not bus 0, bdf already virtual) */
int pci_cfg_hide(struct pci_cfg *pc, uint16_t bdf);             /* 0 or -1 (full) */

enum pci_fn_kind { PCI_FN_PASSTHROUGH, PCI_FN_HIDDEN, PCI_FN_VIRTUAL };
enum pci_fn_kind pci_cfg_kind(const struct pci_cfg *pc, uint16_t bdf, struct pci_vdev **vd);

/*
 * The guest's port access: port 0xCF8..0xCFF, size 1, 2 or 4. A 4-byte
 * access at 0xCF8 is the address latch; other accesses at 0xCF8..0xCFB are
 * not configuration accesses (0xCF9 is the chipset's reset control) and go to
 * the hardware port through `raw_in`/`raw_out`, unless they run into 0xCFC
 * (then they read all ones and writes are dropped). Data accesses at 0xCFC..0xCFF
 * with the latch's enable bit set go to the function's emulation, read as
 * all ones (hidden), or to pc->hw; with the enable bit clear they read all
 * ones and writes are dropped.
 */
uint32_t pci_cfg_port_in(struct pci_cfg *pc, uint16_t port, unsigned size,
			 uint32_t (*raw_in)(uint16_t port, unsigned size));
void pci_cfg_port_out(struct pci_cfg *pc, uint16_t port, unsigned size, uint32_t val,
		      void (*raw_out)(uint16_t port, unsigned size, uint32_t val));

/* A free device number on bus 0 (function 0 reads vendor 0xffff, not hidden, no vdev), or -1. */
int pci_cfg_free_slot(const struct pci_cfg *pc);

#endif
