/*
 * Who answers a guest access that exits: the region registry.
 *
 * Every device model odv-hv shows the guest (or hides from it) registers the
 * guest-physical ranges and I/O ports it owns, with a handler and an argument.
 * An EPT violation or an I/O exit looks its address up here; nothing else in
 * odv-hv knows which device lives where. The lookup is pure logic (no
 * hardware access), unit-tested on the host; trapping the range in EPT or the
 * I/O bitmap is the registering code's business.
 */
#ifndef ODV_REGION_H
#define ODV_REGION_H
#include "types.h"

/* One guest access, as a device sees it (the instruction is already decoded). */
struct mmio_request {
	uint64_t gpa;            /* the address the guest used */
	uint64_t offset;         /* gpa - the region's base */
	unsigned size;           /* 1, 2, 4 or 8 */
	bool write;
	uint64_t value;          /* write: the value stored; read: the handler's answer */
};

/* What a handler did with an access (after Jailhouse's tri-state). */
enum access_result {
	ACCESS_DONE,             /* answered (a read filled ->value) */
	ACCESS_UNHANDLED,        /* not this handler's business: odv-hv stops the guest */
	ACCESS_ERROR,            /* refused: the guest gets #GP, as from a faulting access */
};

typedef enum access_result (*mmio_handler)(void *arg, struct mmio_request *rq);

/* How EPT treats a region: left out (every access exits) or read-only (stores exit). */
enum region_ept { REGION_EPT_HOLE, REGION_EPT_READ_ONLY };

/*
 * Which instructions the MMIO emulator accepts in a region: any plain MOV/MOVZX
 * of 1-8 bytes (device BARs), or only 32-bit stores and XCHG (the local APIC).
 */
enum region_insns { REGION_ANY_MOV, REGION_STORE32 };

struct mmio_region {
	uint64_t base, size;
	mmio_handler handler;
	void *arg;
	const char *what;        /* for messages: "device BAR access", "local APIC write" */
	enum region_ept ept;
	enum region_insns insns;
	bool off;                /* no longer answers here (a BAR moved where it cannot be trapped) */
	bool fallback;           /* answers only where no other region does (the place of an absent
				    device: a hidden BAR, the unused part of the virtual BAR window) */
};

/* I/O ports: one access of 1, 2 or 4 bytes at port. */
struct pio_request {
	uint16_t port;
	unsigned size;
	bool in;
	uint32_t value;          /* OUT: the value written; IN: the handler's answer */
};
typedef enum access_result (*pio_handler)(void *arg, struct pio_request *rq);

struct pio_region {
	uint16_t base, count;
	pio_handler handler;
	void *arg;
};

#define MAX_MMIO_REGIONS 16
#define MAX_PIO_REGIONS  16

struct region_table {
	struct mmio_region mmio[MAX_MMIO_REGIONS];
	unsigned nr_mmio;
	struct pio_region pio[MAX_PIO_REGIONS];
	unsigned nr_pio;
};

/* Add a region: its index (a handle for region_mmio_move), or -1 when the table is full or size is 0. */
int region_add_mmio(struct region_table *t, const struct mmio_region *r);
int region_add_pio(struct region_table *t, const struct pio_region *r);
/* Drop the last regions, back to n of each (undo of a device setup that failed half way). */
void region_truncate(struct region_table *t, unsigned nr_mmio, unsigned nr_pio);
/* A region its device moved (a BAR the guest reassigned), or took away (off). */
void region_mmio_move(struct region_table *t, int handle, uint64_t base);
void region_mmio_off(struct region_table *t, int handle);
/*
 * The region holding gpa, or NULL. A device's region wins over a fallback
 * one wherever they overlap: the guest may put a virtual function's BAR
 * where a hidden device's BAR was, or anywhere in the BAR window.
 */
const struct mmio_region *region_find_mmio(const struct region_table *t, uint64_t gpa);
/* The region with any byte of [port, port + size), or NULL (a word at 0x3f5 reaches 0x3f6). */
const struct pio_region *region_find_pio(const struct region_table *t, uint16_t port, unsigned size);

/* odv-hv's one table (defined in mmio.c, its one reader for MMIO). */
extern struct region_table hv_regions;

#endif
