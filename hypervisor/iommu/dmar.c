/*
 * The DMAR table parser (dmar.h). Firmware input: every length is checked
 * against its container before anything behind it is read, every loop moves
 * forward, and fields are read byte by byte (no alignment is promised).
 */
#include "le.h"
#include "dmar.h"

#define DMAR_HDR     48          /* SDT header 36, host address width, flags, 10 reserved */
#define DRHD_SCOPES  16          /* type, length, flags, size, segment, register base */
#define RMRR_SCOPES  24          /* type, length, reserved, segment, base, limit */
#define SCOPE_PATH   6           /* type, length, reserved, enumeration id, start bus */

enum { DRHD = 0, RMRR = 1 };

/*
 * The device scopes in [p, p + len) into scope[] (at most DMAR_MAX_SCOPES,
 * the others counted in *dropped). 0, or -1 with *err.
 */
static int scopes(const uint8_t *p, uint32_t len, struct dmar_scope *scope, unsigned *n,
		  unsigned *dropped, const char **err)
{
	for (uint32_t off = 0; off < len; off += p[off + 1]) {
		const uint8_t *s = p + off;
		if (len - off < 2 || s[1] > len - off) {
			*err = "device scope runs past its structure";
			return -1;
		}
		/* A path of (device, function) pairs; at least one: the scope names something. */
		if (s[1] < SCOPE_PATH + 2 || (s[1] - SCOPE_PATH) % 2) {
			*err = "device scope length wrong";
			return -1;
		}
		if (*n == DMAR_MAX_SCOPES) {
			(*dropped)++;
			continue;
		}
		uint8_t dev = s[6], fn = s[7];
		if (dev > 31 || fn > 7) {
			*err = "device scope path names no PCI function";
			return -1;
		}
		scope[(*n)++] = (struct dmar_scope){ s[0], s[4], (uint8_t)((s[1] - SCOPE_PATH) / 2),
						     (uint16_t)(s[5] << 8 | dev << 3 | fn) };
	}
	return 0;
}

static int drhd(const uint8_t *s, uint16_t len, struct dmar_info *out, const char **err)
{
	if (len < DRHD_SCOPES) {
		*err = "DRHD shorter than 16 bytes";
		return -1;
	}
	uint64_t base = le64(s + 8);
	if (!base || (base & 0xfff)) {
		*err = "DRHD register base zero or not 4 KiB aligned";
		return -1;
	}
	if (out->nunits == DMAR_MAX_UNITS) {
		out->dropped++;
		return 0;
	}
	struct dmar_unit *u = &out->unit[out->nunits];
	*u = (struct dmar_unit){ .base = base, .segment = le16(s + 6), .include_all = s[4] & 1 };
	if (scopes(s + DRHD_SCOPES, len - DRHD_SCOPES, u->scope, &u->nscopes, &u->scopes_dropped, err))
		return -1;
	out->nunits++;
	return 0;
}

static int rmrr(const uint8_t *s, uint16_t len, struct dmar_info *out, const char **err)
{
	if (len < RMRR_SCOPES) {
		*err = "RMRR shorter than 24 bytes";
		return -1;
	}
	uint64_t base = le64(s + 8), limit = le64(s + 16);
	/* The spec: base 4 KiB aligned, limit + 1 a multiple of 4 KiB. */
	if ((base & 0xfff) || (limit & 0xfff) != 0xfff || limit < base) {
		*err = "RMRR range not 4 KiB aligned or empty";
		return -1;
	}
	if (out->nrmrrs == DMAR_MAX_RMRRS) {
		out->dropped++;
		return 0;
	}
	struct dmar_rmrr *r = &out->rmrr[out->nrmrrs];
	*r = (struct dmar_rmrr){ .base = base, .limit = limit, .segment = le16(s + 6) };
	if (scopes(s + RMRR_SCOPES, len - RMRR_SCOPES, r->scope, &r->nscopes, &r->scopes_dropped, err))
		return -1;
	out->nrmrrs++;
	return 0;
}

int dmar_parse(const uint8_t *t, uint32_t len, struct dmar_info *out, const char **err)
{
	*out = (struct dmar_info){ 0 };
	if (len < DMAR_HDR || t[0] != 'D' || t[1] != 'M' || t[2] != 'A' || t[3] != 'R' || le32(t + 4) != len) {
		*err = "DMAR header wrong";
		return -1;
	}
	out->haw = (uint8_t)(t[36] + 1);
	out->flags = t[37];
	for (uint32_t off = DMAR_HDR; off < len;) {
		const uint8_t *s = t + off;
		uint16_t type, slen;
		if (len - off < 4 || (slen = le16(s + 2)) > len - off) {
			*err = "DMAR structure runs past the table end";
			return -1;
		}
		if (slen < 4) {
			*err = "DMAR structure length below 4";   /* would never advance */
			return -1;
		}
		type = le16(s);
		if (type == DRHD ? drhd(s, slen, out, err) : type == RMRR ? rmrr(s, slen, out, err) : 0)
			return -1;
		if (type != DRHD && type != RMRR)
			out->others++;
		off += slen;
	}
	return 0;
}

int dmar_unit_of(const struct dmar_info *d, uint16_t bdf)
{
	int all = -1;
	for (unsigned i = 0; i < d->nunits; i++) {
		const struct dmar_unit *u = &d->unit[i];
		if (u->segment)
			continue;
		if (u->include_all && all < 0)
			all = (int)i;
		for (unsigned k = 0; k < u->nscopes; k++)
			if (u->scope[k].type == DMAR_SCOPE_ENDPOINT && u->scope[k].depth == 1 && u->scope[k].bdf == bdf)
				return (int)i;
	}
	return all;
}
