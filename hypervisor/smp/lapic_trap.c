/*
 * The guest's writes to its local APIC, when odv-hv runs several CPUs.
 *
 * Why: the guest starts its other CPUs with INIT and SIPI IPIs, and neither
 * may reach a CPU odv-hv runs: INIT is blocked in VMX root and becomes a VM
 * exit in non-root (Bochs 2.7 then keeps it pending forever), and a SIPI only
 * acts in the wait-for-SIPI activity state (where Bochs 2.7 raises the SIPI
 * exit on the sender's behalf, and loses it). So odv-hv does INIT and SIPI
 * itself. The APIC page is read-only in EPT: every store to it exits here, is
 * decoded (mmio.c) and done on the real APIC, except the ICR writes
 * that send INIT or SIPI to a CPU odv-hv runs. INIT sets the target's
 * init_requested and sends it an NMI, which makes it leave the guest; its
 * vCPU takes the state after INIT and waits in VMX root (sipi.c). SIPI leaves
 * the vector in the target's mailbox. Reads of the page are not trapped.
 */
#include "smp.h"
#include "arch.h"
#include "hv.h"
#include "percpu.h"
#include "region.h"

#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_MODE(lo)      (((lo) >> 8) & 7)
#define ICR_MODE_INIT     5
#define ICR_MODE_STARTUP  6
#define ICR_LOGICAL       BIT32(11)
#define ICR_ASSERT        BIT32(14)
#define ICR_SHORTHAND(lo) (((lo) >> 18) & 3)

/* Does an IPI with this ICR reach CPU c (sent by CPU self)? Physical destinations only. */
static bool targets(const struct percpu *c, const struct percpu *self, uint32_t lo, uint32_t dest,
		    bool x2apic)
{
	switch (ICR_SHORTHAND(lo)) {
	case 1: return c == self;
	case 2: return true;
	case 3: return c != self;
	default: return dest == (x2apic ? 0xffffffffu : 0xffu) || c->apic_id == dest;
	}
}

struct fwd { uint32_t lo; bool x2apic; uint32_t dest; bool all; };

/*
 * INIT/SIPI for a CPU odv-hv does not run (beyond its table, or one that
 * failed to start) are not sent: that CPU would run natively beside virtual
 * ones. It stays offline for the guest, which gives up on it.
 */
static void drop_one(uint32_t apic_id, void *ctx)
{
	static uint8_t logged[256 / 8];
	struct fwd *f = ctx;
	bool bcast = f->dest == (f->x2apic ? 0xffffffffu : 0xffu);
	if (!(f->all || bcast || f->dest == apic_id))
		return;
	if (apic_id < 256 && (logged[apic_id / 8] & (1u << (apic_id % 8))))
		return;
	if (apic_id < 256)
		logged[apic_id / 8] |= (uint8_t)(1u << (apic_id % 8));
	pr_info("smp: the guest's INIT/SIPI (icr 0x%x) for apic id %u, a CPU odv-hv does not run: not sent; "
		"that CPU stays offline for the guest", f->lo, apic_id);
}

/*
 * The guest sends an IPI (ICR low dword lo, destination APIC ID dest). INIT and
 * SIPI for CPUs odv-hv runs are handled as the file comment says; everything
 * else goes out unchanged.
 */
void lapic_icr_write(uint32_t lo, uint32_t dest, bool x2apic)
{
	unsigned mode = ICR_MODE(lo);
	struct percpu *self = this_cpu();
	if ((lo & ICR_LOGICAL) || (mode != ICR_MODE_INIT && mode != ICR_MODE_STARTUP)) {
		lapic_send(lo, dest);
		return;
	}
	if (mode == ICR_MODE_INIT && !(lo & ICR_ASSERT)) {
		/*
		 * "INIT level de-assert" only synchronised arbitration IDs on P6-era
		 * APICs; every CPU with VMX ignores it (SDM). Bochs 2.7 takes it for
		 * another INIT, which would reset a vCPU that just started: drop it
		 * (for CPUs odv-hv does not run as well).
		 */
		return;
	}
	for (unsigned i = 0; i < nr_cpus; i++) {
		struct percpu *c = &percpus[i];
		if (!targets(c, self, lo, dest, x2apic) || c == self)
			continue;
		if (c->state == CPU_NATIVE) {
			/* Handed back by a go-native in progress: the kernel's CPU natively
			 * again, so its INIT/SIPI are real ones, to it alone. */
			pr_info("smp: the guest's INIT/SIPI (icr 0x%x) for apic id %u, native again: sent", lo, c->apic_id);
			lapic_send(lo & ~(3u << 18), c->apic_id);
			continue;
		}
		if (c->state != CPU_IN_VMX)
			continue;
		if (mode == ICR_MODE_INIT) {
			/* A new start sequence: forget a SIPI the last one left behind. */
			__atomic_store_n(&c->sipi_vector, -1, __ATOMIC_SEQ_CST);
			/* A vCPU that already waits for SIPI is in the state INIT gives. */
			if (__atomic_load_n(&c->waiting_sipi, __ATOMIC_SEQ_CST))
				continue;
			__atomic_store_n(&c->init_requested, 1, __ATOMIC_SEQ_CST);
			lapic_send(ICR_NMI_PHYS, c->apic_id);
		} else if (__atomic_load_n(&c->waiting_sipi, __ATOMIC_SEQ_CST) ||
			   __atomic_load_n(&c->init_requested, __ATOMIC_SEQ_CST)) {
			/* Like a CPU, a vCPU takes a SIPI only while it waits for one (or is on
			 * its way there); Linux's second SIPI must not linger in the mailbox. */
			__atomic_store_n(&c->sipi_vector, (int32_t)(lo & 0xff), __ATOMIC_SEQ_CST);
		}
	}
	struct fwd f = { lo & ~(3u << 18), x2apic, dest, ICR_SHORTHAND(lo) != 0 };
	smp_for_each_not_run(drop_one, &f);
}

/*
 * A guest access to the APIC page, decoded by mmio.c: only stores exit (the
 * page is read-only in EPT); a read is the first half of an XCHG.
 */
static enum access_result apic_page_access(void *arg, struct mmio_request *rq)
{
	unsigned off = (unsigned)rq->offset & ~3u;
	if (!rq->write)
		rq->value = *lapic_mmio(off);
	else if (off == APIC_ICR_LO)
		lapic_icr_write((uint32_t)rq->value, *lapic_mmio(APIC_ICR_HI) >> 24, false);
	else
		*lapic_mmio(off) = (uint32_t)rq->value;
	return ACCESS_DONE;
}

/* Trap the guest's stores to the APIC page at base: 0, or -1 if the region table is full. */
int lapic_trap_init(uint64_t base)
{
	struct mmio_region r = { base, PAGE_SIZE, apic_page_access, NULL, "local APIC write",
				 REGION_EPT_READ_ONLY, REGION_STORE32, false, false };
	return region_add_mmio(&hv_regions, &r) < 0 ? -1 : 0;
}
