/*
 * VT-d DMA remapping (vtd.h), from the Intel VT-d spec (chapters 3, 9, 10,
 * 11). One domain (DID 1) identity-maps all RAM of the firmware map but
 * odv-hv's region; every context entry of every bus points to it through one
 * shared context table. A device odv-hv drives gets its own domain (DID 2+):
 * the same map plus its DMA buffers, in a private copy of its bus's context
 * table. Register-based invalidation only: no queued invalidation, no
 * interrupt remapping, no scalable mode.
 */
#include "hv.h"
#include "arch.h"
#include "acpi.h"
#include "smp.h"
#include "ept.h"
#include "paging.h"
#include "dmar.h"
#include "region.h"
#include "memmap.h"
#include "vtd.h"
#include "mm.h"

/* Registers (10.4). */
#define R_CAP    0x08
#define R_ECAP   0x10
#define R_GCMD   0x18
#define R_GSTS   0x1c
#define R_RTADDR 0x20
#define R_CCMD   0x28
#define R_FSTS   0x34

#define CAP_SAGAW(c)  (((c) >> 8) & 0x1f)     /* bit 1: 3-level (39-bit), bit 2: 4-level (48-bit) */
#define CAP_MGAW(c)   ((((c) >> 16) & 0x3f) + 1)
#define CAP_FRO(c)    ((((c) >> 24) & 0x3ff) * 16)
#define CAP_NFR(c)    ((((c) >> 40) & 0xff) + 1)
#define CAP_SLLPS(c)  (((c) >> 34) & 0xf)     /* bit 0: 2 MiB, bit 1: 1 GiB second-level pages */
#define ECAP_IRO(e)   ((((e) >> 8) & 0x3ff) * 16)
#define ECAP_C        BIT(0)                  /* page walks snoop the caches */

#define GCMD_TE    BIT(31)
#define GCMD_SRTP  BIT(30)
/* GSTS bits that are one-shot commands in GCMD and must not be written back (10.4.4). */
#define GSTS_ONESHOT 0x96ffffffu

#define CCMD_ICC     BIT(63)
#define CCMD_GLOBAL  (1ull << 61)
#define IOTLB_IVT    BIT(63)
#define IOTLB_GLOBAL (1ull << 60)
#define FRCD_F       BIT(63)
#define FRCD_T       BIT(62)

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MAX_OWN 4                             /* devices odv-hv drives itself */

struct unit { uint64_t base, cap, ecap; };

static struct {
	struct dmar_info dmar;
	struct unit unit[DMAR_MAX_UNITS];
	unsigned n;
	int levels;
	bool c;                                   /* every unit's walks are coherent */
	uint64_t *root;                           /* 256 root entries (bus) */
	uint64_t root_phys, ctx_phys, slpt;       /* shared context table, shared domain's tables */
	struct { uint16_t bdf; uint64_t slpt; } own[MAX_OWN];
	unsigned nown;
	bool enabled;
} vt;

static volatile uint32_t *reg32(const struct unit *u, unsigned off) { return phys_to_virt(u->base + off); }
static volatile uint64_t *reg64(const struct unit *u, unsigned off) { return phys_to_virt(u->base + off); }

/* Wait (bounded: 100 ms) until (read() & mask) == want. */
static int wait32(const struct unit *u, unsigned off, uint32_t mask, uint32_t want)
{
	for (unsigned us = 0; us < 100000; us++) {
		if ((*reg32(u, off) & mask) == want)
			return 0;
		udelay(1);
	}
	return -1;
}

static int wait64(const struct unit *u, unsigned off, uint64_t mask)
{
	for (unsigned us = 0; us < 100000; us++) {
		if (!(*reg64(u, off) & mask))
			return 0;
		udelay(1);
	}
	return -1;
}

static void *vt_alloc(void *ctx, uint64_t *phys) { return page_alloc(phys); }
static void *vt_ptr(void *ctx, uint64_t phys) { return phys_to_virt(phys); }

/* 2 MiB and 1 GiB leaves only where every unit supports them. */
static struct ept_env vt_env(void)
{
	unsigned sllps = 3;
	for (unsigned i = 0; i < vt.n; i++)
		sllps &= CAP_SLLPS(vt.unit[i].cap);
	return (struct ept_env){ vt_alloc, vt_ptr, NULL, sllps & 2, sllps & 1, vt.levels, true };
}

/* Read one unit's capabilities; pick the table depth every unit shares. 0 or -1. */
static int unit_caps(unsigned i, const struct dmar_unit *du)
{
	struct unit *u = &vt.unit[i];
	if (direct_map_extend(du->base + PAGE_SIZE)) {
		pr_err("vtd: unit %u: registers at 0x%lx, beyond what odv-hv can map", i, du->base);
		return -1;
	}
	u->base = du->base;
	u->cap = *reg64(u, R_CAP);
	u->ecap = *reg64(u, R_ECAP);
	unsigned sagaw = CAP_SAGAW(u->cap);
	int levels = (sagaw & 2) ? 3 : (sagaw & 4) ? 4 : 0;
	if (!levels || (vt.levels && vt.levels != levels && !(sagaw & (vt.levels == 3 ? 2 : 4)))) {
		pr_err("vtd: unit %u: SAGAW 0x%x offers no table depth odv-hv uses with the others", i, sagaw);
		return -1;
	}
	if (!vt.levels)
		vt.levels = levels;
	vt.c = vt.c && (u->ecap & ECAP_C);
	pr_info("vtd: unit %u: CAP 0x%lx ECAP 0x%lx", i, u->cap, u->ecap);
	pr_info("vtd: unit %u: %d-level tables (%u-bit), MGAW %u, %u fault recording registers at +0x%x, IOTLB at +0x%x",
		i, vt.levels, vt.levels == 3 ? 39 : 48, (unsigned)CAP_MGAW(u->cap), (unsigned)CAP_NFR(u->cap),
		(unsigned)CAP_FRO(u->cap), (unsigned)ECAP_IRO(u->ecap));
	return 0;
}

/* The RMRRs' ranges, identity, R/W, in the table at slpt (unless already mapped there). */
static int map_rmrrs(uint64_t slpt)
{
	struct pt_env pe = { vt_alloc, vt_ptr, NULL };
	for (unsigned i = 0; i < vt.dmar.nrmrrs; i++) {
		const struct dmar_rmrr *r = &vt.dmar.rmrr[i];
		if (r->limit >= hv.load_base && r->base < hv.load_base + hv.size) {
			pr_err("vtd: RMRR 0x%lx-0x%lx overlaps odv-hv's region", r->base, r->limit);
			return -1;
		}
		if (r->limit - r->base >= 32 * SZ_2M) {
			pr_err("vtd: RMRR 0x%lx-0x%lx larger than 64 MiB", r->base, r->limit);
			return -1;
		}
		for (uint64_t a = r->base; a < r->limit; a += PAGE_SIZE) {
			struct pt_leaf l;
			if (!pt_lookup(&pt_vtd, &pe, slpt, vt.levels, a, &l) && l.pa == a)
				continue;
			if (pt_map_4k(&pt_vtd, &pe, slpt, vt.levels, a, a, 3, true))
				return -1;
		}
		pr_info("vtd: RMRR 0x%lx-0x%lx stays mapped for its devices", r->base, r->limit);
	}
	return 0;
}

/*
 * A domain's tables: RAM of the firmware map (hv.boot.mmap, on both entry
 * paths) but odv-hv's region, plus the RMRRs. 0 or -1.
 */
static int build_domain(uint64_t *slpt, const char *who)
{
	enum { T_RAM = 1, T_NONE = 2 };
	static struct mem_range m[MB2_MAX_MMAP + 2];
	static struct ept_range r[MB2_MAX_MMAP + 2];
	int n = 0;
	for (unsigned i = 0; i < hv.boot.nr_mmap && n >= 0; i++) {
		const struct mem_range *e = &hv.boot.mmap[i];
		uint64_t b = ALIGN_UP(e->base, PAGE_SIZE), end = (e->base + e->len) & ~(uint64_t)(PAGE_SIZE - 1);
		if (e->type == MEM_RAM && end > b)
			n = memmap_set(m, (unsigned)n, ARRAY_SIZE(m), b, end - b, T_RAM);
	}
	if (n >= 0)
		n = memmap_set(m, (unsigned)n, ARRAY_SIZE(m), hv.load_base, hv.size, T_NONE);
	if (n < 0) {
		pr_err("vtd: memory map too fragmented");
		return -1;
	}
	unsigned k = 0;
	uint64_t limit = 0;
	for (int i = 0; i < n; i++)
		if (m[i].type == T_RAM) {
			r[k++] = (struct ept_range){ m[i].base, m[i].base + m[i].len, EPT_MT_WB };
			limit = m[i].base + m[i].len;
		}
	struct ept_env env = vt_env();
	struct ept_stats st;
	if (ept_build_identity(&env, r, k, limit, slpt, &st)) {
		pr_err("vtd: cannot build the second-level tables (out of pages, or RAM beyond %d levels)", vt.levels);
		return -1;
	}
	pr_info("vtd: %s: DMA may reach RAM 0-0x%lx but odv-hv's region 0x%lx-0x%lx: %u tables, %u x 1G, %u x 2M, %u x 4K",
		who, limit, hv.load_base, hv.load_base + hv.size, st.tables, st.leaves_1g, st.leaves_2m, st.leaves_4k);
	return map_rmrrs(*slpt);
}

/* A context entry (legacy mode, 9.3): translate through slpt in domain did. */
static void context_set(uint64_t *ctx, unsigned devfn, uint64_t slpt, unsigned did)
{
	ctx[2 * devfn + 1] = (uint64_t)(vt.levels == 3 ? 1 : 2) | (uint64_t)did << 8;   /* AW, DID */
	ctx[2 * devfn] = slpt | 1;                                                      /* TT 0, present */
}

static void log_unit(unsigned i, const struct dmar_unit *u)
{
	static const char *const type[] = { "?", "endpoint", "bridge", "I/O APIC", "HPET", "ACPI device" };
	pr_info("vtd: DRHD %u: registers 0x%lx, segment %u%s, %u device scopes%s", i, u->base, u->segment,
		u->include_all ? ", INCLUDE_PCI_ALL" : "", u->nscopes + u->scopes_dropped,
		u->scopes_dropped ? " (some not kept)" : "");
	for (unsigned k = 0; k < u->nscopes; k++)
		pr_info("vtd: DRHD %u scope: %s %02x:%02x.%x%s", i, type[u->scope[k].type < 6 ? u->scope[k].type : 0],
			u->scope[k].bdf >> 8, (u->scope[k].bdf >> 3) & 31, u->scope[k].bdf & 7,
			u->scope[k].depth > 1 ? " (behind bridges)" : "");
}

/* Find and parse the DMAR (once): 1 none, 0 found, -1 unusable; each logged. */
static int find_dmar(void)
{
	const void *rsdp;
	unsigned rsdp_len;
	uint64_t phys;
	uint32_t len;
	const char *err = NULL;
	int rc = acpi_rsdp(&rsdp, &rsdp_len) ? 0 :
		 acpi_find_table(acpi_map_phys, NULL, rsdp, rsdp_len, "DMAR", &phys, &len, &err);
	if (rc < 0) {
		pr_warn("DMA isolation: absent: ACPI DMAR unusable (%s): devices the guest drives can write odv-hv's memory", err);
		return 1;
	}
	if (rc == 0) {
		pr_warn("DMA isolation: absent: no ACPI DMAR table (devices the guest drives can write odv-hv's memory)");
		return 1;
	}
	if (dmar_parse(acpi_map_phys(NULL, phys, len), len, &vt.dmar, &err)) {
		pr_err("vtd: DMAR at 0x%lx: %s", phys, err);
		return -1;
	}
	pr_info("vtd: DMAR at 0x%lx: %u remapping units, %u RMRRs, host address width %u", phys,
		vt.dmar.nunits, vt.dmar.nrmrrs, vt.dmar.haw);
	for (unsigned i = 0; i < vt.dmar.nunits; i++)
		log_unit(i, &vt.dmar.unit[i]);
	return 0;
}

int vtd_probe(void)
{
	static int found = -2;
	if (found == -2)
		found = find_dmar();
	return found;
}

int vtd_prepare(void)
{
	int rc = vtd_probe();
	if (rc)
		return rc;
	if (!vt.dmar.nunits || vt.dmar.dropped) {
		pr_err("vtd: %u units listed, %u beyond odv-hv's table: not all DMA could be remapped",
		       vt.dmar.nunits, vt.dmar.dropped);
		return -1;
	}
	vt.c = true;
	for (vt.n = 0; vt.n < vt.dmar.nunits; vt.n++)
		if (unit_caps(vt.n, &vt.dmar.unit[vt.n]))
			return -1;
	uint64_t *ctx = page_alloc(&vt.ctx_phys);
	vt.root = page_alloc(&vt.root_phys);
	if (!ctx || !vt.root || build_domain(&vt.slpt, "domain 1 (every device)"))
		return -1;
	for (unsigned devfn = 0; devfn < 256; devfn++)
		context_set(ctx, devfn, vt.slpt, 1);
	for (unsigned bus = 0; bus < 256; bus++)
		vt.root[2 * bus] = vt.ctx_phys | 1;
	return 0;
}

int vtd_allow_dma(uint16_t bdf, uint64_t base, uint64_t size)
{
	if (!vt.root)
		return -1;
	unsigned i = 0;
	while (i < vt.nown && vt.own[i].bdf != bdf)
		i++;
	if (i == vt.nown) {
		int unit = dmar_unit_of(&vt.dmar, bdf);
		if (unit < 0) {
			pr_err("vtd: %02x:%02x.%x is under no remapping unit", bdf >> 8, (bdf >> 3) & 31, bdf & 7);
			return -1;
		}
		pr_info("vtd: %02x:%02x.%x is translated by unit %d; domain %u is its own", bdf >> 8, (bdf >> 3) & 31,
			bdf & 7, unit, 2 + i);
		if (i == MAX_OWN || build_domain(&vt.own[i].slpt, "its domain"))
			return -1;
		vt.own[i].bdf = bdf;
		vt.nown++;
		/* A private copy of its bus's context table, unless an earlier device made one. */
		uint64_t *ctx = phys_to_virt(vt.root[2 * (bdf >> 8)] & PTE_ADDR), phys;
		if ((vt.root[2 * (bdf >> 8)] & PTE_ADDR) == vt.ctx_phys) {
			uint64_t *copy = page_alloc(&phys);
			if (!copy)
				return -1;
			memcpy(copy, ctx, PAGE_SIZE);
			vt.root[2 * (bdf >> 8)] = phys | 1;
			ctx = copy;
		}
		context_set(ctx, bdf & 0xff, vt.own[i].slpt, 2 + i);
	}
	struct pt_env pe = { vt_alloc, vt_ptr, NULL };
	for (uint64_t a = base & ~(uint64_t)(PAGE_SIZE - 1); a < base + size; a += PAGE_SIZE)
		if (pt_map_4k(&pt_vtd, &pe, vt.own[i].slpt, vt.levels, a, a, 3, true))
			return -1;
	pr_info("vtd: %02x:%02x.%x (driven by odv-hv) may also reach its DMA buffers 0x%lx-0x%lx",
		bdf >> 8, (bdf >> 3) & 31, bdf & 7, base, base + size);
	return 0;
}

/* Write a GCMD command on top of the persistent status bits and wait for its status bit. */
static int gcmd(const struct unit *u, uint32_t set, uint32_t clear, uint32_t wait_bit, bool wait_set)
{
	uint32_t sts = *reg32(u, R_GSTS) & GSTS_ONESHOT;
	*reg32(u, R_GCMD) = (sts | set) & ~clear;
	return wait32(u, R_GSTS, wait_bit, wait_set ? wait_bit : 0);
}

static int unit_enable(const struct unit *u, unsigned i)
{
	*reg64(u, R_RTADDR) = vt.root_phys;                  /* TTM 00: legacy root table */
	if (gcmd(u, GCMD_SRTP, 0, GCMD_SRTP, true))
		return pr_err("vtd: unit %u: root table pointer not latched", i), -1;
	*reg64(u, R_CCMD) = CCMD_ICC | CCMD_GLOBAL;
	if (wait64(u, R_CCMD, CCMD_ICC))
		return pr_err("vtd: unit %u: context-cache invalidation did not finish", i), -1;
	unsigned iotlb = ECAP_IRO(u->ecap) + 8;
	*reg64(u, iotlb) = IOTLB_IVT | IOTLB_GLOBAL;
	if (wait64(u, iotlb, IOTLB_IVT))
		return pr_err("vtd: unit %u: IOTLB invalidation did not finish", i), -1;
	if (gcmd(u, GCMD_TE, 0, GCMD_TE, true))
		return pr_err("vtd: unit %u: translation did not turn on", i), -1;
	pr_info("vtd: unit %u: translation enabled (GSTS 0x%x)", i, *reg32(u, R_GSTS));
	return 0;
}

int vtd_enable(void)
{
	if (!vt.root)
		return -1;
	/* Walks that do not snoop read memory: the tables must be there, not in a cache. */
	if (!vt.c)
		__asm__ volatile("wbinvd" ::: "memory");
	for (unsigned i = 0; i < vt.n; i++)
		if (unit_enable(&vt.unit[i], i)) {
			vtd_disable();
			return -1;
		}
	vt.enabled = true;
	return 0;
}

void vtd_disable(void)
{
	for (unsigned i = 0; i < vt.n; i++)
		if ((*reg32(&vt.unit[i], R_GSTS) & GCMD_TE) && gcmd(&vt.unit[i], 0, GCMD_TE, GCMD_TE, false))
			pr_err("vtd: unit %u: translation did not turn off", i);
	if (vt.enabled)
		pr_info("vtd: translation disabled");
	vt.enabled = false;
}

unsigned vtd_faults(struct vtd_fault *out, unsigned max)
{
	if (!vt.n)
		return 0;
	const struct unit *u = &vt.unit[0];
	unsigned got = 0, fro = CAP_FRO(u->cap), nfr = CAP_NFR(u->cap);
	uint32_t fsts = *reg32(u, R_FSTS);
	for (unsigned i = 0; i < nfr; i++) {
		uint64_t hi = *reg64(u, fro + 16 * i + 8);
		if (!(hi & FRCD_F))
			continue;
		struct vtd_fault f = { (uint16_t)hi, (uint8_t)(hi >> 32), !!(hi & FRCD_T),
				       *reg64(u, fro + 16 * i) & ~(uint64_t)0xfff };
		pr_info("vtd: fault: source %02x:%02x.%x, reason 0x%x, %s of 0x%lx (FSTS 0x%x)", f.sid >> 8,
			(f.sid >> 3) & 31, f.sid & 7, f.reason, f.read ? "read" : "write", f.addr, fsts);
		*reg32(u, fro + 16 * i + 12) = (uint32_t)(FRCD_F >> 32);   /* F is write-1-to-clear */
		if (got < max)
			out[got++] = f;
	}
	*reg32(u, R_FSTS) = fsts & 0x7f;                      /* overflow and error bits: write 1 to clear */
	return got;
}

/* ---- odv-hv's own use: the VMX paths (restore.c, main.c) ---- */

/* DMA buffers of the devices odv-hv drives, noted as they are allocated (before VT-d is set up). */
#define MAX_NOTED 16
static struct { uint16_t bdf; uint64_t base, size; } noted[MAX_NOTED];
static unsigned nnoted;
static bool noted_lost;

void vtd_note_dma(uint16_t bdf, uint64_t base, uint64_t size)
{
	for (unsigned i = 0; i < nnoted; i++)
		if (noted[i].bdf == bdf && noted[i].base + noted[i].size == base) {
			noted[i].size += size;   /* the pool hands out consecutive pages: one range */
			return;
		}
	if (nnoted == MAX_NOTED)
		noted_lost = true;           /* vtd_protect refuses: that device's DMA would fault */
	else
		noted[nnoted++] = (typeof(noted[0])){ bdf, base, size };
}

/*
 * The guest must not reprogram what keeps devices out of odv-hv: each
 * unit's registers read as all ones (Linux then skips the unit as firmware
 * garbage: "DMAR ... returns all ones") and writes are dropped.
 */
static enum access_result hidden_regs(void *arg, struct mmio_request *rq)
{
	static unsigned logged;
	if (!rq->write) {
		rq->value = ~0ull;
		return ACCESS_DONE;
	}
	if (logged < 8) {
		logged++;
		pr_warn("vtd: the guest wrote 0x%lx to remapping unit 0x%lx +0x%lx: ignored (the unit is odv-hv's)",
			rq->value, (uint64_t)arg, rq->offset);
	}
	return ACCESS_DONE;
}

/* Each unit's register pages as a hidden region: left out of EPT, every access answered by hidden_regs. */
static int hide_units(void)
{
	for (unsigned i = 0; i < vt.n; i++) {
		const struct unit *u = &vt.unit[i];
		uint64_t end = PAGE_SIZE;
		end = MAX(end, ALIGN_UP(CAP_FRO(u->cap) + 16 * CAP_NFR(u->cap), PAGE_SIZE));
		end = MAX(end, ALIGN_UP(ECAP_IRO(u->ecap) + 16, PAGE_SIZE));
		struct mmio_region r = { u->base, end, hidden_regs, (void *)u->base, "remapping unit access",
					 REGION_EPT_HOLE, REGION_ANY_MOV, false, false };
		if (region_add_mmio(&hv_regions, &r) < 0) {
			pr_err("vtd: no region left to hide unit %u", i);
			return -1;
		}
		pr_info("vtd: unit %u's registers 0x%lx-0x%lx hidden from the guest (read all ones, writes ignored)",
			i, u->base, u->base + end);
	}
	return 0;
}

int vtd_protect(void)
{
	int rc = vtd_probe();
	if (rc)
		return rc > 0 ? 0 : -1;
	if (noted_lost) {
		pr_err("vtd: more than %u DMA ranges of odv-hv's devices", MAX_NOTED);
		return -1;
	}
	if (vtd_prepare())
		return -1;
	for (unsigned i = 0; i < nnoted; i++)
		if (vtd_allow_dma(noted[i].bdf, noted[i].base, noted[i].size))
			return -1;
	if (hide_units() || vtd_enable())
		return -1;
	pr_info("DMA isolation: VT-d on: no device reaches odv-hv's region 0x%lx-0x%lx", hv.load_base,
		hv.load_base + hv.size);
	return 0;
}
