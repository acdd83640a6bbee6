#include "mb2.h"
#include "le.h"

static bool terminated(const uint8_t *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!s[i])
			return true;
	return false;
}

/* One tag's body (size bytes after the 8-byte tag header): 0, or -1 with *err. */
static int parse_module(const uint8_t *body, uint32_t size, struct boot_info *bi, const char **err)
{
	/* mod_start, mod_end, then a NUL-terminated string inside the tag */
	if (size < 8 + 1 || !terminated(body + 8, size - 8)) {
		*err = "multiboot2 module tag is too short for its fields";
		return -1;
	}
	if (bi->nr_modules < MB2_MAX_MODULES) {
		struct mb2_module *m = &bi->modules[bi->nr_modules++];
		m->start = le32(body);
		m->end = le32(body + 4);
		m->string = (const char *)(body + 8);
	}
	return 0;
}

static int parse_mmap(const uint8_t *body, uint32_t size, struct boot_info *bi, const char **err)
{
	if (size < 8) {
		*err = "multiboot2 memory map tag too small";
		return -1;
	}
	uint32_t esize = le32(body);
	if (esize < 20) {
		*err = "multiboot2 memory map entry too small";
		return -1;
	}
	/* esize <= size - e, not e + esize <= size: an entry size near 4 GiB would wrap. */
	for (uint32_t e = 8; esize <= size - e && bi->nr_mmap < MB2_MAX_MMAP; e += esize) {
		const uint8_t *ent = body + e;
		bi->mmap[bi->nr_mmap++] = (struct mem_range){ le64(ent), le64(ent + 8), le32(ent + 16) };
	}
	return 0;
}

/* The old (14) or new (15) RSDP copy; the new one carries the XSDT address and wins whatever the tag order. */
static void take_rsdp(uint32_t type, const uint8_t *body, uint32_t size, struct boot_info *bi, bool *rsdp_new)
{
	if (type == 14 && *rsdp_new)
		return;
	*rsdp_new = type == 15;
	uint32_t n = size < sizeof(bi->rsdp) ? size : sizeof(bi->rsdp);
	for (uint32_t i = 0; i < n; i++)
		bi->rsdp[i] = body[i];
	bi->rsdp_len = n;
}

int mb2_parse(const void *mbi, uint64_t mbi_phys, struct boot_info *bi, const char **err)
{
	const uint8_t *p = mbi;
	uint32_t total = le32(p);
	*bi = (struct boot_info){ .cmdline = "" };
	bi->mbi_start = mbi_phys;
	bi->mbi_end = mbi_phys + total;
	if (total < 16 || total > (1u << 20)) {
		*err = "multiboot2 info has an implausible size";
		return -1;
	}
	bool rsdp_new = false;
	for (uint32_t off = 8; off + 8 <= total;) {
		uint32_t type = le32(p + off), size = le32(p + off + 4);
		if (size < 8 || (uint64_t)off + size > total) {
			*err = "multiboot2 tag runs past the end of the info";
			return -1;
		}
		const uint8_t *body = p + off + 8;
		int rc = 0;
		if (type == 0)
			return 0;
		if (type == 1) {
			if (!terminated(body, size - 8)) {
				*err = "multiboot2 command line is not terminated inside its tag";
				return -1;
			}
			bi->cmdline = (const char *)body;
		} else if (type == 3) {
			rc = parse_module(body, size - 8, bi, err);
		} else if (type == 6) {
			rc = parse_mmap(body, size - 8, bi, err);
		} else if (type == 14 || type == 15) {
			take_rsdp(type, body, size - 8, bi, &rsdp_new);
		}
		if (rc)
			return rc;
		off += (size + 7) & ~7u;
	}
	*err = "multiboot2 info has no end tag";
	return -1;
}
