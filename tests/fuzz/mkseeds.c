/*
 * Writes the fuzzers' seed corpora (tests/fuzz/corpus/NAME/, `make
 * fuzz-seeds`): small inputs shaped like the real thing, each in the input
 * format its harness documents. Where a codec or parser exists, the seed is
 * made or checked with it: the handoff block is sealed by odv_handoff_seal,
 * and every handoff, image, ACPI, multiboot2 and virtio seed is run through
 * its parser here and must be accepted, so the fuzzers start past the
 * checksums and magic numbers.
 *
 * Usage: mkseeds DIR   (writes DIR/NAME/SEED.bin, overwriting)
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "acpi.h"
#include "dmar.h"
#include "le.h"
#include "mb2.h"
#include "odv_handoff.h"
#include "swsusp_image.h"
#include "virtio_blk.h"

/* ---- a growing byte buffer, little-endian ---- */

struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *src, size_t n)
{
	if (!n)
		return;
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert(b->p);
	}
	memcpy(b->p + b->n, src, n);
	b->n += n;
}

static void putn(struct buf *b, uint64_t v, unsigned n)
{
	uint8_t t[8];
	le_put(t, n, v);
	put(b, t, n);
}

static void put8(struct buf *b, uint64_t v) { putn(b, v, 1); }
static void put16(struct buf *b, uint64_t v) { putn(b, v, 2); }
static void put32(struct buf *b, uint64_t v) { putn(b, v, 4); }
static void put64(struct buf *b, uint64_t v) { putn(b, v, 8); }
static void zeros(struct buf *b, size_t n) { while (n--) put8(b, 0); }
static void pad_to(struct buf *b, size_t n) { if (b->n < n) zeros(b, n - b->n); }

static const char *out_dir;

static void emit(const char *fuzzer, const char *name, const struct buf *b)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", out_dir, fuzzer);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s.bin", out_dir, fuzzer, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b->p, 1, b->n, f) != b->n || fclose(f)) {
		perror(path);
		exit(1);
	}
	printf("mkseeds: %s (%zu bytes)\n", path, b->n);
}

static void release(struct buf *b)
{
	free(b->p);
	*b = (struct buf){ 0 };
}

/* ---- virtqueues: a virtio-blk-like queue as a driver lays it out ---- */

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };

static void put_desc(uint8_t *at, struct desc d)
{
	le_put(at, 8, d.addr);
	le_put(at + 8, 4, d.len);
	le_put(at + 12, 2, d.flags);
	le_put(at + 14, 2, d.next);
}

/*
 * Guest RAM (Q_RAM bytes at `base`): the rings at Q_DESC, Q_AVAIL, Q_USED, a
 * read request (header, 512 data bytes, status) as chain 0 and a flush (header,
 * status) as chain 3, both made available from avail index `start`.
 */
#define Q_DESC  0x0000u              /* room for 256 descriptors */
#define Q_AVAIL 0x1000u
#define Q_USED  0x1400u
#define Q_HDR   0x1c80u
#define Q_DATA  0x1d00u
#define Q_STAT  0x1f00u
#define Q_RAM   0x2000u

static void blk_queue_ram(uint8_t *ram, uint64_t base, uint16_t qsize, uint16_t start, uint32_t type)
{
	memset(ram, 0, Q_RAM);
	put_desc(ram + Q_DESC + 0, (struct desc){ base + Q_HDR, 16, VIRTQ_DESC_F_NEXT, 1 });
	uint16_t data_flags = VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_OUT ? 0 : VIRTQ_DESC_F_WRITE);
	put_desc(ram + Q_DESC + 16, (struct desc){ base + Q_DATA, 512, data_flags, 2 });
	put_desc(ram + Q_DESC + 32, (struct desc){ base + Q_STAT, 1, VIRTQ_DESC_F_WRITE, 0 });
	put_desc(ram + Q_DESC + 48, (struct desc){ base + Q_HDR + 16, 16, VIRTQ_DESC_F_NEXT, 4 });
	put_desc(ram + Q_DESC + 64, (struct desc){ base + Q_STAT + 1, 1, VIRTQ_DESC_F_WRITE, 0 });
	le_put(ram + Q_HDR, 4, type);                       /* request 0: type, sector 3 */
	le_put(ram + Q_HDR + 8, 8, 3);
	le_put(ram + Q_HDR + 16, 4, VIRTIO_BLK_T_FLUSH);    /* request 1 */
	ram[Q_STAT] = ram[Q_STAT + 1] = 0xee;
	for (unsigned i = 0; i < 512; i++)
		ram[Q_DATA + i] = (uint8_t)i;
	le_put(ram + Q_AVAIL + 4 + 2 * (start % qsize), 2, 0);
	le_put(ram + Q_AVAIL + 4 + 2 * ((uint16_t)(start + 1) % qsize), 2, 3);
	le_put(ram + Q_AVAIL + 2, 2, (uint16_t)(start + 2));
	le_put(ram + Q_USED + 2, 2, start);
}

static void virtq_seed(const char *name, uint16_t qsize, uint16_t start, const uint8_t *ops, unsigned nops)
{
	const uint64_t base = 0x1000;    /* fuzz_virtq.c's RAM_BASE */
	uint8_t ram[Q_RAM];
	blk_queue_ram(ram, base, qsize, start, VIRTIO_BLK_T_IN);
	struct buf b = { 0 };
	put16(&b, qsize);
	put16(&b, start);                /* last_avail */
	put16(&b, start);                /* used_idx */
	put8(&b, nops);
	put8(&b, 0);
	put32(&b, base + Q_DESC);
	put32(&b, base + Q_AVAIL);
	put32(&b, base + Q_USED);
	put(&b, ops, nops);
	put(&b, ram, sizeof(ram));
	emit("virtq", name, &b);
	release(&b);
}

/* One chain of n one-byte buffers through descriptors 0..n-1 of a 128-entry queue. */
static void virtq_long_chain_seed(const char *name, unsigned n)
{
	const uint64_t base = 0x1000;
	uint8_t ram[Q_RAM];
	blk_queue_ram(ram, base, 128, 0, VIRTIO_BLK_T_IN);
	for (unsigned i = 0; i < n; i++)
		put_desc(ram + Q_DESC + 16 * i, (struct desc){ base + Q_DATA + i, 1,
				i + 1 < n ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1) });
	le_put(ram + Q_AVAIL + 2, 2, 1);                    /* one request: head 0 */
	struct buf b = { 0 };
	put16(&b, 128);
	put16(&b, 0);
	put16(&b, 0);
	put8(&b, 0);
	put8(&b, 0);
	put32(&b, base + Q_DESC);
	put32(&b, base + Q_AVAIL);
	put32(&b, base + Q_USED);
	put(&b, ram, sizeof(ram));
	emit("virtq", name, &b);
	release(&b);
}

static void virtq_seeds(void)
{
	/* pop; read 16 bytes at 0; write 512 at 0; push (513 written); pop; push (1); interrupt? */
	static const uint8_t ops[] = { 0, 3, 0, 0, 16, 0, 4, 0, 0, 0, 2, 2, 0x01, 0x02, 0, 0,
				       0, 2, 1, 0, 0, 0, 5 };
	virtq_seed("blk-read-and-flush", 8, 0, ops, sizeof(ops));
	virtq_seed("pop-all", 8, 0, NULL, 0);
	virtq_seed("index-wrap", 4, 0xffff, ops, sizeof(ops));
	virtq_seed("largest-queue", VIRTQ_MAX_SIZE, 7, NULL, 0);
	virtq_long_chain_seed("longest-chain", VIRTQ_MAX_CHAIN);
	virtq_long_chain_seed("chain-too-long", VIRTQ_MAX_CHAIN + 6);
}

/* ---- instruction decoder: what Linux's MMIO accessors compile to (bytes as GNU as gives them) ---- */

static void insn_seed(const char *name, bool long64, const uint8_t *code, unsigned n)
{
	struct buf b = { 0 };
	put8(&b, long64);
	put(&b, code, n);
	emit("insn_decode", name, &b);
	release(&b);
}

static void insn_seeds(void)
{
	static const uint8_t apic_store[] = { 0x89, 0x04, 0x25, 0xb0, 0xd0, 0x5f, 0xff };      /* movl %eax,0xffffffffff5fd0b0 */
	static const uint8_t rex_store[] = { 0x44, 0x89, 0x8b, 0x00, 0x03, 0x00, 0x00 };       /* movl %r9d,0x300(%rbx) */
	static const uint8_t xchg[] = { 0x87, 0x04, 0x25, 0x00, 0xb0, 0x5f, 0xff };            /* xchg %eax,0xffffffffff5fb000 */
	static const uint8_t imm_store[] = { 0xc7, 0x43, 0x14, 0x01, 0x00, 0x00, 0x00 };       /* movl $1,0x14(%rbx) */
	static const uint8_t readb[] = { 0x0f, 0xb6, 0x47, 0x14 };                             /* movzbl 0x14(%rdi),%eax */
	static const uint8_t readw[] = { 0x66, 0x8b, 0x47, 0x12 };                             /* mov 0x12(%rdi),%ax */
	static const uint8_t readq[] = { 0x48, 0x8b, 0x87, 0x20, 0x00, 0x00, 0x00 };           /* mov 0x20(%rdi),%rax */
	static const uint8_t writeq_rip[] = { 0x4c, 0x89, 0x05, 0x10, 0x00, 0x00, 0x00 };      /* mov %r8,0x10(%rip) */
	static const uint8_t sib_disp32[] = { 0x65, 0x89, 0x84, 0x8b, 0x00, 0x10, 0x00, 0x00 }; /* mov %eax,%gs:0x1000(%rbx,%rcx,4) */
	static const uint8_t ah_store[] = { 0x88, 0x63, 0x01 };                                /* mov %ah,0x1(%rbx) */
	static const uint8_t store32[] = { 0x89, 0x15, 0xb0, 0x00, 0xe0, 0xfe };               /* 32-bit: mov %edx,0xfee000b0 */
	insn_seed("apic-store", true, apic_store, sizeof(apic_store));
	insn_seed("rex-store", true, rex_store, sizeof(rex_store));
	insn_seed("xchg", true, xchg, sizeof(xchg));
	insn_seed("imm-store", true, imm_store, sizeof(imm_store));
	insn_seed("movzx-byte", true, readb, sizeof(readb));
	insn_seed("load-word", true, readw, sizeof(readw));
	insn_seed("load-qword", true, readq, sizeof(readq));
	insn_seed("store-rip-relative", true, writeq_rip, sizeof(writeq_rip));
	insn_seed("store-sib-disp32", true, sib_disp32, sizeof(sib_disp32));
	insn_seed("store-ah", true, ah_store, sizeof(ah_store));
	insn_seed("store-32bit-mode", false, store32, sizeof(store32));
}

/* ---- PCI: a virtio driver bringing the virtio-blk function up and reading a sector ---- */

#define P_RAM_BASE 0x100000ull        /* fuzz_pci.c's RAM_BASE */
#define P_BDF      PCI_BDF(0, 3, 0)
#define P_BAR      0xfe000000u

static void port_w(struct buf *ops, unsigned port, unsigned size, uint32_t v)
{
	unsigned w = size == 1 ? 0 : size == 2 ? 1 : 2;
	put8(ops, 0 | (port - 0xcf8) << 2 | w << 5);
	put32(ops, v);
}

static void port_r(struct buf *ops, unsigned port, unsigned size)
{
	unsigned w = size == 1 ? 0 : size == 2 ? 1 : 2;
	put8(ops, 1 | (port - 0xcf8) << 2 | w << 5);
}

static uint32_t cfg_addr(uint16_t bdf, unsigned reg)
{
	return 0x80000000u | (uint32_t)bdf << 8 | (reg & 0xfc);
}

static void cfg_w(struct buf *ops, uint16_t bdf, unsigned off, unsigned size, uint32_t v)
{
	port_w(ops, 0xcf8, 4, cfg_addr(bdf, off));
	port_w(ops, 0xcfc + (off & 3), size, v);
}

static void cfg_r(struct buf *ops, uint16_t bdf, unsigned off, unsigned size)
{
	port_w(ops, 0xcf8, 4, cfg_addr(bdf, off));
	port_r(ops, 0xcfc + (off & 3), size);
}

static unsigned width_code(unsigned size)
{
	return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

static void bar_w(struct buf *ops, unsigned off, unsigned size, uint64_t v)
{
	put8(ops, 2 | width_code(size) << 2);
	put16(ops, off);
	putn(ops, v, size);
}

static void bar_r(struct buf *ops, unsigned off, unsigned size)
{
	put8(ops, 3 | width_code(size) << 2);
	put16(ops, off);
}

/* The MSI-X capability's offset, as the device model lays out its capabilities. */
static unsigned msix_cap_of(void)
{
	static struct vblk b;
	static uint8_t ram[16];
	struct blk_backend be = { 1, NULL, NULL, NULL, NULL, NULL };
	struct guest_ram m = { NULL, ram };
	vblk_init(&b, P_BDF, P_BAR, &be, "x", &m);
	return b.dev.msix_cap;
}

/* Linux's order (virtio_pci_modern): BAR, command, reset, ACK, DRIVER, features, queue, DRIVER_OK. */
static void virtio_bringup(struct buf *ops, uint16_t qsize)
{
	unsigned msix = msix_cap_of();
	cfg_r(ops, P_BDF, PCI_VENDOR_ID, 4);
	cfg_w(ops, P_BDF, PCI_BAR0, 4, 0xffffffff);          /* size the BAR */
	cfg_r(ops, P_BDF, PCI_BAR0, 4);
	cfg_w(ops, P_BDF, PCI_BAR0, 4, P_BAR);
	cfg_r(ops, P_BDF, PCI_CAP_PTR, 1);
	cfg_w(ops, P_BDF, PCI_COMMAND, 2, 0x6);             /* memory, bus master */
	cfg_w(ops, P_BDF, msix + 2, 2, 0x8000);            /* MSI-X enable */
	bar_w(ops, 0x14, 1, 0);                             /* reset */
	bar_w(ops, 0x14, 1, 1 | 2);
	bar_w(ops, 0x00, 4, 1);
	bar_r(ops, 0x04, 4);
	bar_w(ops, 0x08, 4, 0);
	bar_w(ops, 0x0c, 4, VIRTIO_BLK_F_FLUSH);
	bar_w(ops, 0x08, 4, 1);
	bar_w(ops, 0x0c, 4, VIRTIO_F_VERSION_1 >> 32);
	bar_w(ops, 0x14, 1, 1 | 2 | 8);
	bar_r(ops, 0x14, 1);
	bar_w(ops, 0x16, 2, 0);
	bar_w(ops, 0x18, 2, qsize);
	bar_w(ops, 0x20, 8, P_RAM_BASE + Q_DESC);
	bar_w(ops, 0x28, 4, (uint32_t)(P_RAM_BASE + Q_AVAIL));
	bar_w(ops, 0x2c, 4, 0);
	bar_w(ops, 0x30, 4, (uint32_t)(P_RAM_BASE + Q_USED));
	bar_w(ops, 0x34, 4, 0);
	bar_w(ops, VPCI_MSIX_OFF, 4, 0xfee00000u);
	bar_w(ops, VPCI_MSIX_OFF + 8, 4, 0x41);
	bar_w(ops, VPCI_MSIX_OFF + 12, 4, 0);
	bar_w(ops, 0x1a, 2, 0);
	bar_w(ops, 0x10, 2, 0);
	bar_w(ops, 0x1c, 2, 1);
	bar_w(ops, 0x14, 1, 1 | 2 | 8 | 4);
	bar_r(ops, VPCI_DEVCFG_OFF, 8);
}

static void pci_seed(const char *name, const struct buf *ops, uint32_t type)
{
	uint8_t ram[Q_RAM];
	blk_queue_ram(ram, P_RAM_BASE, 8, 0, type);
	struct buf b = { 0 };
	put16(&b, ops->n);
	put(&b, ops->p, ops->n);
	put(&b, ram, sizeof(ram));
	emit("pci", name, &b);
	release(&b);
}

static void pci_seeds(void)
{
	struct buf ops = { 0 };
	virtio_bringup(&ops, 8);
	bar_w(&ops, VPCI_NOTIFY_OFF, 2, 0);                 /* kick queue 0 */
	bar_r(&ops, VPCI_ISR_OFF, 1);
	cfg_r(&ops, PCI_BDF(0, 2, 0), PCI_VENDOR_ID, 4);    /* the hidden NIC */
	cfg_r(&ops, PCI_BDF(0, 0, 0), PCI_VENDOR_ID, 4);    /* the host bridge, passed through */
	port_w(&ops, 0xcf9, 1, 0x02);                       /* reset control register */
	pci_seed("virtio-blk-read", &ops, VIRTIO_BLK_T_IN);
	release(&ops);

	virtio_bringup(&ops, 8);
	bar_w(&ops, VPCI_MSIX_OFF + 12, 4, 1);              /* mask the vector, kick, unmask */
	bar_w(&ops, VPCI_NOTIFY_OFF, 2, 0);
	bar_r(&ops, VPCI_PBA_OFF, 8);
	bar_w(&ops, VPCI_MSIX_OFF + 12, 4, 0);
	bar_w(&ops, 0x14, 1, 0);                            /* reset again */
	pci_seed("virtio-blk-write-masked", &ops, VIRTIO_BLK_T_OUT);
	release(&ops);

	virtio_bringup(&ops, 8);
	bar_w(&ops, VPCI_NOTIFY_OFF, 2, 0);
	pci_seed("virtio-blk-get-id", &ops, VIRTIO_BLK_T_GET_ID);
	release(&ops);

	/* Byte, word and dword accesses at every port of the range. */
	port_w(&ops, 0xcf8, 4, cfg_addr(P_BDF, 0x04));
	for (unsigned port = 0xcf8; port < 0xd00; port++)
		for (unsigned size = 1; size <= 4; size *= 2) {
			port_r(&ops, port, size);
			port_w(&ops, port, size, 0xffffffff);
		}
	pci_seed("every-port-width", &ops, VIRTIO_BLK_T_IN);
	release(&ops);
}

/* ---- handoff block, sealed by the codec ---- */

static void handoff_seed(const char *name, uint8_t mode, struct odv_handoff *h,
			 const struct odv_handoff_run *runs, unsigned nr)
{
	h->nr_runs = nr;
	odv_handoff_seal(h, nr ? runs : NULL);
	assert(odv_handoff_check(h) == ODV_HANDOFF_OK);
	assert(odv_handoff_check_runs(h, runs) == ODV_HANDOFF_OK);
	struct buf b = { 0 };
	put8(&b, mode);
	put(&b, h, sizeof(*h));
	put(&b, runs, nr * sizeof(*runs));
	emit("handoff", name, &b);
	release(&b);
}

static void handoff_seeds(void)
{
	static struct odv_handoff h;
	static const struct odv_handoff_run runs[3] = {
		{ 0x12345000, 1 }, { 0x0a000000, 300 }, { 0x1f000000, 99 },
	};
	memset(&h, 0, sizeof(h));
	h.region_base = 0x30000000;
	h.region_size = 64ull << 20;
	h.hv_size = 2ull << 20;
	h.jump_address = 0xffffffff81e3a000ull;
	h.jump_address_phys = 0x3e3a000;
	h.image_cr3 = 0x12c0a000;
	h.image_pages = 392;
	h.stream_pages = 400;
	h.nr_mem = 3;
	h.mem[0] = (struct odv_handoff_mem){ 0, 0x9fc00, ODV_MEM_RAM, 0 };
	h.mem[1] = (struct odv_handoff_mem){ 0xf0000, 0x10000, ODV_MEM_RESERVED, 0 };
	h.mem[2] = (struct odv_handoff_mem){ 0x100000, 0x1fee0000, ODV_MEM_RAM, 0 };
	h.runs_phys = h.region_base + h.hv_size + 0x2000;
	h.serial_port = 0x3f8;
	h.log_level = 2;
	strcpy(h.hv_args, "disk=ata0-slave nic=00:02.0");
	handoff_seed("go-virtual-sealed", 0, &h, runs, 3);
	handoff_seed("go-virtual-reseal", 1, &h, runs, 3);
	h.stream_pages = 0;
	h.hv_args[0] = 0;
	handoff_seed("no-stream", 0, &h, runs, 0);
}

/* ---- hibernation image: header page and metadata, data pages left to the harness ---- */

static uint8_t *image;
static uint64_t image_pages_given;

static const void *image_page(void *ctx, uint64_t i)
{
	static uint8_t zero[SWSUSP_PAGE];
	const struct swsusp_header *h = ctx;
	if (i < image_pages_given)
		return image + i * SWSUSP_PAGE;
	return i < h->pages ? zero : NULL;
}

static void swsusp_seed(const char *name, const uint64_t *pfns, unsigned n)
{
	uint64_t data = 0;
	for (unsigned i = 0; i < n; i++)
		data += !(pfns[i] & SWSUSP_PFN_ZERO);
	uint64_t meta = n ? (n + 511) / 512 : 1;
	uint64_t pages = 1 + meta + data;
	image_pages_given = 1 + meta;
	image = calloc(image_pages_given, SWSUSP_PAGE);
	assert(image);
	memset(image, 0xcc, SWSUSP_PAGE);
	le_put(image + 0, 8, 0xffffffff81e3a000ull);
	le_put(image + 8, 8, 0x3e3a000);
	le_put(image + 16, 8, 0x12c0a000);
	le_put(image + 24, 8, SWSUSP_RESTORE_MAGIC);
	le_put(image + 32, 8, 0x5eed5eed);
	le_put(image + 416, 8, data);
	le_put(image + 424, 8, pages);
	le_put(image + 432, 8, pages * SWSUSP_PAGE);
	for (unsigned i = 0; i < n; i++)
		le_put(image + SWSUSP_PAGE + 8 * i, 8, pfns[i]);
	if (n % 512 || n == 0)
		le_put(image + SWSUSP_PAGE + 8 * n, 8, ~0ull);

	/* RAM as a small PC has it, and the reservation go-virtual uses. */
	const struct phys_range ram[2] = { { 0, 0x9f000 }, { 0x100000, 0x1ff00000 } };
	const struct phys_range excl = { 0x30000000, 64ull << 20 };
	struct swsusp_header h;
	const char *err = NULL;
	assert(swsusp_parse_header(image, &h, &err) == 0);
	assert(swsusp_validate(&h, image_page, &h, ram, 2, &excl, NULL, &err) == 0);

	struct buf b = { 0 };
	put8(&b, 1 | 2);                 /* data pages exist; check the reservation */
	put8(&b, 2);
	for (unsigned i = 0; i < 2; i++) {
		put64(&b, ram[i].base);
		put64(&b, ram[i].len);
	}
	put64(&b, excl.base);
	put64(&b, excl.len);
	put(&b, image, image_pages_given * SWSUSP_PAGE);
	emit("swsusp", name, &b);
	release(&b);
	free(image);
}

static void swsusp_seeds(void)
{
	static const uint64_t small[] = { 0x1, 0x2, 0x3, 0x9e, 0x100, 0x101, 0x1000, 0x1fffe };
	static const uint64_t zero_pages[] = { 0x10, 0x11 | SWSUSP_PFN_ZERO, 0x12, 0x80 | SWSUSP_PFN_ZERO, 0x1234 };
	swsusp_seed("linux-6.1", small, 8);
	swsusp_seed("linux-6.6-zero-pages", zero_pages, 5);
	static uint64_t full[512];
	for (unsigned i = 0; i < 512; i++)
		full[i] = 0x200 + 2 * i;
	swsusp_seed("full-metadata-page", full, 512);
}

/* ---- ACPI: RSDP, XSDT/RSDT, MADT laid out as QEMU's firmware gives them for two CPUs ---- */

static void sdt_header(struct buf *b, const char *sig, uint8_t rev)
{
	put(b, sig, 4);
	put32(b, 0);                     /* length, fixed by sdt_finish */
	put8(b, rev);
	put8(b, 0);                      /* checksum */
	put(b, "BOCHS ", 6);
	put(b, "BXPC    ", 8);
	put32(b, 1);
	put(b, "BXPC", 4);
	put32(b, 1);
}

static void sdt_finish(struct buf *b, size_t at)
{
	size_t len = b->n - at;
	le_put(b->p + at + 4, 4, len);
	uint8_t s = 0;
	b->p[at + 9] = 0;
	for (size_t i = 0; i < len; i++)
		s += b->p[at + i];
	b->p[at + 9] = (uint8_t)-s;
}

static void madt(struct buf *m, bool x2apic_entry, unsigned ncpus)
{
	size_t at = m->n;
	sdt_header(m, "APIC", 3);
	put32(m, 0xfee00000);            /* local APIC address */
	put32(m, 1);                     /* PCAT_COMPAT */
	for (unsigned cpu = 0; cpu < ncpus; cpu++) {
		put8(m, 0); put8(m, 8); put8(m, cpu); put8(m, cpu); put32(m, 1);
	}
	put8(m, 0); put8(m, 8); put8(m, 0xfe); put8(m, 0xfe); put32(m, 0);   /* present, disabled */
	put8(m, 1); put8(m, 12); put8(m, 0); put8(m, 0); put32(m, 0xfec00000); put32(m, 0);   /* I/O APIC */
	put8(m, 2); put8(m, 10); put8(m, 0); put8(m, 0); put32(m, 2); put16(m, 0);            /* IRQ0 -> GSI 2 */
	put8(m, 2); put8(m, 10); put8(m, 0); put8(m, 5); put32(m, 5); put16(m, 0xd);
	put8(m, 2); put8(m, 10); put8(m, 0); put8(m, 9); put32(m, 9); put16(m, 0xd);
	put8(m, 4); put8(m, 6); put8(m, 0xff); put16(m, 0); put8(m, 1);                        /* LAPIC NMI, LINT1 */
	if (x2apic_entry) {
		put8(m, 9); put8(m, 16); put16(m, 0); put32(m, 0x100); put32(m, 1); put32(m, 0x100);
		put8(m, 5); put8(m, 12); put16(m, 0); put64(m, 0xfee00000);
	}
	sdt_finish(m, at);
}

/* A DMAR as QEMU 7.2's q35 gives it with -device intel-iommu, plus an RMRR as real machines have. */
static void dmar(struct buf *m)
{
	size_t at = m->n;
	sdt_header(m, "DMAR", 1);
	put8(m, 38);                     /* host address width 39 */
	put8(m, 0);
	zeros(m, 10);
	static const uint8_t devs[][3] = { { 0, 0, 0 }, { 0, 1, 0 }, { 0, 3, 0 }, { 0, 0x1f, 0 } };
	put16(m, 0); put16(m, 16 + 8 * 5); put8(m, 0); put8(m, 0); put16(m, 0); put64(m, 0xfed90000);
	put8(m, 3); put8(m, 8); put16(m, 0); put8(m, 0); put8(m, 0xff); put8(m, 0); put8(m, 0);   /* I/O APIC */
	for (unsigned i = 0; i < 4; i++) {
		put8(m, 1); put8(m, 8); put16(m, 0); put8(m, 0); put8(m, devs[i][0]); put8(m, devs[i][1]); put8(m, devs[i][2]);
	}
	put16(m, 1); put16(m, 32); put16(m, 0); put16(m, 0); put64(m, 0x7d000000); put64(m, 0x7d7fffff);
	put8(m, 1); put8(m, 8); put16(m, 0); put8(m, 0); put8(m, 0); put8(m, 0x14); put8(m, 0);  /* USB */
	sdt_finish(m, at);
}

/* Memory of the acpi harness: tables at fixed offsets from `base` (a DMAR at 0x800 if with_dmar). */
static void acpi_memory_with(struct buf *mem, uint64_t base, bool xsdt, bool x2apic_entry, unsigned ncpus,
			     bool with_dmar)
{
	const unsigned root = 0x40, facp = 0x100, mcfg = 0x180, apic = 0x200, dmar_at = 0x800;
	pad_to(mem, root);
	size_t at = mem->n;
	sdt_header(mem, xsdt ? "XSDT" : "RSDT", 1);
	const uint64_t tables[4] = { base + facp, base + mcfg, base + apic, base + dmar_at };
	for (unsigned i = 0; i < (with_dmar ? 4u : 3u); i++)
		putn(mem, tables[i], xsdt ? 8 : 4);
	sdt_finish(mem, at);
	pad_to(mem, facp);
	at = mem->n;
	sdt_header(mem, "FACP", 1);
	zeros(mem, 80);
	sdt_finish(mem, at);
	pad_to(mem, mcfg);
	at = mem->n;
	sdt_header(mem, "MCFG", 1);
	zeros(mem, 8);
	put64(mem, 0xb0000000); put16(mem, 0); put8(mem, 0); put8(mem, 0xff); put32(mem, 0);
	sdt_finish(mem, at);
	pad_to(mem, apic);
	madt(mem, x2apic_entry, ncpus);
	if (with_dmar) {
		pad_to(mem, dmar_at);
		dmar(mem);
	}
}

static void acpi_memory(struct buf *mem, uint64_t base, bool xsdt, bool x2apic_entry, unsigned ncpus)
{
	acpi_memory_with(mem, base, xsdt, x2apic_entry, ncpus, false);
}

static void rsdp(uint8_t out[36], uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	memset(out, 0, 36);
	memcpy(out, "RSD PTR ", 8);
	memcpy(out + 9, "BOCHS ", 6);
	out[15] = rev;
	le_put(out + 16, 4, rsdt);
	le_put(out + 20, 4, 36);
	le_put(out + 24, 8, xsdt);
	uint8_t s = 0;
	for (unsigned i = 0; i < 20; i++)
		s += out[i];
	out[8] = (uint8_t)-s;
	s = 0;
	for (unsigned i = 0; i < 36; i++)
		s += out[i];
	out[32] = (uint8_t)-s;
}

static struct buf *acpi_mem_for_map;
static uint64_t acpi_base_for_map;

static const void *acpi_map(void *ctx, uint64_t phys, uint64_t len)
{
	const struct buf *m = acpi_mem_for_map;
	if (phys < acpi_base_for_map || phys - acpi_base_for_map + len > m->n)
		return NULL;
	return m->p + (phys - acpi_base_for_map);
}

/* Checked as fuzz_acpi.c reads it: with flag bit 0 or 2 the BIOS scan must find the RSDP. */
static void acpi_seed(const char *name, uint8_t flags, const uint8_t r[36], struct buf *mem, unsigned want_cpus)
{
	struct acpi_cpus c;
	const char *err = NULL;
	const uint8_t *use = r;
	acpi_mem_for_map = mem;
	acpi_base_for_map = (flags & 1) ? 0xE0000 : 0;
	if (flags & 5) {
		uint64_t at = 0;
		if (acpi_scan_rsdp(acpi_map, NULL, &at)) {
			fprintf(stderr, "mkseeds: acpi seed %s: the BIOS scan finds no RSDP\n", name);
			exit(1);
		}
		use = acpi_map(NULL, at, 36);
	}
	int rc = acpi_find_cpus(acpi_map, NULL, use, (flags & 2) ? 20 : 36, &c, &err);
	if (rc || c.n != want_cpus || !c.has_mcfg) {
		fprintf(stderr, "mkseeds: acpi seed %s: %s, %u CPUs\n", name, rc ? err : "ok", c.n);
		exit(1);
	}
	/* A seed with a DMAR must lead the harness to a DMAR that parses. */
	uint64_t dm;
	uint32_t dlen;
	struct dmar_info d;
	if (acpi_find_table(acpi_map, NULL, use, (flags & 2) ? 20 : 36, "DMAR", &dm, &dlen, &err) == 1 &&
	    (dmar_parse(acpi_map(NULL, dm, dlen), dlen, &d, &err) || d.nunits != 1 || d.nrmrrs != 1)) {
		fprintf(stderr, "mkseeds: acpi seed %s: DMAR: %s\n", name, err);
		exit(1);
	}
	struct buf b = { 0 };
	put8(&b, flags);
	put(&b, r, 36);
	put(&b, mem->p, mem->n);
	emit("acpi", name, &b);
	release(&b);
}

static void acpi_seeds(void)
{
	uint8_t r[36];
	struct buf mem = { 0 };
	acpi_memory(&mem, 0, true, false, 2);
	rsdp(r, 2, 0, 0x40);
	acpi_seed("xsdt-qemu-2cpu", 0, r, &mem, 2);
	release(&mem);

	/* q35 with an Intel IOMMU: the DMAR, with a unit, scopes and an RMRR. */
	acpi_memory_with(&mem, 0, true, false, 2, true);
	acpi_seed("xsdt-q35-dmar", 0, r, &mem, 2);
	release(&mem);

	/* More CPUs than odv-hv keeps: the rest are counted as dropped. */
	acpi_memory(&mem, 0, true, false, ACPI_MAX_CPUS + 6);
	acpi_seed("xsdt-70cpu", 0, r, &mem, ACPI_MAX_CPUS);
	release(&mem);

	acpi_memory(&mem, 0, false, true, 2);
	rsdp(r, 0, 0x40, 0);
	acpi_seed("rsdt-x2apic", 0, r, &mem, 3);
	acpi_seed("rsdt-old-copy", 2, r, &mem, 3);
	release(&mem);

	/* The BIOS area: the RSDP in the scanned range, the tables behind it. */
	acpi_memory(&mem, 0xE0000, true, false, 2);
	pad_to(&mem, 0x400);
	rsdp(r, 2, 0, 0xE0000 + 0x40);
	put(&mem, r, 36);
	acpi_seed("bios-scan", 1, r, &mem, 2);
	release(&mem);

	/* From address 0: the BIOS data area's EBDA segment (0x50) leads to the RSDP at 0x500. */
	acpi_memory(&mem, 0, true, false, 2);
	pad_to(&mem, 0x500);
	le_put(mem.p + 0x40e, 2, 0x50);
	rsdp(r, 2, 0, 0x40);
	put(&mem, r, 36);
	memset(r, 0, sizeof(r));         /* no copy: only the scan finds it */
	acpi_seed("ebda-scan", 4, r, &mem, 2);
	release(&mem);
}

/* ---- multiboot2 information as GRUB passes it to odv-hv ---- */

static void mb2_tag(struct buf *b, uint32_t type, const void *body, uint32_t len)
{
	put32(b, type);
	put32(b, 8 + len);
	put(b, body, len);
	while (b->n % 8)
		put8(b, 0);
}

static void mb2_seeds(void)
{
	struct buf b = { 0 };
	put32(&b, 0);                    /* total_size, fixed below */
	put32(&b, 0);
	const char cmd[] = "disk=ata0-slave nic=00:02.0 log=debug";
	mb2_tag(&b, 1, cmd, sizeof(cmd));
	const char loader[] = "GRUB 2.06-13+deb12u1";
	mb2_tag(&b, 2, loader, sizeof(loader));
	struct buf mod = { 0 };
	put32(&mod, 0x1000000); put32(&mod, 0x1a00000);
	put(&mod, "vmlinuz linux console=ttyS0", 28);
	mb2_tag(&b, 3, mod.p, (uint32_t)mod.n);
	release(&mod);
	put32(&mod, 0x1a00000); put32(&mod, 0x2400000);
	put(&mod, "initrd", 7);
	mb2_tag(&b, 3, mod.p, (uint32_t)mod.n);
	release(&mod);
	uint8_t meminfo[8];
	le_put(meminfo, 4, 639);
	le_put(meminfo + 4, 4, 523136);
	mb2_tag(&b, 4, meminfo, 8);
	put32(&mod, 24); put32(&mod, 0);             /* memory map: entry size, version */
	const uint64_t map[][3] = { { 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
				    { 0x100000, 0x1fef0000, 1 }, { 0x1fff0000, 0x10000, 3 }, { 0xfffc0000, 0x40000, 2 } };
	for (unsigned i = 0; i < 6; i++) {
		put64(&mod, map[i][0]); put64(&mod, map[i][1]); put32(&mod, (uint32_t)map[i][2]); put32(&mod, 0);
	}
	mb2_tag(&b, 6, mod.p, (uint32_t)mod.n);
	release(&mod);
	uint8_t r[36];
	rsdp(r, 0, 0x1fff0000, 0);
	mb2_tag(&b, 14, r, 20);
	rsdp(r, 2, 0x1fff0000, 0x1fff0100);
	mb2_tag(&b, 15, r, 36);
	uint8_t base[4];
	le_put(base, 4, 0x200000);
	mb2_tag(&b, 21, base, 4);
	mb2_tag(&b, 0, NULL, 0);
	le_put(b.p, 4, b.n);

	struct boot_info bi;
	const char *err = NULL;
	int rc = mb2_parse(b.p, 0x10000, &bi, &err);
	assert(rc == 0 && bi.nr_modules == 2 && bi.nr_mmap == 6 && bi.rsdp_len == 36);
	emit("mb2", "grub-linux-boot", &b);
	release(&b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	out_dir = argv[1];
	if (mkdir(out_dir, 0755) && errno != EEXIST) {
		perror(out_dir);
		return 1;
	}
	virtq_seeds();
	insn_seeds();
	pci_seeds();
	handoff_seeds();
	swsusp_seeds();
	acpi_seeds();
	mb2_seeds();
	return 0;
}
