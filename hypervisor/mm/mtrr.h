/*
 * The memory type the MTRRs give a physical address, combined as the SDM
 * says (Vol. 3A, "MTRR Precedences"). Under EPT the CPU types guest-physical
 * accesses by the EPT leaf instead of the MTRRs, so odv-hv puts there what
 * the MTRRs would have given natively. Pure logic: the MSR values come in a
 * struct, so the host unit tests run the same code.
 */
#ifndef ODV_MTRR_H
#define ODV_MTRR_H
#include "types.h"
#include "ept.h"

/* Memory type encodings (the same in MTRRs, PAT and EPT leaves). */
enum mtrr_type { MTRR_UC = 0, MTRR_WC = 1, MTRR_WT = 4, MTRR_WP = 5, MTRR_WB = 6 };
#define MTRR_MIXED (-1)

#define MSR_MTRRCAP          0xfeu
#define MSR_MTRR_PHYSBASE(n) (0x200u + 2 * (n))
#define MSR_MTRR_PHYSMASK(n) (0x201u + 2 * (n))
#define MSR_MTRR_FIX64K      0x250u
#define MSR_MTRR_FIX16K_80   0x258u
#define MSR_MTRR_FIX16K_A0   0x259u
#define MSR_MTRR_FIX4K_C0    0x268u   /* ... 0x26f: C0000 to F8000 */
#define MSR_MTRR_DEFTYPE     0x2ffu

#define MTRRCAP_VCNT   0xffull
#define MTRRCAP_FIX    BIT(8)
#define MTRRDEF_TYPE   0xffull
#define MTRRDEF_FE     BIT(10)
#define MTRRDEF_E      BIT(11)
#define MTRR_MASK_V    BIT(11)

#define MTRR_NR_FIXED  11
/* odv-hv's MSR table passes variable pairs 0x200-0x21f; no CPU has more than 10. */
#define MTRR_MAX_VAR   16
/* Fixed ranges cut the first MiB into 88 pieces; each variable range adds two edges. */
#define MTRR_MAX_RANGES 256

struct mtrr_state {
	uint64_t cap, def_type;
	uint64_t fixed[MTRR_NR_FIXED];   /* 0x250, 0x258, 0x259, 0x268 ... 0x26f */
	struct { uint64_t base, mask; } var[MTRR_MAX_VAR];
	unsigned maxphyaddr;             /* CPUID.80000008H:EAX[7:0], 36 without that leaf */
};

/* A run of addresses with one type; lists of them are sorted and adjacent runs differ. */
struct mtrr_range { uint64_t base, end; uint8_t type; };

/* Number of variable pairs the struct holds (MTRRCAP.VCNT), or -1 if more than MTRR_MAX_VAR. */
int mtrr_nr_var(const struct mtrr_state *s);
/* The type of one address. */
int mtrr_type(const struct mtrr_state *s, uint64_t addr);
/* The type of [base, base + size) if every address has the same one, else MTRR_MIXED. */
int mtrr_range_type(const struct mtrr_state *s, uint64_t base, uint64_t size);
/* The maximal uniform runs over [0, limit): their count, or -1 if more than cap (or VCNT too big). */
int mtrr_ranges(const struct mtrr_state *s, uint64_t limit, struct mtrr_range *out, unsigned cap);
/*
 * The runs of `r` (n of them, from mtrr_ranges) clipped to [base, end): their
 * count, -1 if more than cap. Addresses the runs do not cover are left out.
 */
int mtrr_clip(const struct mtrr_range *r, unsigned n, uint64_t base, uint64_t end,
	      struct mtrr_range *out, unsigned cap);
/*
 * Type EPT ranges by the runs: each of the n sorted ranges `in` (memtype:
 * only flags such as EPT_MT_READ_ONLY count) becomes its pieces of one MTRR
 * type, the flags kept. Returns the count, -1 if more than cap.
 */
int mtrr_type_ept(const struct mtrr_range *r, unsigned m, const struct ept_range *in, unsigned n,
		  struct ept_range *out, unsigned cap);
/* "UC", "WC", "WT", "WP", "WB" or "??" (a reserved encoding). */
const char *mtrr_type_name(int type);
/* One line for the log: enabled, default, fixed, each valid variable range. Returns snprintf's length. */
int mtrr_describe(const struct mtrr_state *s, char *buf, size_t size);

#endif
