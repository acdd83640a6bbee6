/*
 * MTRR memory types (mtrr.h). Everything is computed as runs: the type at an
 * address and the first address after it where any MTRR's verdict may
 * change, so a range or the whole map costs one step per edge, not per page.
 */
#include "mtrr.h"
#include "fmt.h"

#define FIXED_END  0x100000ull            /* the fixed ranges cover the first MiB */
#define MAX_STEPS  16384u                 /* bounds a walk over pathological masks */

/* Reserved encodings cannot be written (#GP); should one appear, UC is the safe reading. */
static int sane(uint64_t t)
{
	t &= 0xff;
	return (t == MTRR_WC || t == MTRR_WT || t == MTRR_WP || t == MTRR_WB) ? (int)t : MTRR_UC;
}

int mtrr_nr_var(const struct mtrr_state *s)
{
	unsigned n = (unsigned)(s->cap & MTRRCAP_VCNT);
	return n > MTRR_MAX_VAR ? -1 : (int)n;
}

static unsigned nr_var(const struct mtrr_state *s)
{
	int n = mtrr_nr_var(s);
	return n < 0 ? MTRR_MAX_VAR : (unsigned)n;
}

/* Bits 12 to MAXPHYADDR-1: the PhysBase and PhysMask fields; bits above are reserved. */
static uint64_t phys_field(const struct mtrr_state *s)
{
	unsigned w = s->maxphyaddr ? s->maxphyaddr : 36;
	if (w > 52)
		w = 52;
	return (BIT(w) - 1) & ~0xfffull;
}

/*
 * Two variable ranges over one address (SDM "MTRR Precedences"): equal
 * types stay, UC wins, WT with WB is WT. Every other pair (WC with WB, WP
 * with anything but itself, ...) is undefined by the SDM. UC is taken for
 * those: it neither caches nor combines nor reorders, so it is correct for
 * whatever lies there, device registers included, and costs only speed;
 * it is also the one type the SDM says never to remap into another.
 */
static int combine(int acc, int t)
{
	if (acc < 0 || acc == t)
		return t;
	if (acc == MTRR_UC || t == MTRR_UC)
		return MTRR_UC;
	if ((acc == MTRR_WT && t == MTRR_WB) || (acc == MTRR_WB && t == MTRR_WT))
		return MTRR_WT;
	return MTRR_UC;
}

/* The smallest y >= x with (y & m) == p (p within m), or UINT64_MAX if there is none. */
static uint64_t next_match(uint64_t x, uint64_t m, uint64_t p)
{
	uint64_t d = (x ^ p) & m;
	if (!d)
		return x;
	unsigned h = 63 - (unsigned)__builtin_clzll(d);          /* highest bit that disagrees */
	uint64_t upto_h = h == 63 ? ~0ull : (2ull << h) - 1;
	if (p & BIT(h))          /* raise bit h: x above it stays, p's bits below it, free bits 0 */
		return (x & ~upto_h) | (p & upto_h);
	/* x has bit h set where p has it clear: carry into the lowest clear free bit above h. */
	uint64_t free0 = ~m & ~x & ~upto_h;
	if (!free0)
		return UINT64_MAX;
	uint64_t f = BIT(__builtin_ctzll(free0));
	return ((x | f) & ~(f - 1)) | (p & (f - 1));
}

/* Variable ranges at addr: the combined type (default if none) and where any match changes. */
static int var_run(const struct mtrr_state *s, uint64_t addr, uint64_t *end)
{
	uint64_t field = phys_field(s);
	int t = -1;
	*end = UINT64_MAX;
	for (unsigned i = 0; i < nr_var(s); i++) {
		if (!(s->var[i].mask & MTRR_MASK_V))
			continue;
		uint64_t m = s->var[i].mask & field, p = s->var[i].base & m, e;
		if ((addr & m) == p) {
			/* A match holds over the aligned block of the mask's lowest bit, no further. */
			e = m ? (addr | (BIT(__builtin_ctzll(m)) - 1)) + 1 : UINT64_MAX;
			t = combine(t, sane(s->var[i].base));
		} else {
			e = next_match(addr, m, p);
		}
		if (e < *end && e > addr)
			*end = e;
	}
	return t < 0 ? sane(s->def_type) : t;
}

/* The fixed range holding addr (< 1 MiB): 64 KiB pieces to 80000, 16 KiB to C0000, then 4 KiB. */
static int fixed_run(const struct mtrr_state *s, uint64_t addr, uint64_t *end)
{
	unsigned reg, byte, shift;
	if (addr < 0x80000) {
		reg = 0, shift = 16, byte = (unsigned)(addr >> 16);
	} else if (addr < 0xc0000) {
		reg = 1 + (unsigned)((addr - 0x80000) >> 17), shift = 14, byte = (unsigned)((addr - 0x80000) >> 14) & 7;
	} else {
		reg = 3 + (unsigned)((addr - 0xc0000) >> 15), shift = 12, byte = (unsigned)((addr - 0xc0000) >> 12) & 7;
	}
	*end = ((addr >> shift) + 1) << shift;
	return sane(s->fixed[reg] >> (8 * byte));
}

/* The type at addr and the first address after it where the type may change. */
static int type_run(const struct mtrr_state *s, uint64_t addr, uint64_t *end)
{
	if (!(s->def_type & MTRRDEF_E)) {          /* MTRRs disabled: all of memory UC */
		*end = UINT64_MAX;
		return MTRR_UC;
	}
	bool fixed = (s->def_type & MTRRDEF_FE) && (s->cap & MTRRCAP_FIX);
	if (fixed && addr < FIXED_END)
		return fixed_run(s, addr, end);
	return var_run(s, addr, end);
}

int mtrr_type(const struct mtrr_state *s, uint64_t addr)
{
	uint64_t end;
	return type_run(s, addr, &end);
}

int mtrr_range_type(const struct mtrr_state *s, uint64_t base, uint64_t size)
{
	uint64_t end = base + size < base ? UINT64_MAX : base + size, e;
	int t = type_run(s, base, &e);
	for (unsigned steps = 0; e < end; steps++) {
		if (type_run(s, e, &e) != t || steps >= MAX_STEPS)
			return MTRR_MIXED;
	}
	return t;
}

int mtrr_ranges(const struct mtrr_state *s, uint64_t limit, struct mtrr_range *out, unsigned cap)
{
	unsigned k = 0, steps = 0;
	if (mtrr_nr_var(s) < 0)
		return -1;
	for (uint64_t pos = 0, e; pos < limit; pos = e) {
		int t = type_run(s, pos, &e);
		if (e > limit)
			e = limit;
		if (++steps > MAX_STEPS)
			return -1;
		if (k && out[k - 1].type == t) {
			out[k - 1].end = e;               /* the same type goes on: one run */
			continue;
		}
		if (k >= cap)
			return -1;
		out[k++] = (struct mtrr_range){ pos, e, (uint8_t)t };
	}
	return (int)k;
}

int mtrr_clip(const struct mtrr_range *r, unsigned n, uint64_t base, uint64_t end,
	      struct mtrr_range *out, unsigned cap)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t b = r[i].base > base ? r[i].base : base;
		uint64_t e = r[i].end < end ? r[i].end : end;
		if (b >= e)
			continue;
		if (k >= cap)
			return -1;
		out[k++] = (struct mtrr_range){ b, e, r[i].type };
	}
	return (int)k;
}

int mtrr_type_ept(const struct mtrr_range *r, unsigned m, const struct ept_range *in, unsigned n,
		  struct ept_range *out, unsigned cap)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = 0; j < m && r[j].base < in[i].end; j++) {
			struct mtrr_range piece;
			if (mtrr_clip(&r[j], 1, in[i].base, in[i].end, &piece, 1) != 1)
				continue;
			if (k >= cap)
				return -1;
			out[k++] = (struct ept_range){ piece.base, piece.end,
						       (uint8_t)(piece.type | (in[i].memtype & ~7u)) };
		}
	}
	return (int)k;
}

const char *mtrr_type_name(int type)
{
	switch (type) {
	case MTRR_UC: return "UC";
	case MTRR_WC: return "WC";
	case MTRR_WT: return "WT";
	case MTRR_WP: return "WP";
	case MTRR_WB: return "WB";
	default: return "??";
	}
}

int mtrr_describe(const struct mtrr_state *s, char *buf, size_t size)
{
	size_t n = 0;
#define PUT(...) (n += (size_t)fmt_snprintf(buf + (n < size ? n : size), n < size ? size - n : 0, __VA_ARGS__))
	if (!(s->def_type & MTRRDEF_E))
		return PUT("MTRRs disabled: all memory UC"), (int)n;
	PUT("MTRRs: default %s, fixed %s, %u variable", mtrr_type_name((int)(s->def_type & 0xff)),
	    !(s->cap & MTRRCAP_FIX) ? "absent" : (s->def_type & MTRRDEF_FE) ? "on" : "off", nr_var(s));
	uint64_t field = phys_field(s);
	for (unsigned i = 0; i < nr_var(s); i++) {
		uint64_t m = s->var[i].mask & field;
		if (!(s->var[i].mask & MTRR_MASK_V))
			continue;
		uint64_t sz = m ? BIT(__builtin_ctzll(m)) : 0;
		PUT(" 0x%lx+0x%lx %s", (unsigned long)(s->var[i].base & m), (unsigned long)sz,
		    mtrr_type_name((int)(s->var[i].base & 0xff)));
		if (m != (field & ~(sz - 1)))              /* not one range: it repeats */
			PUT(" (mask 0x%lx)", (unsigned long)m);
	}
#undef PUT
	return (int)n;
}
