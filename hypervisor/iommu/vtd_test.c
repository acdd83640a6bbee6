/*
 * test-vtd on the multiboot2 command line: odv-hv, natively (before VMX;
 * QEMU TCG has none), turns VT-d on and shows that a device cannot write its
 * region but can write RAM. The device is the e1000 (drivers/e1000.c) in
 * PHY loopback, where QEMU's model hands each sent frame to its own receive
 * side (hw/net/e1000.c, MII_BMCR_LOOPBACK): pointing the next receive
 * descriptor at an address makes the NIC DMA-write the frame there.
 * Every verdict is a serial line (tests/scenarios/vtd-qemu.scn).
 */
#include "hv.h"
#include "arch.h"
#include "pci_host.h"
#include "e1000.h"
#include "cmdline.h"
#include "vtd.h"

#define MDIC          0x0020
#define MDIC_WRITE    (1u << 26)
#define MDIC_PHY1     (1u << 21)
#define MDIC_READY    (1u << 28)
#define BMCR_LOOPBACK 0x4000u
#define BMCR_1000_FD  0x0140u            /* speed 1000, full duplex: as after reset */
#define FRAME_LEN     64
#define PATTERN       0xa5
#define ALLOWED_BUF   0x20000ul          /* conventional RAM, not odv-hv's: any device may write it */

static uint64_t mmio, dma_lo, dma_hi;

static uint32_t t_rd32(void *c, uint32_t reg) { return *(volatile uint32_t *)phys_to_virt(mmio + reg); }
static void t_wr32(void *c, uint32_t reg, uint32_t v) { *(volatile uint32_t *)phys_to_virt(mmio + reg) = v; }
static void t_delay(void *c, unsigned us) { udelay(us); }

/* Pool pages (odv-hv's region), remembered as the range VT-d must let the NIC reach. */
static void *t_dma_alloc(void *c, uint64_t size, uint64_t *phys)
{
	void *first = NULL;
	for (uint64_t done = 0; done < size; done += PAGE_SIZE) {
		uint64_t pa;
		void *p = page_alloc(&pa);
		if (!p || (first && pa != *phys + done))
			return NULL;
		if (!first) {
			first = p;
			*phys = pa;
		}
		dma_lo = dma_lo ? dma_lo : pa;
		dma_hi = pa + PAGE_SIZE;
	}
	return first;
}

static const struct e1000_env env = { t_rd32, t_wr32, t_dma_alloc, t_delay, NULL };
static struct e1000_dev nic;

static int fail(const char *why)
{
	pr_info("vtd-test: FAIL %s", why);
	return -1;
}

/* The NIC at bus 0 with memory decoding and bus mastering on: its bdf, or -1. */
static int nic_find(void)
{
	uint16_t bdf;
	if (pci_host_find_class(0x0200, &bdf))
		return -1;
	uint32_t id = pci_host_read(NULL, bdf, 0, 4);
	uint32_t bar = pci_host_read(NULL, bdf, 0x10, 4);
	if (id != 0x100e8086 || (bar & 1) || !(bar & ~0xfu))
		return -1;
	mmio = bar & ~0xfu;
	pci_host_write(NULL, bdf, 4, 2, pci_host_read(NULL, bdf, 4, 2) | 0x6);   /* memory, bus master */
	return bdf;
}

static int phy_loopback(void)
{
	t_wr32(NULL, MDIC, MDIC_WRITE | MDIC_PHY1 | BMCR_LOOPBACK | BMCR_1000_FD);   /* register 0: BMCR */
	for (unsigned us = 0; us < 10000; us++, udelay(1))
		if (t_rd32(NULL, MDIC) & MDIC_READY)
			return 0;
	return -1;
}

/* Point the next receive descriptor at buf, send one frame, wait for the descriptor back: its length, or -1. */
static int loop_to(uint64_t buf, const uint8_t *frame)
{
	volatile uint8_t *desc = (volatile uint8_t *)nic.rx_ring + 16 * nic.rx_next;
	*(volatile uint64_t *)desc = buf;
	if (e1000_send(&nic, frame, FRAME_LEN)) {
		pr_info("vtd-test: the NIC did not send: %s", nic.last_error ? nic.last_error : "?");
		return -1;
	}
	int len = -1;
	for (unsigned ms = 0; ms < 1000 && len < 0; ms++, udelay(1000))
		if (desc[12] & 1)                                   /* DD */
			len = desc[8] | desc[9] << 8;
	if (len < 0)
		pr_info("vtd-test: no frame back: STATUS 0x%x RCTL 0x%x RDH %u RDT %u TDH %u TDT %u", t_rd32(NULL, 0x8),
			t_rd32(NULL, 0x100), t_rd32(NULL, 0x2810), t_rd32(NULL, 0x2818), t_rd32(NULL, 0x3810), t_rd32(NULL, 0x3818));
	*(volatile uint64_t *)desc = nic.rx_buf_phys[nic.rx_next];
	static uint8_t scratch[E1000_BUF_SIZE];
	(void)e1000_recv(&nic, scratch, sizeof(scratch));           /* hand the descriptor back */
	return len;
}

static bool all_bytes(const uint8_t *p, unsigned n, uint8_t v)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static int blocked(int bdf, const uint8_t *frame)
{
	uint64_t pa;
	uint8_t *mine = page_alloc(&pa);               /* odv-hv's page, not one of the NIC's buffers */
	if (!mine)
		return fail("no page");
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		mine[i] = PATTERN;
	int len = loop_to(pa, frame);
	struct vtd_fault f[4];
	unsigned n = vtd_faults(f, 4);
	bool same = all_bytes(mine, PAGE_SIZE, PATTERN);
	pr_info("vtd-test: odv-hv's page 0x%lx after the NIC's write: %s", pa,
		same ? "unchanged (4096 bytes of 0xa5)" : "CHANGED");
	if (len < 0)
		return fail("the NIC did not complete the blocked receive");
	if (n != 1 || f[0].sid != bdf || f[0].read || f[0].addr != pa)
		return fail("no fault, or not the NIC's write of that page, was recorded");
	if (!same)
		return fail("the NIC wrote odv-hv's memory");
	pr_info("vtd-test: blocked: write of %d bytes to 0x%lx; fault recorded: source %02x:%02x.%x reason 0x%x address 0x%lx",
		len, pa, f[0].sid >> 8, (f[0].sid >> 3) & 31, f[0].sid & 7, f[0].reason, f[0].addr);
	return 0;
}

static int allowed(const uint8_t *frame)
{
	uint8_t *buf = phys_to_virt(ALLOWED_BUF);
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		buf[i] = 0;
	int len = loop_to(ALLOWED_BUF, frame);
	struct vtd_fault f[4];
	if (vtd_faults(f, 4))
		return fail("a fault was recorded for a write to RAM");
	if (len != FRAME_LEN)
		return fail("the frame did not come back whole");
	for (unsigned i = 0; i < FRAME_LEN; i++)
		if (buf[i] != frame[i])
			return fail("the allowed buffer holds other bytes than were sent");
	pr_info("vtd-test: allowed: buffer 0x%lx received %d bytes, equal to the frame sent", ALLOWED_BUF, len);
	return 0;
}

static int run(void)
{
	int bdf = nic_find();
	if (bdf < 0)
		return fail("no e1000 (8086:100e) with a memory BAR on bus 0");
	if (e1000_init(&nic, &env))
		return fail(nic.last_error ? nic.last_error : "e1000 init");
	if (phy_loopback())
		return fail("PHY did not take the loopback write");
	/*
	 * QEMU's e1000 refuses to receive for 1 s (virtual) after each RCTL
	 * write (set_rx_control arms flush_queue_timer), and a looped-back
	 * frame it cannot take is lost, not queued: let that second pass.
	 */
	for (unsigned ms = 0; ms < 1200; ms++)
		udelay(1000);
	pr_info("vtd-test: e1000 at %02x:%02x.%x, registers 0x%lx, PHY loopback on, its DMA buffers 0x%lx-0x%lx",
		bdf >> 8, (bdf >> 3) & 31, bdf & 7, mmio, dma_lo, dma_hi);
	int rc = vtd_prepare();
	if (rc)
		return fail(rc > 0 ? "no DMAR" : "VT-d unusable");
	if (vtd_allow_dma((uint16_t)bdf, dma_lo, dma_hi - dma_lo) || vtd_enable())
		return fail("VT-d not enabled");
	uint8_t frame[FRAME_LEN];
	for (unsigned i = 0; i < FRAME_LEN; i++)
		frame[i] = i < 6 ? 0xff : (uint8_t)(i * 7 + 1);         /* broadcast: the receive filter takes it */
	frame[12] = 0x88, frame[13] = 0xb5;                          /* a local experimental EtherType */
	rc = blocked(bdf, frame);
	if (!rc)
		rc = allowed(frame);
	e1000_stop(&nic);
	vtd_disable();
	return rc;
}

void vtd_test_if_asked(const char *cmdline)
{
	const char *t = cmdline_opt(cmdline ? cmdline : "", "test-vtd");
	if (!t || (*t && *t != ' '))
		return;
	pr_info("vtd-test: start");
	if (!run())
		pr_info("vtd-test: PASS");
	hv_halt("VT-d test done");
}
