#include "mb2.h"

struct tag { uint32_t type, size; };

static bool terminated(const uint8_t *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!s[i])
			return true;
	return false;
}

int mb2_parse(const void *mbi, uint64_t mbi_phys, struct boot_info *bi, const char **err)
{
	const uint8_t *p = mbi;
	uint32_t total = *(const uint32_t *)p;
	*bi = (struct boot_info){ .cmdline = "" };
	bi->mbi_start = mbi_phys;
	bi->mbi_end = mbi_phys + total;
	if (total < 16 || total > (1u << 20)) {
		*err = "multiboot2 info has an implausible size";
		return -1;
	}
	uint32_t off = 8;
	bool rsdp_new = false;
	while (off + 8 <= total) {
		const struct tag *t = (const void *)(p + off);
		if (t->size < 8 || (uint64_t)off + t->size > total) {
			*err = "multiboot2 tag runs past the end of the info";
			return -1;
		}
		const uint8_t *body = p + off + 8;
		switch (t->type) {
		case 0:
			return 0;
		case 1:
			if (!terminated(body, t->size - 8)) {
				*err = "multiboot2 command line is not terminated inside its tag";
				return -1;
			}
			bi->cmdline = (const char *)body;
			break;
		case 3:
			/* mod_start, mod_end, then a NUL-terminated string inside the tag */
			if (t->size < 8 + 8 + 1 || !terminated(body + 8, t->size - 16)) {
				*err = "multiboot2 module tag is too short for its fields";
				return -1;
			}
			if (bi->nr_modules < MB2_MAX_MODULES) {
				struct mb2_module *m = &bi->modules[bi->nr_modules++];
				m->start = ((const uint32_t *)body)[0];
				m->end = ((const uint32_t *)body)[1];
				m->string = (const char *)(body + 8);
			}
			break;
		case 6: {
			if (t->size < 16) {
				*err = "multiboot2 memory map tag too small";
				return -1;
			}
			uint32_t esize = ((const uint32_t *)body)[0];
			if (esize < 20) {
				*err = "multiboot2 memory map entry too small";
				return -1;
			}
			for (uint32_t e = 8; e + esize <= t->size - 8 && bi->nr_mmap < MB2_MAX_MMAP; e += esize) {
				const uint8_t *ent = body + e;
				struct mem_range *r = &bi->mmap[bi->nr_mmap++];
				r->base = *(const uint64_t *)ent;
				r->len = *(const uint64_t *)(ent + 8);
				r->type = *(const uint32_t *)(ent + 16);
			}
			break;
		}
		case 14:
		case 15: {
			/* The new RSDP carries the XSDT address: it wins whatever the tag order. */
			if (t->type == 14 && rsdp_new)
				break;
			rsdp_new = t->type == 15;
			uint32_t n = t->size - 8 < sizeof(bi->rsdp) ? t->size - 8 : sizeof(bi->rsdp);
			for (uint32_t i = 0; i < n; i++)
				bi->rsdp[i] = body[i];
			bi->rsdp_len = n;
			break;
		}
		default:
			break;
		}
		off += (t->size + 7) & ~7u;
	}
	*err = "multiboot2 info has no end tag";
	return -1;
}
